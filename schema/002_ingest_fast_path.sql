-- Ingestion in fewer round trips, and sessions maintained incrementally instead of rebuilt from all their events.

-- Locks and state in one call: the advisory locks of a transaction in the order given (ascending, see
-- src/ingest/locks.ts), then the settings of the batch's projects and the erasure tombstones of its contacts and
-- sessions. Each statement of a plpgsql function takes a new snapshot, so the state is read after the locks and sees
-- an erasure committed by a transaction we waited for.
-- lock_keys: ["-822…", …]; projects: ["p1", …]; contacts: [{p, h}] hashed contact ids; sessions: [{p, s}].
CREATE FUNCTION ingest_lock_and_read_state(lock_keys json, projects json, contacts json, sessions json) RETURNS json
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  lock_key text;
  state json;
BEGIN
  FOR lock_key IN SELECT k FROM json_array_elements_text(lock_keys) AS k LOOP
    PERFORM pg_advisory_xact_lock(lock_key::bigint);
  END LOOP;
  SELECT json_build_object(
    'settings', (SELECT coalesce(json_agg(s), '[]'::json) FROM project_settings s
      WHERE s.project_id IN (SELECT json_array_elements_text(projects))),
    'contacts', (SELECT coalesce(json_agg(json_build_array(t.project_id, t.contact_hash, (extract(epoch FROM t.erased_at) * 1000000)::bigint::text)), '[]'::json)
      FROM erasures t JOIN json_to_recordset(contacts) AS k(p text, h text) ON t.project_id = k.p AND t.contact_hash = k.h),
    'sessions', (SELECT coalesce(json_agg(json_build_array(t.project_id, t.session_id, t.contact_hash, (extract(epoch FROM t.erased_at) * 1000000)::bigint::text)), '[]'::json)
      FROM erased_sessions t JOIN json_to_recordset(sessions) AS k(p text, s text) ON t.project_id = k.p AND t.session_id = k.s))
  INTO state;
  RETURN state;
END
$$;

-- A session's fold (sessions.fold): f first non-null value per field, l latest non-null value per field, g first
-- completion per task, x escalation ids, s the latest step; each entry [epoch microseconds, event id, value?], keys
-- ordering events by (time, id in byte order). Merging two folds keeps, per name, the earliest entry (or the latest):
-- commutative and associative, so a session folded batch by batch in any order equals the session folded from all
-- its events at once (src/ingest/derive-sql.ts writes the merge out per field).

-- Two maps of entries merged: per name the earliest entry (the goals, whose names are not known in advance).
CREATE FUNCTION ingest_fold_earliest(a jsonb, b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb) FROM (
    SELECT DISTINCT ON (k) k, v
    FROM (SELECT * FROM jsonb_each(coalesce(a, '{}'::jsonb)) UNION ALL SELECT * FROM jsonb_each(coalesce(b, '{}'::jsonb))) AS e(k, v)
    ORDER BY k, (v->>0)::bigint, (v->>1) COLLATE "C") AS picked
$$;

-- Whether key a = [micros, id] orders before key b.
CREATE FUNCTION ingest_key_before(a jsonb, b jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT (a->>0)::bigint < (b->>0)::bigint OR ((a->>0)::bigint = (b->>0)::bigint AND (a->>1) COLLATE "C" < (b->>1) COLLATE "C")
$$;

ALTER TABLE sessions ADD COLUMN fold jsonb;
