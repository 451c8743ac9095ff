// project settings → their SQL: one project's row, and the upsert of a whole settings body.
import { render, sql, type CompiledQuery } from '../sql/fragment';

export const loadSettingsQuery = (projectId: string): CompiledQuery => render(sql`SELECT * FROM project_settings WHERE project_id = ${projectId}`);

/** Values in column order: project id, the four switches, then the nine retention periods (days or null). */
export const saveSettingsQuery = (values: readonly unknown[]): CompiledQuery => {
  const [projectId, collectAnalytics, contactProfiles, maskSensitive, maskIp, ...retention] = values;
  const [events, analytics, conversations, steps, sessions, escalations, tasks, profiles, goalEvents] = retention;
  return render(sql`INSERT INTO project_settings (project_id, collect_analytics, contact_profiles, mask_sensitive, mask_ip,
  retention_events_days, retention_analytics_days, retention_conversations_days, retention_steps_days,
  retention_sessions_days, retention_escalations_days, retention_tasks_days, retention_profiles_days, retention_goal_events_days, updated_at)
VALUES (${projectId}, ${collectAnalytics}, ${contactProfiles}, ${maskSensitive}, ${maskIp}, ${events}, ${analytics}, ${conversations}, ${steps},
  ${sessions}, ${escalations}, ${tasks}, ${profiles}, ${goalEvents}, now())
ON CONFLICT (project_id) DO UPDATE SET collect_analytics = EXCLUDED.collect_analytics, contact_profiles = EXCLUDED.contact_profiles,
  mask_sensitive = EXCLUDED.mask_sensitive, mask_ip = EXCLUDED.mask_ip,
  retention_events_days = EXCLUDED.retention_events_days, retention_analytics_days = EXCLUDED.retention_analytics_days,
  retention_conversations_days = EXCLUDED.retention_conversations_days, retention_steps_days = EXCLUDED.retention_steps_days,
  retention_sessions_days = EXCLUDED.retention_sessions_days, retention_escalations_days = EXCLUDED.retention_escalations_days,
  retention_tasks_days = EXCLUDED.retention_tasks_days, retention_profiles_days = EXCLUDED.retention_profiles_days,
  retention_goal_events_days = EXCLUDED.retention_goal_events_days,
  updated_at = now()
RETURNING *`);
};
