import { findEntitySet, findNavigation, findProperty, taskfeedModel } from '../../../src/model/entity-model';
import { checkModel } from '../../../src/model/model-dir';

const sets = taskfeedModel.entitySets;
const set = (name: string) => {
  const s = findEntitySet(taskfeedModel, name);
  if (s === undefined) throw new Error(`no set ${name}`);
  return s;
};

describe('taskfeedModel', () => {
  it('passes every model check', () => {
    expect(checkModel(taskfeedModel)).toEqual([]);
  });

  it('has the built-in sets, types and tables', () => {
    expect(sets.map((s) => [s.name, s.typeName, s.table])).toEqual([
      ['Analytics', 'Analytic', 'analytics'],
      ['Conversations', 'Conversation', 'conversations'],
      ['Steps', 'Step', 'steps'],
      ['ExecutedSteps', 'ExecutedStep', 'executed_steps'],
      ['Sessions', 'Session', 'sessions'],
      ['LiveAgentEscalations', 'LiveAgentEscalation', 'live_agent_escalations'],
      ['ContactProfiles', 'ContactProfile', 'odata_contact_profiles'],
      ['ContactTasks', 'ContactTask', 'contact_tasks'],
      ['CompletedTasks', 'CompletedTask', 'completed_tasks'],
      ['Goals', 'Goal', 'goals'],
      ['GoalSteps', 'GoalStep', 'goal_steps'],
      ['GoalStepMetrics', 'GoalStepMetric', 'goal_step_metrics'],
      ['GoalEvents', 'GoalEvent', 'odata_goal_events'],
      ['GoalCycles', 'GoalCycle', 'goal_cycles'],
      ['ContactGoals', 'ContactGoal', 'contact_goals'],
    ]);
    expect(taskfeedModel.namespace).toBe('Taskfeed');
    expect(taskfeedModel.containerName).toBe('Container');
  });

  it.each(sets.map((s) => [s.name, s] as const))('%s is scoped by projectId on project_id', (_name, s) => {
    expect(s.projectProperty).toBe('projectId');
    expect(findProperty(s, 'projectId')).toMatchObject({ column: 'project_id', type: 'Edm.String', nullable: false });
  });

  it('keys', () => {
    expect(Object.fromEntries(sets.map((s) => [s.name, s.key]))).toEqual({
      Analytics: ['id'],
      Conversations: ['id'],
      Steps: ['id'],
      ExecutedSteps: ['id'],
      Sessions: ['id'],
      LiveAgentEscalations: ['projectId', 'id'],
      ContactProfiles: ['projectId', 'contactId'],
      ContactTasks: ['projectId', 'contactId', 'task'],
      CompletedTasks: ['id'],
      Goals: ['projectId', 'goalId'],
      GoalSteps: ['version', 'goalStepId'],
      GoalStepMetrics: ['version', 'goalStepMetricId'],
      GoalEvents: ['id'],
      GoalCycles: ['id'],
      ContactGoals: ['projectId', 'contactId', 'goalId'],
    });
  });

  it.each([
    ['Analytics', 'timestamp', 'occurred_at', 'Edm.DateTimeOffset'],
    ['Analytics', 'intentScore', 'intent_score', 'Edm.Double'],
    ['Analytics', 'completedGoalsList', 'completed_goals_list', 'Edm.String'],
    ['Analytics', 'understood', 'understood', 'Edm.Boolean'],
    ['Analytics', 'executionTime', 'execution_time', 'Edm.Int32'],
    ['Conversations', 'timestamp', 'occurred_at', 'Edm.DateTimeOffset'],
    ['Conversations', 'inHandoverRequest', 'in_handover_request', 'Edm.Boolean'],
    ['Steps', 'entityReferenceId', 'entity_reference_id', 'Edm.String'],
    ['ExecutedSteps', 'timestamp', 'occurred_at', 'Edm.DateTimeOffset'],
    ['Sessions', 'goals', 'goals', 'Edm.String'],
    ['Sessions', 'stepsCount', 'steps_count', 'Edm.Int32'],
    ['Sessions', 'lastActivityAt', 'last_activity_at', 'Edm.DateTimeOffset'],
    ['LiveAgentEscalations', 'timestamp', 'occurred_at', 'Edm.DateTimeOffset'],
    ['LiveAgentEscalations', 'labels', 'labels', 'Edm.String'],
    ['LiveAgentEscalations', 'updatedAt', 'updated_at', 'Edm.DateTimeOffset'],
    ['ContactProfiles', 'birthday', 'birthday', 'Edm.Date'],
    ['ContactProfiles', 'privacy_policy', 'privacy_policy_accepted', 'Edm.Boolean'],
    ['ContactProfiles', 'privacyPolicyAcceptedAt', 'privacy_policy_accepted_at', 'Edm.DateTimeOffset'],
    ['ContactProfiles', 'custom', 'custom', 'Edm.String'],
    ['ContactProfiles', 'tasksCompleted', 'tasks_completed', 'Edm.String'],
    ['ContactTasks', 'count', 'completion_count', 'Edm.Int32'],
    ['CompletedTasks', 'flowReferenceId', 'flow_id', 'Edm.String'],
    ['CompletedTasks', 'timestamp', 'occurred_at', 'Edm.DateTimeOffset'],
    ['GoalSteps', 'order', 'step_order', 'Edm.Int32'],
    ['GoalStepMetrics', 'value', 'value', 'Edm.Int32'],
    ['GoalEvents', 'timestamp', 'occurred_at', 'Edm.DateTimeOffset'],
    ['GoalCycles', 'timeSavedSeconds', 'time_saved_seconds', 'Edm.Int64'],
    ['ContactGoals', 'count', 'completion_count', 'Edm.Int32'],
  ])('%s.%s → column %s, %s', (setName, name, column, type) => {
    expect(findProperty(set(setName), name)).toMatchObject({ column, type });
  });

  it('declares microsecond precision on every timestamp', () => {
    const timestamps = sets.flatMap((s) => s.properties.filter((p) => p.type === 'Edm.DateTimeOffset'));
    expect(timestamps.length).toBeGreaterThan(10);
    for (const p of timestamps) expect(p.precision).toBe(6);
  });

  it('marks only string properties searchable, and the free-text ones', () => {
    for (const s of sets) for (const p of s.properties.filter((q) => q.searchable)) expect(p.type).toBe('Edm.String');
    const searchable = (name: string) => set(name).properties.filter((p) => p.searchable).map((p) => p.name);
    expect(searchable('Analytics')).toEqual(expect.arrayContaining(['inputText', 'intent', 'flowName']));
    expect(searchable('ExecutedSteps')).toEqual(expect.arrayContaining(['stepLabel', 'flowName']));
    expect(searchable('Steps')).toEqual(expect.arrayContaining(['label', 'flowName']));
    expect(searchable('CompletedTasks')).toEqual(expect.arrayContaining(['task', 'flowName']));
    expect(searchable('ContactTasks')).toEqual(['task']);
  });

  it('navigations: targets, multiplicity and join pairs', () => {
    const navs = sets.flatMap((s) =>
      s.navigations.map((n) => `${s.name}.${n.name} → ${n.collection ? '*' : '1'} ${n.target} on ${n.on.map((p) => `${p.from}=${p.to}`).join(',')}`),
    );
    expect(navs).toEqual([
      'Analytics.session → 1 Sessions on projectId=projectId,sessionId=sessionId',
      'Conversations.session → 1 Sessions on projectId=projectId,sessionId=sessionId',
      'ExecutedSteps.session → 1 Sessions on projectId=projectId,sessionId=sessionId',
      'ExecutedSteps.step → 1 Steps on projectId=projectId,entityReferenceId=entityReferenceId',
      'Sessions.analytics → * Analytics on projectId=projectId,sessionId=sessionId',
      'Sessions.conversations → * Conversations on projectId=projectId,sessionId=sessionId',
      'Sessions.executedSteps → * ExecutedSteps on projectId=projectId,sessionId=sessionId',
      'Sessions.completedTasks → * CompletedTasks on projectId=projectId,sessionId=sessionId',
      'Sessions.escalations → * LiveAgentEscalations on projectId=projectId,sessionId=sessionId',
      'Sessions.goalEvents → * GoalEvents on projectId=projectId,sessionId=sessionId',
      'Sessions.goalCycles → * GoalCycles on projectId=projectId,sessionId=sessionId',
      'LiveAgentEscalations.session → 1 Sessions on projectId=projectId,sessionId=sessionId',
      'ContactProfiles.tasks → * ContactTasks on projectId=projectId,contactId=contactId',
      'ContactProfiles.goals → * ContactGoals on projectId=projectId,contactId=contactId',
      'ContactProfiles.completedTasks → * CompletedTasks on projectId=projectId,contactId=contactId',
      'ContactProfiles.sessions → * Sessions on projectId=projectId,contactId=userId',
      'ContactTasks.contactProfile → 1 ContactProfiles on projectId=projectId,contactId=contactId',
      'CompletedTasks.session → 1 Sessions on projectId=projectId,sessionId=sessionId',
      'CompletedTasks.contactProfile → 1 ContactProfiles on projectId=projectId,contactId=contactId',
      'Goals.steps → * GoalSteps on projectId=projectId,goalId=goalId,version=version',
      'Goals.metrics → * GoalStepMetrics on projectId=projectId,goalId=goalId,version=version',
      'Goals.events → * GoalEvents on projectId=projectId,goalId=goalId',
      'Goals.cycles → * GoalCycles on projectId=projectId,goalId=goalId',
      'GoalSteps.goal → 1 Goals on projectId=projectId,goalId=goalId',
      'GoalSteps.metrics → * GoalStepMetrics on projectId=projectId,goalId=goalId,version=version,goalStepId=goalStepId',
      'GoalSteps.events → * GoalEvents on projectId=projectId,goalId=goalId,version=version,goalStepId=stepId',
      'GoalStepMetrics.goal → 1 Goals on projectId=projectId,goalId=goalId',
      'GoalStepMetrics.step → 1 GoalSteps on projectId=projectId,goalId=goalId,version=version,goalStepId=goalStepId',
      'GoalEvents.session → 1 Sessions on projectId=projectId,sessionId=sessionId',
      'GoalEvents.goal → 1 Goals on projectId=projectId,goalId=goalId',
      'GoalEvents.step → 1 GoalSteps on projectId=projectId,goalId=goalId,version=version,stepId=goalStepId',
      'GoalEvents.cycle → 1 GoalCycles on projectId=projectId,sessionId=sessionId,goalId=goalId,goalCycleId=goalCycleId',
      'GoalCycles.session → 1 Sessions on projectId=projectId,sessionId=sessionId',
      'GoalCycles.goal → 1 Goals on projectId=projectId,goalId=goalId',
      'GoalCycles.events → * GoalEvents on projectId=projectId,sessionId=sessionId,goalId=goalId,goalCycleId=goalCycleId',
      'GoalCycles.contactProfile → 1 ContactProfiles on projectId=projectId,contactId=contactId',
      'ContactGoals.contactProfile → 1 ContactProfiles on projectId=projectId,contactId=contactId',
      'ContactGoals.goal → 1 Goals on projectId=projectId,goalId=goalId',
    ]);
  });

  it.each(sets.flatMap((s) => s.navigations.map((n) => [`${s.name}.${n.name}`, s, n] as const)))(
    '%s joins on existing properties of the right sets, projectId first, same types',
    (_label, s, n) => {
      const target = set(n.target);
      expect(n.on[0]).toEqual({ from: 'projectId', to: 'projectId' });
      for (const pair of n.on) {
        const from = findProperty(s, pair.from);
        const to = findProperty(target, pair.to);
        expect(from).toBeDefined();
        expect(to).toBeDefined();
        expect(from?.type).toBe(to?.type);
      }
    },
  );

  it('is frozen', () => {
    expect(Object.isFrozen(taskfeedModel)).toBe(true);
    expect(Object.isFrozen(set('Sessions').properties[0])).toBe(true);
    expect(Object.isFrozen(set('Sessions').navigations[0]?.on)).toBe(true);
  });
});

describe('lookups are exact-case', () => {
  it.each([
    ['Sessions', true],
    ['sessions', false],
    ['SESSIONS', false],
    ['Session', false],
  ])('findEntitySet(%s) found=%s', (name, found) => {
    expect(findEntitySet(taskfeedModel, name) !== undefined).toBe(found);
  });

  it.each([
    ['startedAt', 'started_at'],
    ['StartedAt', undefined],
    ['started_at', undefined],
  ])('findProperty(Sessions, %s) → %s', (name, column) => {
    expect(findProperty(set('Sessions'), name)?.column).toBe(column);
  });

  it.each([
    ['analytics', 'Analytics'],
    ['Analytics', undefined],
    ['session', undefined],
  ])('findNavigation(Sessions, %s) → %s', (name, target) => {
    expect(findNavigation(set('Sessions'), name)?.target).toBe(target);
  });
});
