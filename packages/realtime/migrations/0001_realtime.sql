-- @groundwork/realtime: change capture in the database, RLS-decided visibility, broadcast and presence.
--
-- Capture: realtime.enable('schema.table') installs three STATEMENT-level triggers with transition
-- tables. Each writing statement appends its rows to realtime.changes with one INSERT … SELECT and
-- sends one NOTIFY carrying only the highest change id, so payloads have no size limit and a
-- 10k-row UPDATE costs one NOTIFY. Every instance LISTENs and reads the log.

create schema if not exists realtime;
grant usage on schema realtime to {{anon}}, {{authenticated}}, {{service_role}};

-- The change log. `id` orders changes and is the SSE event id clients resume from.
create table realtime.changes (
  id bigserial primary key,
  schema_name text not null,
  table_name text not null,
  op text not null check (op in ('INSERT', 'UPDATE', 'DELETE')),
  pk jsonb not null,
  record jsonb,
  old_record jsonb,
  commit_timestamp timestamptz not null default now()
);
create index changes_commit_timestamp_idx on realtime.changes (commit_timestamp);
comment on table realtime.changes is
  'Committed row changes of realtime-enabled tables (written by statement-level triggers; read by @groundwork/realtime).';

-- Tables realtime.enable() was called on, with the functions it generated for them.
create table realtime.published (
  schema_name text not null,
  table_name text not null,
  relid oid not null,
  pk_columns text[] not null,
  capture_function text not null,
  visible_function text not null,
  enabled_at timestamptz not null default now(),
  primary key (schema_name, table_name)
);

-- Highest change / message id removed by realtime.prune(): a resume point at or below it cannot be
-- replayed completely, so the service answers `resync-required`.
create table realtime.retention (
  singleton boolean primary key default true check (singleton),
  changes_pruned_through bigint not null default 0,
  messages_pruned_through bigint not null default 0
);
insert into realtime.retention default values;

