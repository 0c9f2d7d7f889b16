-- @groundwork/webhooks: Standard Webhooks on database changes.
--
-- Capture: a statement-level trigger on realtime.changes (the change log realtime's capture
-- triggers append to, in the writing transaction) turns each change of a watched table into one
-- delivery per matching endpoint, and enqueues one `webhooks:dispatch` job per endpoint touched —
-- in the same transaction, so a rolled-back write sends nothing and a committed one is never lost
-- (writes from psql and other services count too). The dispatch job posts due deliveries, at most
-- `max_concurrency` in flight per endpoint, and records every outcome.

create schema if not exists webhooks;

create table webhooks.endpoints (
  id uuid primary key default gen_random_uuid(),
  url text not null,
  schema_name text not null,
  table_name text not null,
  events text[] not null check (cardinality(events) > 0 and events <@ array['INSERT', 'UPDATE', 'DELETE']),
  -- The filter as written (realtime's grammar: `status=eq.paid,total=gte.100`) and parsed.
  filter text,
  conditions jsonb not null default '[]',
  headers jsonb not null default '{}',
  description text,
  -- Deliver changes of one row in commit order (one in flight per row at a time).
  ordered boolean not null default false,
  max_concurrency integer not null default 10 check (max_concurrency between 1 and 1000),
  enabled boolean not null default true,
  disabled_reason text,
  disabled_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index endpoints_table_idx on webhooks.endpoints (schema_name, table_name) where enabled;

-- Signing secrets: several may be active (rotation). They are used to sign, so they are stored,
-- not hashed; the schema is readable by the connecting role only.
create table webhooks.secrets (
  id uuid primary key default gen_random_uuid(),
  endpoint_id uuid not null references webhooks.endpoints (id) on delete cascade,
  -- v1: HMAC-SHA256 (`whsec_…`); v1a: ed25519 (`whsk_…`, public key `whpk_…`).
  kind text not null check (kind in ('v1', 'v1a')),
  secret text not null,
  public_key text,
  created_at timestamptz not null default now(),
  expires_at timestamptz
);
create index secrets_endpoint_idx on webhooks.secrets (endpoint_id, created_at);

-- The delivery outbox. One row per (message, endpoint, redelivery); `message_id` is the
-- `webhook-id` header, the same on every attempt and on a redelivery.
create table webhooks.deliveries (
  id bigserial primary key,
  endpoint_id uuid not null references webhooks.endpoints (id) on delete cascade,
  message_id text not null,
  event_type text not null,
  change_id bigint,
  payload jsonb not null,
  -- The row's primary key (JSON text) for ordered endpoints, else null.
  ordering_key text,
  status text not null default 'pending' check (status in ('pending', 'sending', 'delivered', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  -- A `sending` delivery whose lease passed was in flight on a worker that died: due again.
  locked_until timestamptz,
  response_status integer,
  response_body text,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  delivered_at timestamptz,
  -- Delivered or failed for good. The partial indexes below name this column, not `status`, so
  -- a claim (pending → sending: status, attempts, lease) changes no indexed value and is a HOT
  -- update; only the outcome that settles a delivery touches the indexes.
  settled boolean generated always as (status in ('delivered', 'failed')) stored
) with (fillfactor = 80); -- room on the page for the claim's HOT version
create index deliveries_due_idx on webhooks.deliveries (endpoint_id, next_attempt_at, id)
  where not settled;
create index deliveries_order_idx on webhooks.deliveries (endpoint_id, ordering_key, id)
  where not settled and ordering_key is not null;
create index deliveries_endpoint_idx on webhooks.deliveries (endpoint_id, id desc);

revoke all on all tables in schema webhooks from public;

-- ---------------------------------------------------------------------------------------------
-- Filters: realtime's `column=operator.value` grammar, evaluated as realtime's matchesFilter
-- does (numbers compare as numbers, booleans as true/false, anything else as text; a null or
-- missing column matches only `is.null`). Conditions are stored parsed: [{column, operator, value}].
-- ---------------------------------------------------------------------------------------------

create function webhooks._compare(actual jsonb, expected text) returns integer
language plpgsql immutable as $$
declare
  t text;
begin
  if jsonb_typeof(actual) = 'number' then
    if expected !~ '^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$' then
      return null;
    end if;
    return sign((actual #>> '{}')::numeric - btrim(expected)::numeric)::integer;
  end if;
  if jsonb_typeof(actual) = 'boolean' then
    if expected not in ('true', 'false') then
      return null;
    end if;
    return case when actual #>> '{}' = expected then 0 when actual #>> '{}' = 'true' then 1 else -1 end;
  end if;
  t := case when jsonb_typeof(actual) = 'string' then actual #>> '{}' else actual::text end;
  return case when t = expected then 0 when t collate "C" < expected collate "C" then -1 else 1 end;
end
$$;

create function webhooks._condition(operator text, expected jsonb, actual jsonb) returns boolean
language plpgsql immutable as $$
declare
  ordering integer;
  v jsonb;
begin
  if operator = 'is' then
    if expected #>> '{}' = 'null' then
      return actual is null or jsonb_typeof(actual) = 'null';
    end if;
    return coalesce(jsonb_typeof(actual) = 'boolean' and actual #>> '{}' = expected #>> '{}', false);
  end if;
  if actual is null or jsonb_typeof(actual) = 'null' then
    return false;
  end if;
  if operator = 'in' then
    for v in select value from jsonb_array_elements(expected) loop
      if webhooks._compare(actual, v #>> '{}') = 0 then
        return true;
      end if;
    end loop;
    return false;
  end if;
  ordering := webhooks._compare(actual, expected #>> '{}');
  if ordering is null then
    return operator = 'neq';
  end if;
  return case operator
    when 'eq' then ordering = 0
    when 'neq' then ordering <> 0
    when 'lt' then ordering < 0
    when 'lte' then ordering <= 0
    when 'gt' then ordering > 0
    when 'gte' then ordering >= 0
    else false
  end;
end
$$;

create function webhooks.matches(conditions jsonb, row_data jsonb) returns boolean
language sql immutable as $$
  select conditions = '[]'::jsonb or (row_data is not null and not exists (
    select 1 from jsonb_array_elements(conditions) c
     where not coalesce(webhooks._condition(c ->> 'operator', c -> 'value', row_data -> (c ->> 'column')), false)))
$$;

-- ---------------------------------------------------------------------------------------------
-- Capture from realtime's change log
-- ---------------------------------------------------------------------------------------------

create function webhooks.payload(op text, schema_name text, table_name text, record jsonb, old_record jsonb, at timestamptz)
returns jsonb language sql immutable as $$
  select jsonb_build_object(
    'type', op,
    'timestamp', to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'data', jsonb_build_object('schema', schema_name, 'table', table_name, 'record', record, 'old_record', old_record))
$$;

-- Enqueue (or bring forward) the dispatch job of one endpoint. `replace` on a pending job sets its
-- run_at to now; a running job keeps running and a new one is added after it (graphile-worker's
-- job_key semantics), so a change committed while a dispatcher drains is never missed.
create function webhooks.wake(endpoint uuid, at timestamptz default now()) returns void
language plpgsql security definer set search_path = '' as $$
declare
  k text := 'webhooks:dispatch:' || endpoint::text;
begin
  perform graphile_worker.add_job(
    'webhooks:dispatch',
    json_build_object('endpointId', endpoint),
    run_at := at,
    max_attempts := 25,
    job_key := k,
    job_key_mode := case
      when exists (select 1 from graphile_worker.jobs j where j.key = k and j.locked_at is null and j.run_at <= at)
        then 'preserve_run_at' else 'replace' end);
end
$$;

create function webhooks.capture() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  endpoint uuid;
begin
  if not exists (select 1 from webhooks.endpoints where enabled) then
    return null;
  end if;
  for endpoint in
    with inserted as (
      insert into webhooks.deliveries (endpoint_id, message_id, event_type, change_id, payload, ordering_key)
      select e.id, 'msg_' || replace(gen_random_uuid()::text, '-', ''), c.op, c.id,
             webhooks.payload(c.op, c.schema_name, c.table_name, c.record, c.old_record, c.commit_timestamp),
             case when e.ordered then c.pk::text end
        from new_changes c
        join webhooks.endpoints e
          on e.enabled and e.schema_name = c.schema_name and e.table_name = c.table_name and c.op = any (e.events)
       where webhooks.matches(e.conditions, coalesce(c.record, c.old_record))
       order by c.id, e.id
      returning endpoint_id)
    select distinct endpoint_id from inserted
  loop
    perform webhooks.wake(endpoint);
  end loop;
  return null;
end
$$;

create trigger webhooks_capture after insert on realtime.changes
  referencing new table as new_changes
  for each statement execute function webhooks.capture();

-- ---------------------------------------------------------------------------------------------
-- Claiming due deliveries
-- ---------------------------------------------------------------------------------------------

/*
 * Records the outcomes of finished attempts, then claims up to `requested` due deliveries of one
 * endpoint — one round trip per dispatcher cycle. One dispatcher per endpoint at a time (it holds
 * the endpoint's advisory lock), which keeps at most max_concurrency requests in flight. Due: pending and past
 * next_attempt_at, or `sending` past its lease (the worker died). Ordered endpoints: only the
 * oldest unfinished delivery of each row. A 410 among the outcomes disables the endpoint.
 * An outcome is recorded only if its delivery is still the same attempt in flight (a lease that
 * passed and was claimed again is not overwritten).
 */
create function webhooks.claim(
  endpoint uuid, requested integer, lease_ms integer,
  done_ids bigint[] default null, done_attempts integer[] default null, done_statuses text[] default null,
  done_response_statuses integer[] default null, done_response_bodies text[] default null,
  done_errors text[] default null, done_delays_ms float8[] default null)
returns table (id bigint, message_id text, body text, attempts integer)
language plpgsql volatile
-- The due rows must come from deliveries_due_idx in its order, stopping after `requested`: a
-- backlog of n rows is then drained in O(n), not O(n²). Right after a bulk insert the statistics
-- still say the table is small and the planner prefers a bitmap scan of the whole backlog plus a
-- sort — on every claim. No sort leaves it the ordered index scan.
set enable_sort = off
as $$
declare
  e record;
begin
  if done_ids is not null and cardinality(done_ids) > 0 then
    update webhooks.deliveries d
       set status = r.status, response_status = r.response_status, response_body = r.response_body,
           last_error = r.error, locked_until = null, updated_at = now(),
           next_attempt_at = case when r.delay_ms is null then d.next_attempt_at
                                  else now() + make_interval(secs => r.delay_ms / 1000.0) end,
           delivered_at = case when r.status = 'delivered' then now() else d.delivered_at end
      from unnest(done_ids, done_attempts, done_statuses, done_response_statuses, done_response_bodies,
                  done_errors, done_delays_ms) as r(id, attempt, status, response_status, response_body, error, delay_ms)
     where d.id = r.id and d.attempts = r.attempt and d.status = 'sending';
    if 410 = any (done_response_statuses) then
      update webhooks.endpoints x
         set enabled = false, disabled_reason = 'the receiver answered 410 Gone', disabled_at = now(), updated_at = now()
       where x.id = endpoint and x.enabled;
    end if;
  end if;
  if requested <= 0 then
    return;
  end if;
  select x.ordered, x.enabled into e from webhooks.endpoints x where x.id = endpoint;
  if not found or not e.enabled then
    return;
  end if;
  return query
  with due as (
    select d.id from webhooks.deliveries d
     where d.endpoint_id = endpoint and d.next_attempt_at <= now()
       and not d.settled and (d.status = 'pending' or d.locked_until <= now())
       and (not e.ordered or d.ordering_key is null or not exists (
             select 1 from webhooks.deliveries p
              where p.endpoint_id = endpoint and p.ordering_key = d.ordering_key and p.id < d.id
                and not p.settled))
     order by d.next_attempt_at, d.id
     limit requested
     for update skip locked)
  update webhooks.deliveries d
     set status = 'sending', attempts = d.attempts + 1, updated_at = now(),
         locked_until = now() + make_interval(secs => lease_ms / 1000.0)
    from due where d.id = due.id
  returning d.id, d.message_id, d.payload::text, d.attempts;
end
$$;

-- When the endpoint next has work: the earliest pending retry or in-flight lease.
create function webhooks.next_due(endpoint uuid) returns timestamptz
language sql stable as $$
  select min(case when d.status = 'pending' then d.next_attempt_at else d.locked_until end)
    from webhooks.deliveries d
   where d.endpoint_id = endpoint and not d.settled
$$;
