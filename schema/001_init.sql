-- Initial schema: raw events, derived analytics tables, contact profiles, per-project settings.
-- Derived tables are recomputed from their source rows inside the ingesting transaction, so the
-- stored result never depends on the order in which events arrive.

-- Every accepted event id, for idempotency; payload is kept for the event kinds whose derived
-- rows are folded from it (profiles, handovers, sessions) and is NULL when the project drops it.
CREATE TABLE events (
  event_id     text PRIMARY KEY,
  type         text NOT NULL,
  project_id   text NOT NULL,
  contact_id   text,
  session_id   text,
  occurred_at  timestamptz NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  payload      jsonb,
  -- What the event feeds, decided by the project's settings when it arrived: the analytics tables (sessions,
  -- analytics, …) and/or the contact profile. Both false for an event that was acknowledged and dropped.
  for_analytics  boolean NOT NULL DEFAULT true,
  for_profile    boolean NOT NULL DEFAULT true
);
CREATE INDEX events_session_idx ON events (project_id, session_id, occurred_at) WHERE session_id IS NOT NULL;
CREATE INDEX events_contact_idx ON events (project_id, contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX events_occurred_idx ON events (occurred_at);
-- An escalation's row is folded from all its handover events.
CREATE INDEX events_escalation_idx ON events (project_id, (payload->>'escalationId')) WHERE type = 'handover';

CREATE TABLE project_settings (
  project_id                    text PRIMARY KEY,
  collect_analytics             boolean NOT NULL DEFAULT true,
  contact_profiles              boolean NOT NULL DEFAULT true,
  mask_sensitive                boolean NOT NULL DEFAULT false,
  mask_ip                       boolean NOT NULL DEFAULT false,
  retention_events_days         integer CHECK (retention_events_days > 0),
  retention_analytics_days      integer CHECK (retention_analytics_days > 0),
  retention_conversations_days  integer CHECK (retention_conversations_days > 0),
  retention_steps_days          integer CHECK (retention_steps_days > 0),
  retention_sessions_days       integer CHECK (retention_sessions_days > 0),
  retention_escalations_days    integer CHECK (retention_escalations_days > 0),
  retention_tasks_days          integer CHECK (retention_tasks_days > 0),
  retention_profiles_days       integer CHECK (retention_profiles_days > 0),
  updated_at                    timestamptz NOT NULL DEFAULT now()
);

-- GDPR erasures: events of the contact dated at or before erased_at are dropped when they arrive
-- late, so an erasure holds whatever the delivery order. Only a hash of the contact id is kept.
CREATE TABLE erasures (
  project_id    text NOT NULL,
  contact_hash  text NOT NULL,
  erased_at     timestamptz NOT NULL,
  PRIMARY KEY (project_id, contact_hash)
);

-- Sessions taken by an erasure: the session held the erased contact's data by then. Late events of anyone in the
-- session dated at or before erased_at are dropped, and a later erasure of the same contact takes the session again,
-- whatever order events and erasures arrive in. Keeps the (opaque) session id and the contact's hash only.
CREATE TABLE erased_sessions (
  project_id    text NOT NULL,
  session_id    text NOT NULL,
  contact_hash  text NOT NULL,
  erased_at     timestamptz NOT NULL,
  PRIMARY KEY (project_id, session_id, contact_hash)
);
CREATE INDEX erased_sessions_contact_idx ON erased_sessions (project_id, contact_hash);

-- One row per task.completed event (OData CompletedTasks).
CREATE TABLE completed_tasks (
  id                text PRIMARY KEY,
  project_id        text NOT NULL,
  organisation_id   text,
  contact_id        text NOT NULL,
  session_id        text NOT NULL,
  input_id          text,
  task              text NOT NULL,
  flow_id           text,
  flow_name         text,
  node_id           text,
  channel           text,
  user_type         text,
  occurred_at       timestamptz NOT NULL
);
CREATE INDEX completed_tasks_time_idx ON completed_tasks (project_id, occurred_at, id);
CREATE INDEX completed_tasks_session_idx ON completed_tasks (project_id, session_id);
CREATE INDEX completed_tasks_contact_idx ON completed_tasks (project_id, contact_id);
CREATE INDEX completed_tasks_task_idx ON completed_tasks (project_id, task);
CREATE INDEX completed_tasks_input_idx ON completed_tasks (project_id, input_id) WHERE input_id IS NOT NULL;

CREATE TABLE contact_profiles (
  project_id                   text NOT NULL,
  contact_id                   text NOT NULL,
  firstname                    text,
  lastname                     text,
  email                        text,
  gender                       text,
  age                          integer,
  birthday                     date,
  location                     text,
  accepted_gdpr                boolean,
  privacy_policy_accepted      boolean,
  privacy_policy_accepted_at   timestamptz,
  custom                       jsonb,
  first_seen_at                timestamptz NOT NULL,
  last_seen_at                 timestamptz NOT NULL,
  updated_at                   timestamptz,
  PRIMARY KEY (project_id, contact_id)
);
CREATE INDEX contact_profiles_seen_idx ON contact_profiles (project_id, last_seen_at);

-- Per contact and task: the aggregate a profile shows (an extension of Cognigy's plain task list).
CREATE TABLE contact_tasks (
  project_id          text NOT NULL,
  contact_id          text NOT NULL,
  task                text NOT NULL,
  first_completed_at  timestamptz NOT NULL,
  last_completed_at   timestamptz NOT NULL,
  completion_count    integer NOT NULL,
  last_session_id     text,
  -- Tie-break for last_session_id when two completions share a timestamp.
  last_event_id       text,
  PRIMARY KEY (project_id, contact_id, task)
);

CREATE TABLE sessions (
  id                      text NOT NULL,
  project_id              text NOT NULL,
  session_id              text NOT NULL,
  organisation_id         text,
  user_id                 text,
  user_type               text,
  channel                 text,
  started_at              timestamptz NOT NULL,
  last_activity_at        timestamptz NOT NULL,
  goals                   text,
  step_path               text,
  steps_count             integer NOT NULL DEFAULT 0,
  handover_escalations    integer NOT NULL DEFAULT 0,
  locale_reference_id     text,
  locale_name             text,
  endpoint_reference_id   text,
  endpoint_name           text,
  endpoint_url_token      text,
  project_name            text,
  snapshot_id             text,
  snapshot_name           text,
  rating                  integer,
  rating_comment          text,
  PRIMARY KEY (project_id, session_id),
  UNIQUE (id)
);
CREATE INDEX sessions_started_idx ON sessions (project_id, started_at, id);
CREATE INDEX sessions_user_idx ON sessions (project_id, user_id);

-- One row per user input (OData Analytics).
CREATE TABLE analytics (
  id                    text PRIMARY KEY,
  project_id            text NOT NULL,
  organisation          text,
  input_id              text NOT NULL,
  session_id            text NOT NULL,
  contact_id            text NOT NULL,
  flow_reference_id     text,
  flow_name             text,
  project_name          text,
  entrypoint            text,
  ip                    text,
  input_text            text,
  input_data            text,
  state                 text,
  mode                  text,
  user_type             text,
  channel               text,
  flow_language         text,
  intent                text,
  intent_flow           text,
  intent_score          double precision,
  completed_goals_list  text,
  found_slots           text,
  found_slot_details    text,
  understood            boolean,
  occurred_at           timestamptz NOT NULL,
  execution_time        integer,
  execution             integer,
  custom1 text, custom2 text, custom3 text, custom4 text, custom5 text,
  custom6 text, custom7 text, custom8 text, custom9 text, custom10 text,
  locale_reference_id   text,
  locale_name           text,
  endpoint_url_token    text,
  endpoint_name         text,
  rating                integer,
  rating_comment        text,
  snapshot_name         text,
  -- The input event the row comes from; the newest event for an input wins.
  event_id              text,
  UNIQUE (project_id, input_id)
);
CREATE INDEX analytics_time_idx ON analytics (project_id, occurred_at, id);
CREATE INDEX analytics_time_only_idx ON analytics (occurred_at, id);
CREATE INDEX analytics_session_idx ON analytics (project_id, session_id);
CREATE INDEX analytics_contact_idx ON analytics (project_id, contact_id);
CREATE INDEX analytics_intent_idx ON analytics (project_id, intent);

-- One row per message (OData Conversations).
CREATE TABLE conversations (
  id                        text PRIMARY KEY,
  project_id                text NOT NULL,
  project_name              text,
  organisation              text,
  input_id                  text,
  session_id                text NOT NULL,
  contact_id                text NOT NULL,
  input_text                text,
  input_data                text,
  type                      text NOT NULL,
  source                    text NOT NULL,
  occurred_at               timestamptz NOT NULL,
  flow_name                 text,
  flow_parent_id            text,
  channel                   text,
  in_handover_request       boolean,
  in_handover_conversation  boolean,
  output_id                 text,
  input_attachments         text,
  reference                 text,
  locale_reference_id       text,
  endpoint_url_token        text,
  endpoint_name             text,
  snapshot_id               text,
  snapshot_name             text,
  rating                    integer,
  rating_comment            text
);
CREATE INDEX conversations_time_idx ON conversations (project_id, occurred_at, id);
CREATE INDEX conversations_session_idx ON conversations (project_id, session_id);
CREATE INDEX conversations_contact_idx ON conversations (project_id, contact_id);

-- Analytics-step catalog (OData Steps); the label of the latest step.executed event wins.
CREATE TABLE steps (
  id                   text NOT NULL,
  project_id           text NOT NULL,
  entity_reference_id  text NOT NULL,
  label                text,
  type                 text NOT NULL,
  flow_reference_id    text,
  flow_name            text,
  project_name         text,
  snapshot_id          text,
  snapshot_name        text,
  last_seen_at         timestamptz NOT NULL,
  last_event_id        text NOT NULL,
  PRIMARY KEY (project_id, entity_reference_id),
  UNIQUE (id)
);

-- One row per step.executed event (OData ExecutedSteps).
CREATE TABLE executed_steps (
  id                   text PRIMARY KEY,
  project_id           text NOT NULL,
  organisation_id      text,
  project_name         text,
  user_id              text NOT NULL,
  session_id           text NOT NULL,
  input_id             text,
  step_label           text,
  parent_step          text,
  type                 text NOT NULL,
  entity_reference_id  text NOT NULL,
  flow_reference_id    text,
  flow_name            text,
  snapshot_id          text,
  snapshot_name        text,
  locale_reference_id  text,
  locale_name          text,
  endpoint_url_token   text,
  endpoint_name        text,
  occurred_at          timestamptz NOT NULL
);
CREATE INDEX executed_steps_time_idx ON executed_steps (project_id, occurred_at, id);
CREATE INDEX executed_steps_session_idx ON executed_steps (project_id, session_id);
CREATE INDEX executed_steps_entity_idx ON executed_steps (project_id, entity_reference_id);
CREATE INDEX executed_steps_user_idx ON executed_steps (project_id, user_id);

-- One row per escalation (OData LiveAgentEscalations), folded from its handover events.
CREATE TABLE live_agent_escalations (
  id                   text NOT NULL,
  project_id           text NOT NULL,
  organisation_id      text,
  session_id           text NOT NULL,
  occurred_at          timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL,
  status               text NOT NULL,
  inbox_id             text,
  inbox_name           text,
  team_id              text,
  team_name            text,
  labels               text,
  agent_id             text,
  agent_name           text,
  contact_id           text,
  user_id              text,
  endpoint_name        text,
  endpoint_type        text,
  endpoint_url_token   text,
  channel              text,
  locale_name          text,
  locale_reference_id  text,
  snapshot_id          text,
  snapshot_name        text,
  PRIMARY KEY (project_id, id)
);
CREATE INDEX live_agent_escalations_time_idx ON live_agent_escalations (project_id, occurred_at, id);
CREATE INDEX live_agent_escalations_session_idx ON live_agent_escalations (project_id, session_id);
CREATE INDEX live_agent_escalations_user_idx ON live_agent_escalations (project_id, user_id);
CREATE INDEX live_agent_escalations_updated_idx ON live_agent_escalations (project_id, updated_at);