-- Broadcast and presence messages, and the table whose RLS policies authorize channels
-- (Supabase's model: SELECT to receive, INSERT to send / track presence).
create table realtime.messages (
  id bigserial primary key,
  topic text not null,
  extension text not null check (extension in ('broadcast', 'presence')),
  event text,
  payload jsonb,
  private boolean not null default true,
  inserted_at timestamptz not null default now()
);
create index messages_inserted_at_idx on realtime.messages (inserted_at);
alter table realtime.messages enable row level security;
grant select, insert on realtime.messages to {{anon}}, {{authenticated}}, {{service_role}};
grant usage on sequence realtime.messages_id_seq to {{anon}}, {{authenticated}}, {{service_role}};

-- The channel topic being authorized, for policies on realtime.messages (as in Supabase).
create function realtime.topic() returns text language sql stable as $$
  select nullif(current_setting('realtime.topic', true), '')
$$;

create function realtime.notify_message() returns trigger language plpgsql as $$
begin
  perform pg_notify('realtime_messages', new.id::text);
  return null;
end
$$;
create trigger notify_message after insert on realtime.messages
  for each row execute function realtime.notify_message();

-- Before any id is taken (a statement-level BEFORE trigger fires before column defaults are
-- evaluated), a writer of messages holds a shared advisory lock until its transaction ends, so
-- the reader waits on a gap only for writers of messages (see LogTailer).
create function realtime.lock_message_writer() returns trigger language plpgsql as $$
begin
  perform pg_advisory_xact_lock_shared(1735872628, 2);
  return null;
end
$$;
create trigger lock_message_writer before insert on realtime.messages
  for each statement execute function realtime.lock_message_writer();

-- Service instances (heartbeats) and the presence they track, so a sync sees every instance's
-- members and a crashed instance's members leave.
create table realtime.instances (
  id text primary key,
  heartbeat_at timestamptz not null default now()
);
create table realtime.presence (
  topic text not null,
  key text not null,
  ref text not null,
  instance_id text not null references realtime.instances (id) on delete cascade,
  state jsonb not null default '{}',
  joined_at timestamptz not null default now(),
  primary key (topic, ref)
);

-- ---------------------------------------------------------------------------------------------
-- enable / disable
-- ---------------------------------------------------------------------------------------------

create function realtime._parse_target(target text, out schema_name text, out table_name text, out relid oid)
language plpgsql stable as $$
declare
  parts text[];
begin
  parts := parse_ident(target);
  if array_length(parts, 1) = 1 then
    schema_name := 'public';
    table_name := parts[1];
  elsif array_length(parts, 1) = 2 then
    schema_name := parts[1];
    table_name := parts[2];
  else
    raise exception 'realtime: "%" is not a table name (expected schema.table)', target
      using errcode = '22023';
  end if;
  select c.oid into relid
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
   where n.nspname = schema_name and c.relname = table_name and c.relkind in ('r', 'p');
end
$$;

/*
 * realtime.enable('schema.table'): publish a table's changes. Generates, for this table,
 *  - a capture trigger function (SECURITY DEFINER, so writers need no privilege on the log) fired
 *    by three statement-level triggers with transition tables;
 *  - a visibility function that, run under a subscriber's role and claims, returns which of a batch
 *    of changes' primary keys name rows that role can SELECT (Postgres evaluates the RLS policies).
 * Idempotent: calling it again regenerates both (e.g. after the primary key changed).
 */
create function realtime.enable(target text) returns void language plpgsql as $enable$
declare
  t record;
  pk_columns text[];
  pk_types text[];
  pk_object text;
  pk_match text;
  suffix text;
  capture_fn text;
  visible_fn text;
  qualified text;
begin
  t := realtime._parse_target(target);
  if t.relid is null then
    raise exception 'realtime: table "%" does not exist', target using errcode = '42P01';
  end if;
  qualified := format('%I.%I', t.schema_name, t.table_name);

  select array_agg(a.attname::text order by k.ordinality),
         array_agg(format_type(a.atttypid, a.atttypmod) order by k.ordinality)
    into pk_columns, pk_types
    from pg_catalog.pg_index i
    cross join lateral unnest(i.indkey) with ordinality as k(attnum, ordinality)
    join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
   where i.indrelid = t.relid and i.indisprimary;
  if pk_columns is null then
    raise exception 'realtime: table % has no primary key', qualified
      using errcode = '55000', hint = 'Realtime identifies rows by their primary key; add one.';
  end if;

  pk_object := (select format('jsonb_build_object(%s)', string_agg(format('%L, %%1$s.%I', c, c), ', '))
                  from unnest(pk_columns) c);
  pk_match := (select string_agg(format('o.%1$I = n.%1$I', c), ' and ') from unnest(pk_columns) c);

  suffix := substr(md5(t.schema_name || '.' || t.table_name), 1, 12);
  capture_fn := format('realtime.%I', 'capture_' || suffix);
  visible_fn := format('realtime.%I', 'visible_' || suffix);

  execute format($f$
    create or replace function %1$s() returns trigger
    language plpgsql security definer set search_path = '' as $body$
    declare
      logged bigint;
    begin
      -- Held until this transaction ends: the log reader asks which transactions hold it to know
      -- who may still commit a lower change id (see LogTailer), instead of waiting on every
      -- transaction of the cluster.
      perform pg_advisory_xact_lock_shared(1735872628, 1);
      if tg_op = 'INSERT' then
        insert into realtime.changes (schema_name, table_name, op, pk, record)
        select %2$L, %3$L, 'INSERT', %4$s, to_jsonb(n) from new_rows n;
      elsif tg_op = 'DELETE' then
        insert into realtime.changes (schema_name, table_name, op, pk, old_record)
        select %2$L, %3$L, 'DELETE', %5$s, to_jsonb(o) from old_rows o;
      else
        -- Pair old and new rows by primary key; a row whose key changed is a DELETE plus an INSERT.
        -- Dynamic, so it is planned for this statement's row counts: a plan cached from a 1-row
        -- UPDATE (nested loops over unindexed transition tables) would be quadratic on 10k rows.
        execute $q$
        insert into realtime.changes (schema_name, table_name, op, pk, record, old_record)
        select %2$L, %3$L, 'UPDATE', %4$s, to_jsonb(n), to_jsonb(o)
          from new_rows n join old_rows o on %6$s
        union all
        select %2$L, %3$L, 'DELETE', %5$s, null, to_jsonb(o)
          from old_rows o where not exists (select from new_rows n where %6$s)
        union all
        select %2$L, %3$L, 'INSERT', %4$s, to_jsonb(n), null
          from new_rows n where not exists (select from old_rows o where %6$s)
        $q$;
      end if;
      get diagnostics logged = row_count;
      if logged > 0 then
        -- Only the id: the log carries the payload, so there is no 8000-byte NOTIFY limit.
        perform pg_notify('realtime_changes', currval('realtime.changes_id_seq')::text);
      end if;
      return null;
    end
    $body$
  $f$, capture_fn, t.schema_name, t.table_name, format(pk_object, 'n'), format(pk_object, 'o'), pk_match);

  -- Visibility for this table: for each subscriber identity (sorted by role), set the claims and
  -- run ONE static query joining the batch's primary keys to the table. RLS applies to that join,
  -- so Postgres evaluates the policies; the plan is cached across identities of the same role.
  execute format($f$
    create or replace function %1$s(groups jsonb, changes jsonb, deletes bigint[])
    returns table (grp integer, change_id bigint)
    -- One plan for every identity: custom plans would be re-planned (RLS included) per identity.
    language plpgsql volatile set plan_cache_mode = force_generic_plan as $body$
    declare
      g jsonb;
      current_role_name text := null;
      allowed boolean := false;
      ids bigint[];
      only_ids bigint[];
      switched text;
      %2$s
    begin
      select array_agg((x.value ->> 'id')::bigint order by x.ordinality), %3$s
        into ids, %4$s
        from jsonb_array_elements(changes) with ordinality as x;
      for g in select value from jsonb_array_elements(groups) loop
        if g ->> 'role' is distinct from current_role_name then
          current_role_name := g ->> 'role';
          perform set_config('role', current_role_name, true);
          allowed := has_table_privilege(%5$L::regclass, 'SELECT');
        end if;
        continue when not allowed;
        -- Assignments of plain expressions skip the executor (PL/pgSQL's simple-expression path),
        -- so switching claims costs far less than a PERFORM per identity.
        switched := set_config('request.jwt.claims', (g -> 'claims')::text, true)
                 || set_config('request.jwt.claim.sub', coalesce(g -> 'claims' ->> 'sub', ''), true)
                 || set_config('request.jwt.claim.role', current_role_name, true);
        -- Filters narrowed this identity's interest to these changes (a '{1,2}' array literal).
        only_ids := (g ->> 'only')::bigint[];
        if ids is not null then
          return query select (g ->> 'i')::integer, u.id
            from unnest(ids, %4$s) as u(id, %4$s) join %6$s t on %7$s
           where only_ids is null or u.id = any(only_ids);
        end if;
        if deletes is not null and cardinality(deletes) > 0 then
          return query select (g ->> 'i')::integer, d from unnest(deletes) d
           where only_ids is null or d = any(only_ids);
        end if;
      end loop;
    end
    $body$
  $f$, visible_fn,
    (select string_agg(format('k%s %s[];', o, ty), ' ') from unnest(pk_types) with ordinality as u(ty, o)),
    (select string_agg(format('array_agg((x.value -> ''pk'' ->> %L)::%s order by x.ordinality)', c, ty), ', ')
       from unnest(pk_columns, pk_types) as u(c, ty)),
    (select string_agg(format('k%s', o), ', ') from unnest(pk_columns) with ordinality as u(c, o)),
    qualified,
    qualified,
    (select string_agg(format('t.%I = u.k%s', c, o), ' and ') from unnest(pk_columns) with ordinality as u(c, o)));
  execute format('revoke execute on function %s(jsonb, jsonb, bigint[]) from public', visible_fn);

  execute format('drop trigger if exists realtime_capture_insert on %s', qualified);
  execute format('drop trigger if exists realtime_capture_update on %s', qualified);
  execute format('drop trigger if exists realtime_capture_delete on %s', qualified);
  execute format('create trigger realtime_capture_insert after insert on %s referencing new table as new_rows '
                 'for each statement execute function %s()', qualified, capture_fn);
  execute format('create trigger realtime_capture_update after update on %s referencing old table as old_rows '
                 'new table as new_rows for each statement execute function %s()', qualified, capture_fn);
  execute format('create trigger realtime_capture_delete after delete on %s referencing old table as old_rows '
                 'for each statement execute function %s()', qualified, capture_fn);

  insert into realtime.published (schema_name, table_name, relid, pk_columns, capture_function, visible_function)
  values (t.schema_name, t.table_name, t.relid, pk_columns, capture_fn, visible_fn)
  on conflict (schema_name, table_name) do update
    set relid = excluded.relid, pk_columns = excluded.pk_columns,
        capture_function = excluded.capture_function, visible_function = excluded.visible_function;
  perform pg_notify('realtime_published', qualified);
end
$enable$;

/* realtime.disable('schema.table'): stop publishing a table (its logged changes stay until pruned). */
create function realtime.disable(target text) returns void language plpgsql as $disable$
declare
  t record;
  p realtime.published;
  qualified text;
begin
  t := realtime._parse_target(target);
  select * into p from realtime.published where schema_name = t.schema_name and table_name = t.table_name;
  if p is null then
    return;
  end if;
  qualified := format('%I.%I', t.schema_name, t.table_name);
  if t.relid is not null then
    execute format('drop trigger if exists realtime_capture_insert on %s', qualified);
    execute format('drop trigger if exists realtime_capture_update on %s', qualified);
    execute format('drop trigger if exists realtime_capture_delete on %s', qualified);
  end if;
  execute format('drop function if exists %s()', p.capture_function);
  execute format('drop function if exists %s(jsonb, jsonb, bigint[])', p.visible_function);
  delete from realtime.published where schema_name = t.schema_name and table_name = t.table_name;
  perform pg_notify('realtime_published', qualified);
end
$disable$;

-- ---------------------------------------------------------------------------------------------
-- Visibility: one call decides a batch of changes for every distinct claims set.
-- ---------------------------------------------------------------------------------------------

/*
 * Decides a batch of changes for every distinct subscriber identity in ONE call.
 *   groups: [ { "role": "authenticated", "claims": {...}, "relids": ["16390"],       -- distinct (role, claims)
 *               "only": { "16390": "{41,43}" } } ]   -- optional: the changes its filters want
 *   tables: { "<relid>": { "visible": "realtime.visible_…",
 *                          "changes": [ { "id": 41, "pk": { "id": 7 } } ],   -- INSERT / UPDATE
 *                          "deletes": [ 42 ] } }                             -- DELETE
 * For each table, its generated visibility function switches role and claims exactly as a request
 * does (transaction-local set_config) for each interested identity, so every RLS policy — also
 * ones joining membership tables — is evaluated by Postgres under that subscriber's identity.
 * Returns the visible (group index, change id) pairs. INSERT/UPDATE: the row with that primary key
 * is visible to the identity now. DELETE: the role holds SELECT on the table (the row is gone; only
 * its primary key is sent). Not SECURITY DEFINER; EXECUTE is revoked from PUBLIC.
 */
create function realtime.visible(groups jsonb, tables jsonb) returns table (grp integer, change_id bigint)
language plpgsql volatile as $$
declare
  table_oid text;
  t jsonb;
  fn text;
  table_groups jsonb;
  saved_role text := current_setting('role');
  saved_claims text := coalesce(current_setting('request.jwt.claims', true), '');
  saved_sub text := coalesce(current_setting('request.jwt.claim.sub', true), '');
  saved_claim_role text := coalesce(current_setting('request.jwt.claim.role', true), '');
begin
  for table_oid, t in select key, value from jsonb_each(tables) loop
    select p.visible_function into fn from realtime.published p where p.relid = table_oid::oid;
    continue when fn is null;
    select jsonb_agg(g.value || jsonb_build_object('i', g.ordinality - 1, 'only', g.value -> 'only' -> table_oid)
                     order by g.value ->> 'role', g.ordinality)
      into table_groups
      from jsonb_array_elements(groups) with ordinality as g
     where g.value -> 'relids' ? table_oid;
    continue when table_groups is null;
    return query execute format('select * from %s($1, $2, $3)', fn)
      using table_groups, coalesce(t -> 'changes', '[]'),
            array(select jsonb_array_elements_text(coalesce(t -> 'deletes', '[]'))::bigint);
    perform set_config('role', saved_role, true);
  end loop;
  perform set_config('role', saved_role, true),
          set_config('request.jwt.claims', saved_claims, true),
          set_config('request.jwt.claim.sub', saved_sub, true),
          set_config('request.jwt.claim.role', saved_claim_role, true);
end
$$;
revoke execute on function realtime.visible(jsonb, jsonb) from public;

-- ---------------------------------------------------------------------------------------------
-- Retention
-- ---------------------------------------------------------------------------------------------

/*
 * Deletes changes and messages committed before now() - `older_than`, and records the highest id
 * removed so resumes from before it get `resync-required` instead of a silent gap.
 * Returns the number of change rows deleted.
 */
create function realtime.prune(older_than interval) returns bigint language plpgsql as $$
declare
  changes_max bigint;
  messages_max bigint;
  deleted bigint;
begin
  with gone as (
    delete from realtime.changes where commit_timestamp < now() - older_than returning id
  )
  select max(id), count(*) into changes_max, deleted from gone;
  with gone as (
    delete from realtime.messages where inserted_at < now() - older_than returning id
  )
  select max(id) into messages_max from gone;
  update realtime.retention
     set changes_pruned_through = greatest(changes_pruned_through, coalesce(changes_max, 0)),
         messages_pruned_through = greatest(messages_pruned_through, coalesce(messages_max, 0));
  return deleted;
end
$$;
revoke execute on function realtime.prune(interval) from public;
