-- @groundwork/jobs: what graphile-worker does not keep. graphile-worker installs and migrates its
-- own schema (`graphile_worker`) in the MigrationSet's prepare hook, before this file runs.
create schema if not exists jobs;
comment on schema jobs is 'Groundwork jobs: run history, DB-stored schedules, worker heartbeats, materialized view registry.';

-- One row per finished attempt (success or failure), written by the runner that ran it; an
-- attempt lost with a dead worker is recorded by the sweeper that recovered its job.
create table jobs.runs (
  id bigint generated always as identity primary key,
  job_id bigint not null,
  task text not null,
  queue text,
  payload jsonb,
  attempt integer not null,
  max_attempts integer not null,
  worker_id text,
  started_at timestamptz not null,
  finished_at timestamptz not null,
  duration_ms integer not null,
  outcome text not null check (outcome in ('success', 'failure')),
  error text
);
create index runs_finished_at_idx on jobs.runs (finished_at);
create index runs_task_idx on jobs.runs (task, finished_at desc);
create index runs_job_idx on jobs.runs (job_id);

-- Recurring jobs, editable at runtime. `next_run_at` is the next tick not yet enqueued; the tick
-- that enqueues it advances it in the same transaction (rows are claimed with SKIP LOCKED), so a
-- tick is enqueued once however many instances run.
create table jobs.schedules (
  name text primary key,
  task text not null,
  payload jsonb not null default '{}'::jsonb,
  cron text not null,
  time_zone text not null default 'UTC',
  enabled boolean not null default true,
  backfill_seconds integer not null default 0 check (backfill_seconds >= 0),
  queue text,
  priority integer,
  max_attempts integer check (max_attempts is null or max_attempts > 0),
  next_run_at timestamptz,
  last_run_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index schedules_due_idx on jobs.schedules (next_run_at) where enabled;

-- Heartbeats of graphile-worker worker ids (and worker pool ids) owned by live runners.
create table jobs.workers (
  worker_id text primary key,
  instance_id text not null,
  hostname text,
  pid integer,
  started_at timestamptz not null default now(),
  last_seen timestamptz not null default now()
);
create index workers_last_seen_idx on jobs.workers (last_seen);

-- Materialized views Groundwork refreshes, with the outcome of the last refresh.
create table jobs.matviews (
  name text primary key,
  schema_name text not null,
  view_name text not null,
  schedule text,
  time_zone text not null default 'UTC',
  refresh_concurrently boolean not null default false,
  status text not null default 'never' check (status in ('never', 'refreshing', 'success', 'failure')),
  last_started_at timestamptz,
  last_finished_at timestamptz,
  last_duration_ms integer,
  last_error text,
  registered_at timestamptz not null default now(),
  unique (schema_name, view_name)
);

revoke all on schema jobs from public;
