-- Daily task KPIs per project and task (UTC days), read by the DailyTaskKpis entity set in daily-task-kpis.json.
-- Create once:   psql "$DATABASE_URL" -f examples/model-dir/daily_task_kpis.sql
-- Refresh (cron): psql "$DATABASE_URL" -c 'REFRESH MATERIALIZED VIEW CONCURRENTLY daily_task_kpis'
CREATE MATERIALIZED VIEW IF NOT EXISTS daily_task_kpis AS
SELECT
  (occurred_at AT TIME ZONE 'UTC')::date AS day,
  project_id,
  task,
  count(*)::integer                   AS completions,
  count(DISTINCT session_id)::integer AS sessions,
  count(DISTINCT contact_id)::integer AS contacts
FROM completed_tasks
GROUP BY 1, 2, 3;

-- The key of the entity set; REFRESH … CONCURRENTLY needs a unique index.
CREATE UNIQUE INDEX IF NOT EXISTS daily_task_kpis_key ON daily_task_kpis (project_id, day, task);
