-- Read-side views for entity sets whose OData shape differs from the stored rows (src/model/entity-model.ts).

-- ContactProfiles: custom fields as JSON text (Edm.String; filters and $search work on text), and
-- tasks_completed, the profile's task list (Cognigy's "Tasks Completed"): each task once, ordered
-- by first completion, joined with ', ' like Sessions.goals.
CREATE VIEW odata_contact_profiles AS
SELECT
  p.project_id,
  p.contact_id,
  p.firstname,
  p.lastname,
  p.email,
  p.gender,
  p.age,
  p.birthday,
  p.location,
  p.accepted_gdpr,
  p.privacy_policy_accepted,
  p.privacy_policy_accepted_at,
  p.custom::text AS custom,
  (
    SELECT string_agg(t.task, ', ' ORDER BY t.first_completed_at, t.task)
    FROM contact_tasks t
    WHERE t.project_id = p.project_id AND t.contact_id = p.contact_id
  ) AS tasks_completed,
  p.first_seen_at,
  p.last_seen_at,
  p.updated_at
FROM contact_profiles p;
