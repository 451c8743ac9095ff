-- Goals (the Track Goal node): versioned definitions, one row per step hit, the cycles derived from the hits, and
-- per-contact goal completions. Depends only on the tables of 001_init.sql.

-- The current definition of each goal. Every change creates a new version (a UUID); the previous versions stay in
-- goal_versions, goal_steps and goal_step_metrics, so that events recorded under them keep their meaning.
CREATE TABLE goals (
  project_id       text NOT NULL,
  goal_id          text NOT NULL,
  version          text NOT NULL,
  name             text NOT NULL,
  description      text,
  reference_id     text,
  organisation_id  text,
  created_at       timestamptz NOT NULL,
  -- Strictly increasing over all goals (see src/goals/store.ts), so `lastChanged gt <last value>` never misses a row.
  last_changed     timestamptz NOT NULL,
  created_by       text,
  last_changed_by  text,
  PRIMARY KEY (project_id, goal_id),
  UNIQUE (version)
);
CREATE INDEX goals_changed_idx ON goals (last_changed);

-- Every version of every goal: the goal-level fields as they were, and the whole definition as sent (canonical
-- JSON), which tells an identical PUT from a change.
CREATE TABLE goal_versions (
  project_id       text NOT NULL,
  goal_id          text NOT NULL,
  version          text PRIMARY KEY,
  name             text NOT NULL,
  description      text,
  reference_id     text,
  created_at       timestamptz NOT NULL,
  created_by       text,
  definition       jsonb NOT NULL
);
CREATE INDEX goal_versions_goal_idx ON goal_versions (project_id, goal_id, created_at);

CREATE TABLE goal_steps (
  project_id       text NOT NULL,
  goal_id          text NOT NULL,
  version          text NOT NULL,
  step_id          text NOT NULL,
  name             text NOT NULL,
  description      text,
  step_order       integer NOT NULL,
  text             text,
  -- 'start', 'completion' or NULL for a step in between.
  type             text CHECK (type IN ('start', 'completion')),
  organisation_id  text,
  PRIMARY KEY (version, step_id)
);
CREATE INDEX goal_steps_goal_idx ON goal_steps (project_id, goal_id, version);

CREATE TABLE goal_step_metrics (
  project_id       text NOT NULL,
  goal_id          text NOT NULL,
  version          text NOT NULL,
  step_id          text NOT NULL,
  metric_id        text NOT NULL,
  name             text NOT NULL,
  description      text,
  -- 'duration': seconds of time saved; 'currency': an amount in the project's currency (benefit tells which).
  type             text NOT NULL CHECK (type IN ('duration', 'currency')),
  benefit          text NOT NULL CHECK (benefit IN ('timeSaved', 'costSavings', 'revenue')),
  value            integer NOT NULL,
  organisation_id  text,
  PRIMARY KEY (version, metric_id)
);
CREATE INDEX goal_step_metrics_goal_idx ON goal_step_metrics (project_id, goal_id, version, step_id);

-- One row per step hit (a goal.step event with several stepIds gives several rows). goal_cycle_id is NULL while no
-- cycle is open for the hit: such a hit is kept, so that a start step arriving later but dated earlier adopts it.
CREATE TABLE goal_events (
  id                   text PRIMARY KEY,
  event_id             text NOT NULL,
  project_id           text NOT NULL,
  organisation_id      text,
  goal_id              text NOT NULL,
  version              text NOT NULL,
  step_id              text NOT NULL,
  -- Position of the step in the event's stepIds: orders the hits of one event.
  step_position        integer NOT NULL,
  occurred_at          timestamptz NOT NULL,
  session_id           text NOT NULL,
  contact_id           text,
  -- The cycle the event named; NULL when it was to be derived.
  requested_cycle_id   text,
  goal_cycle_id        text,
  -- Whether the hit may reach the contact profile (the project's contactProfiles switch when it arrived).
  for_profile          boolean NOT NULL,
  expires_at           timestamptz,
  locale_name          text,
  locale_reference_id  text,
  endpoint_name        text,
  endpoint_type        text,
  endpoint_url_token   text,
  channel              text,
  snapshot_id          text,
  snapshot_name        text
);
CREATE INDEX goal_events_event_idx ON goal_events (event_id);
CREATE INDEX goal_events_session_idx ON goal_events (project_id, session_id, goal_id);
CREATE INDEX goal_events_time_idx ON goal_events (project_id, occurred_at, id);
CREATE INDEX goal_events_time_only_idx ON goal_events (occurred_at, id);
CREATE INDEX goal_events_goal_idx ON goal_events (project_id, goal_id);
CREATE INDEX goal_events_contact_idx ON goal_events (project_id, contact_id) WHERE contact_id IS NOT NULL;

-- One row per goal cycle, rebuilt from its hits whenever a hit of its session and goal arrives.
CREATE TABLE goal_cycles (
  id                   text PRIMARY KEY,
  project_id           text NOT NULL,
  goal_id              text NOT NULL,
  goal_cycle_id        text NOT NULL,
  version              text NOT NULL,
  session_id           text NOT NULL,
  contact_id           text,
  status               text NOT NULL CHECK (status IN ('incomplete', 'partially completed', 'completed')),
  started_at           timestamptz NOT NULL,
  last_step_at         timestamptz NOT NULL,
  completed_at         timestamptz,
  steps_reached        integer NOT NULL,
  time_saved_seconds   bigint NOT NULL,
  cost_savings         bigint NOT NULL,
  revenue              bigint NOT NULL,
  channel              text,
  -- Whether the completion may reach the contact profile.
  for_profile          boolean NOT NULL
);
CREATE INDEX goal_cycles_session_idx ON goal_cycles (project_id, session_id, goal_id);
CREATE INDEX goal_cycles_time_idx ON goal_cycles (project_id, started_at, id);
CREATE INDEX goal_cycles_goal_idx ON goal_cycles (project_id, goal_id);
CREATE INDEX goal_cycles_contact_idx ON goal_cycles (project_id, contact_id) WHERE contact_id IS NOT NULL;

-- Goal events get their own retention period (Cognigy's "GoalsV2Events" bucket).
ALTER TABLE project_settings ADD COLUMN retention_goal_events_days integer CHECK (retention_goal_events_days > 0);

-- OData GoalEvents: only the hits that belong to a cycle are tracked.
CREATE VIEW odata_goal_events AS
SELECT id, project_id, organisation_id, goal_id, version, step_id, occurred_at, session_id, goal_cycle_id, expires_at,
  locale_name, locale_reference_id, endpoint_name, endpoint_type, endpoint_url_token, channel, snapshot_id, snapshot_name
FROM goal_events
WHERE goal_cycle_id IS NOT NULL;

-- Per contact and goal: first and last completion and how often (the profile's completed goals, like contact_tasks).
-- A view over the completed cycles, so it is right whatever order the hits arrive in; it lives as long as the profile.
CREATE VIEW contact_goals AS
SELECT c.project_id, c.contact_id, c.goal_id,
  min(c.completed_at) AS first_completed_at,
  max(c.completed_at) AS last_completed_at,
  count(*)::integer AS completion_count,
  (array_agg(c.session_id ORDER BY c.completed_at DESC, c.id COLLATE "C" DESC))[1] AS last_session_id,
  (array_agg(c.goal_cycle_id ORDER BY c.completed_at DESC, c.id COLLATE "C" DESC))[1] AS last_cycle_id
FROM goal_cycles c
JOIN contact_profiles p ON p.project_id = c.project_id AND p.contact_id = c.contact_id
WHERE c.status = 'completed' AND c.for_profile
GROUP BY c.project_id, c.contact_id, c.goal_id;
