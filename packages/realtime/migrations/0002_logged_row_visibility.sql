-- @groundwork/realtime 0002: visibility decided on the logged row itself, as the subscriber.
--
-- 0001 decided an INSERT/UPDATE by joining its primary key to the table as it is *now* (so a replay
-- sent the logged version of a row whose current version was visible), and sent every DELETE to
-- any role holding SELECT on the table. Now each change is decided on the version that is sent or
-- that the filter saw — the new row for INSERT/UPDATE, the removed row for DELETE — by evaluating
-- the table's SELECT policies on that logged row, as the subscriber, exactly as Postgres RLS would.
--
-- How: for each published table a generated function rebuilds the logged rows as the table's row
-- type (jsonb_populate_record) and runs, per subscriber identity, one static query over them whose
-- WHERE clause is the table's SELECT-applicable policies (pg_get_expr of pg_policy.polqual) inlined
-- — permissive ones OR'ed, restrictive ones AND'ed, only those that apply to the subscriber's role —
-- with the role and claims set as a request sets them, so subqueries inside policies (membership
-- joins) run under the subscriber's identity and privileges as real RLS does. The generated text
-- is fingerprinted; realtime.visible() regenerates it when policies, RLS settings or columns change.

alter table realtime.published add column visibility_fingerprint text;

/*
 * What the generated visibility function of a table depends on: its name, columns, RLS flags and
 * SELECT-applicable policies (deparsed with an empty search_path, so every name is qualified as in
 * the generated text). Null when the table no longer exists.
 */
create function realtime._visibility_fingerprint(target oid) returns text
language sql stable set search_path = '' as $$
  select pg_catalog.md5(pg_catalog.concat_ws(E'\n',
    pg_catalog.format('%I.%I %s %s', n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity),
    (select pg_catalog.string_agg(pg_catalog.format('%I %s', a.attname, a.atttypid), ',' order by a.attnum)
       from pg_catalog.pg_attribute a
      where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped),
    (select pg_catalog.string_agg(pg_catalog.format('%I %s %s %s %s', p.polname, p.polcmd, p.polpermissive,
                                                    p.polroles, pg_catalog.pg_get_expr(p.polqual, p.polrelid)),
                                  E'\n' order by p.polname)
       from pg_catalog.pg_policy p
      where p.polrelid = c.oid and p.polcmd in ('r', '*'))))
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
   where c.oid = target
$$;

/*
 * The query that decides a batch for one identity: the logged rows (an array of the table's row
 * type) unnested under the table's own name — so policy expressions, which refer to the table by
 * its name, read the logged row — filtered by the given SELECT policies (null: those applying to
 * role `for_role`). '' when no permissive policy applies (RLS denies by default). `dynamic` chooses
 * $1..$4 placeholders (EXECUTE … USING grp, only, ids, rows) over the generated function's variables.
 * The policy predicate is wrapped in IS TRUE (same rows: WHERE drops NULL too) so that, as the
 * security quals of real RLS, its EXISTS / IN subqueries stay subplans instead of being pulled up
 * into joins.
 */
create function realtime._visibility_query(target oid, policy_ids oid[], dynamic boolean, for_role text)
returns text
language plpgsql stable set search_path = '' as $$
declare
  alias text;
  columns text;
  ordinal text := 'realtime_ordinality';
  permissive text;
  restrictive text;
  v text[] := case when dynamic then array['$1', '$2', '$3', '$4']
                   else array['_rt_grp', '_rt_only', '_rt_rec_ids', '_rt_recs'] end;
begin
  select pg_catalog.quote_ident(c.relname) into alias from pg_catalog.pg_class c where c.oid = target;
  while exists (select from pg_catalog.pg_attribute a
                 where a.attrelid = target and a.attname = ordinal and a.attnum > 0 and not a.attisdropped) loop
    ordinal := ordinal || '_';
  end loop;
  select pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' order by a.attnum) into columns
    from pg_catalog.pg_attribute a where a.attrelid = target and a.attnum > 0 and not a.attisdropped;
  -- As in Postgres (rowsecurity.c): SELECT and ALL policies with a USING clause; a NULL result denies.
  select pg_catalog.string_agg(pg_catalog.format('(%s)', pg_catalog.pg_get_expr(p.polqual, p.polrelid)), ' or '
                               order by p.polname) filter (where p.polpermissive),
         pg_catalog.string_agg(pg_catalog.format(' and (%s)', pg_catalog.pg_get_expr(p.polqual, p.polrelid)), ''
                               order by p.polname) filter (where not p.polpermissive)
    into permissive, restrictive
    from pg_catalog.pg_policy p
   where p.polrelid = target and p.polcmd in ('r', '*') and p.polqual is not null
     and case when policy_ids is null
              then 0::oid = any(p.polroles)
                   or exists (select from pg_catalog.unnest(p.polroles) r
                               where pg_catalog.pg_has_role(for_role, r, 'USAGE'))
              else p.oid = any(policy_ids) end;
  if permissive is null then
    return '';
  end if;
  return pg_catalog.format(
    'select %1$s, %3$s[%5$s.%6$I] from pg_catalog.unnest(%4$s) with ordinality as %5$s(%7$s, %6$I) '
    'where (%2$s is null or %3$s[%5$s.%6$I] = any(%2$s)) and ((%8$s)%9$s) is true',
    v[1], v[2], v[3], v[4], alias, ordinal, columns, permissive, coalesce(restrictive, ''));
end
$$;

/*
 * (Re)generates the visibility function `fn` of table `target` and returns the fingerprint it was
 * generated from. Per subscriber role (identities come sorted by role): no SELECT privilege (on
 * the table or any of its columns: column grants narrow the payload, not the rows) → none;
 * RLS not active for the role (disabled, BYPASSRLS, owner without FORCE) → all; otherwise one static
 * query per identity holding exactly the policies that apply to the role. Which policies apply
 * depends only on the role, so every combination of the table's distinct policy role lists gets
 * its own static branch (up to 4 lists, 16 branches): a policy for another role is never parsed,
 * planned or permission-checked for this one, as in Postgres. Past 4 lists, and whenever a role's
 * static query fails (a policy erroring on some claims, a dropped role), identities are decided
 * one by one by a dynamic query, each in its own subtransaction: one that still fails sees nothing
 * (fail closed) and is reported as a WARNING; everyone else is decided normally.
 */
create function realtime._generate_visible(target oid, fn text) returns text
language plpgsql set search_path = '' as $gen$
declare
  qualified text;
  schema_name text;
  table_name text;
  role_lists text[];
  pattern_expr text;
  branches text := '';
  branch text;
  pattern integer;
  body text;
  tag text;
  fingerprint text := realtime._visibility_fingerprint(target);
begin
  select n.nspname, c.relname, pg_catalog.format('%I.%I', n.nspname, c.relname)
    into schema_name, table_name, qualified
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
   where c.oid = target;
  if qualified is null then
    raise exception 'realtime: table with oid % does not exist', target using errcode = '42P01';
  end if;

  -- The distinct role lists of role-specific policies; PUBLIC ones (role 0) always apply.
  select coalesce(pg_catalog.array_agg(distinct p.polroles::text order by p.polroles::text), '{}')
    into role_lists
    from pg_catalog.pg_policy p
   where p.polrelid = target and p.polcmd in ('r', '*') and p.polqual is not null and not (0::oid = any(p.polroles));

  if pg_catalog.cardinality(role_lists) > 4 then
    pattern_expr := '-1';
  else
    select coalesce(pg_catalog.string_agg(pg_catalog.format(
             '(case when %s then %s else 0 end)',
             (select pg_catalog.string_agg(pg_catalog.format('pg_catalog.pg_has_role(current_user, %s::oid, ''USAGE'')', r), ' or ')
                from pg_catalog.unnest(l.list::oid[]) r),
             1 << (l.i - 1)::integer), ' + '), '0')
      into pattern_expr
      from pg_catalog.unnest(role_lists) with ordinality as l(list, i);
    for pattern in 0 .. (1 << pg_catalog.cardinality(role_lists)) - 1 loop
      branch := realtime._visibility_query(target, array(
        select p.oid from pg_catalog.pg_policy p
         where p.polrelid = target and p.polcmd in ('r', '*') and p.polqual is not null
           and (0::oid = any(p.polroles) or exists (
                 select from pg_catalog.unnest(role_lists) with ordinality as l(list, i)
                  where l.list = p.polroles::text and pattern & (1 << (l.i - 1)::integer) <> 0))), false, null);
      branches := branches || pg_catalog.format(E'\n            elsif _rt_pattern = %s then\n              %s;', pattern,
        case when branch = '' then 'null' else 'return query ' || branch end);
    end loop;
  end if;

  body := pg_catalog.format($f$
#variable_conflict use_column
declare
  _rt_recs %1$s[];
  _rt_rec_ids bigint[];
  _rt_role text;
  _rt_g jsonb;
  _rt_grp integer;
  _rt_only bigint[];
  _rt_mode integer;
  _rt_pattern integer;
  _rt_query text;
  _rt_switched text;
  _rt_done integer;
  _rt_caller text := pg_catalog.current_setting('role');
begin
  -- The logged versions as rows of the table (read as the caller: the log is not the subscriber's).
  begin
    select pg_catalog.array_agg(c.id order by c.id),
           pg_catalog.array_agg(pg_catalog.jsonb_populate_record(null::%1$s,
             case when c.op = 'DELETE' then c.old_record else c.record end) order by c.id)
      into _rt_rec_ids, _rt_recs
      from realtime.changes c
     where c.id = any(_rt_ids) and c.schema_name = %2$L and c.table_name = %3$L;
  exception when others then
    -- A logged row that no longer fits the row type (a column's type changed since): that version
    -- is visible to no one; the other changes are decided as usual.
    _rt_rec_ids := '{}';
    _rt_recs := '{}';
    for _rt_g in
      select pg_catalog.jsonb_build_object('id', c.id, 'row', case when c.op = 'DELETE' then c.old_record else c.record end)
        from realtime.changes c
       where c.id = any(_rt_ids) and c.schema_name = %2$L and c.table_name = %3$L order by c.id
    loop
      begin
        _rt_recs := _rt_recs || pg_catalog.jsonb_populate_record(null::%1$s, _rt_g -> 'row');
        _rt_rec_ids := _rt_rec_ids || (_rt_g ->> 'id')::bigint;
      exception when others then
        raise warning 'realtime: change %% no longer fits %%; no one receives it', _rt_g ->> 'id', %1$L;
      end;
    end loop;
  end;
  if pg_catalog.cardinality(_rt_rec_ids) is distinct from 0 and _rt_rec_ids is not null then
    for _rt_role in select distinct g ->> 'role' from pg_catalog.jsonb_array_elements(_rt_groups) g order by 1 loop
      _rt_done := 0;
      begin
        perform pg_catalog.set_config('role', _rt_role, true);
        _rt_mode := case when not pg_catalog.has_any_column_privilege(%4$s::oid, 'SELECT') then 0
                         when pg_catalog.row_security_active(%4$s::oid) then 2 else 1 end;
        continue when _rt_mode = 0;
        _rt_pattern := %5$s;
        _rt_query := null;
        for _rt_g in select g from pg_catalog.jsonb_array_elements(_rt_groups) g where g ->> 'role' = _rt_role loop
          _rt_grp := (_rt_g ->> 'i')::integer;
          -- Filters narrowed this identity's interest to these changes (a '{1,2}' array literal).
          _rt_only := (_rt_g ->> 'only')::bigint[];
          if _rt_mode = 1 then
            return query select _rt_grp, u.id from pg_catalog.unnest(_rt_rec_ids) u(id)
                          where _rt_only is null or u.id = any(_rt_only);
          else
            -- Assignments of plain expressions skip the executor (PL/pgSQL's simple-expression
            -- path), so switching claims costs far less than a PERFORM per identity.
            _rt_switched := pg_catalog.set_config('request.jwt.claims', (_rt_g -> 'claims')::text, true)
                         || pg_catalog.set_config('request.jwt.claim.sub', coalesce(_rt_g -> 'claims' ->> 'sub', ''), true)
                         || pg_catalog.set_config('request.jwt.claim.role', _rt_role, true);
            if false then
              null;%6$s
            else
              if _rt_query is null then
                -- Built as the caller: the subscriber's role need not see schema realtime.
                perform pg_catalog.set_config('role', _rt_caller, true);
                _rt_query := realtime._visibility_query(%4$s::oid, null, true, _rt_role);
                perform pg_catalog.set_config('role', _rt_role, true);
              end if;
              if _rt_query <> '' then
                return query execute _rt_query using _rt_grp, _rt_only, _rt_rec_ids, _rt_recs;
              end if;
            end if;
          end if;
          _rt_done := _rt_done + 1;
        end loop;
      exception when others then
        -- The identities not decided yet, one by one, each in its own subtransaction (see
        -- realtime._generate_visible). Variables are not rolled back: _rt_done still counts.
        begin
          perform pg_catalog.set_config('role', _rt_caller, true);
          _rt_query := realtime._visibility_query(%4$s::oid, null, true, _rt_role);
          perform pg_catalog.set_config('role', _rt_role, true);
          _rt_query := case
            when not pg_catalog.has_any_column_privilege(%4$s::oid, 'SELECT') then ''
            when pg_catalog.row_security_active(%4$s::oid) then _rt_query
            else 'select $1, u.id from pg_catalog.unnest($3) u(id) where $2 is null or u.id = any($2)' end;
        exception when others then
          raise warning 'realtime: role %% cannot be checked on %%: %%', _rt_role, %1$L, sqlerrm;
          continue;
        end;
        continue when _rt_query = '';
        for _rt_g in select g from pg_catalog.jsonb_array_elements(_rt_groups) g
                      where g ->> 'role' = _rt_role offset _rt_done loop
          begin
            _rt_switched := pg_catalog.set_config('request.jwt.claims', (_rt_g -> 'claims')::text, true)
                         || pg_catalog.set_config('request.jwt.claim.sub', coalesce(_rt_g -> 'claims' ->> 'sub', ''), true)
                         || pg_catalog.set_config('request.jwt.claim.role', _rt_role, true);
            return query execute _rt_query
              using (_rt_g ->> 'i')::integer, (_rt_g ->> 'only')::bigint[], _rt_rec_ids, _rt_recs;
          exception when others then
            raise warning 'realtime: policies of %% failed for an identity of role %% (it receives nothing): %%',
              %1$L, _rt_role, sqlerrm;
          end;
        end loop;
      end;
    end loop;
  end if;
end
$f$, qualified, schema_name, table_name, target, pattern_expr, branches);

  -- One generic plan per role serves every identity (custom plans would be re-planned per
  -- identity). random_page_cost 1.1: a batch is a handful of rows in memory and policy subqueries
  -- probe hot indexes; with the default 4 the planner prefers, for ~10 estimated rows, a hashed
  -- subplan that scans a whole membership table once per identity (~1 ms each, per batch).
  -- Policy text is the table owner's; a dollar-quote tag derived from the body cannot occur in it.
  tag := 'rt_' || pg_catalog.md5(body);
  if pg_catalog.strpos(body, tag) > 0 then
    raise exception 'realtime: cannot quote the visibility function of %', qualified;
  end if;
  execute pg_catalog.format(
    'create or replace function %s(_rt_groups jsonb, _rt_ids bigint[]) returns table (grp integer, change_id bigint) '
    'language plpgsql volatile set plan_cache_mode = force_generic_plan set random_page_cost = 1.1 '
    'as $%s$%s$%s$',
    fn, tag, body, tag);
  execute pg_catalog.format('revoke execute on function %s(jsonb, bigint[]) from public', fn);
  return fingerprint;
end
$gen$;

/*
 * Regenerates table `target`'s visibility function when what it was generated from changed (called
 * by realtime.visible when the fingerprint differs). Serialized by an advisory lock, so concurrent
 * batches regenerate once. SECURITY DEFINER: the role serving streams need not own the functions.
 * Returns the function's name (null when the table is not published).
 */
create function realtime._refresh_visible(target oid) returns text
language plpgsql security definer set search_path = '' as $$
declare
  p record;
  fingerprint text;
begin
  perform pg_catalog.pg_advisory_xact_lock(1735872628, 3);
  select * into p from realtime.published where relid = target;
  if p is null then
    return null;
  end if;
  fingerprint := realtime._visibility_fingerprint(target);
  if fingerprint is distinct from p.visibility_fingerprint then
    fingerprint := realtime._generate_visible(target, p.visible_function);
    update realtime.published set visibility_fingerprint = fingerprint where relid = target;
  end if;
  return p.visible_function;
end
$$;
revoke execute on function realtime._refresh_visible(oid) from public;
revoke execute on function realtime._visibility_fingerprint(oid), realtime._visibility_query(oid, oid[], boolean, text),
  realtime._generate_visible(oid, text) from public;

/*
 * realtime.enable('schema.table'): publish a table's changes. Generates, for this table,
 *  - a capture trigger function (SECURITY DEFINER, so writers need no privilege on the log) fired
 *    by three statement-level triggers with transition tables;
 *  - a visibility function (realtime._generate_visible) deciding logged rows by the table's policies.
 * Idempotent: calling it again regenerates both (e.g. after the primary key changed).
 */
create or replace function realtime.enable(target text) returns void language plpgsql as $enable$
declare
  t record;
  pk_columns text[];
  pk_object text;
  pk_match text;
  suffix text;
  capture_fn text;
  visible_fn text;
  qualified text;
  fingerprint text;
begin
  perform pg_advisory_xact_lock(1735872628, 3);
  t := realtime._parse_target(target);
  if t.relid is null then
    raise exception 'realtime: table "%" does not exist', target using errcode = '42P01';
  end if;
  qualified := format('%I.%I', t.schema_name, t.table_name);

  select array_agg(a.attname::text order by k.ordinality)
    into pk_columns
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
      -- Whole rows as n.* / o.*: a bare n or o would name a column of that name, if the table has one.
      if tg_op = 'INSERT' then
        insert into realtime.changes (schema_name, table_name, op, pk, record)
        select %2$L, %3$L, 'INSERT', %4$s, to_jsonb(n.*) from new_rows n;
      elsif tg_op = 'DELETE' then
        insert into realtime.changes (schema_name, table_name, op, pk, old_record)
        select %2$L, %3$L, 'DELETE', %5$s, to_jsonb(o.*) from old_rows o;
      else
        -- Pair old and new rows by primary key; a row whose key changed is a DELETE plus an INSERT.
        -- Dynamic, so it is planned for this statement's row counts: a plan cached from a 1-row
        -- UPDATE (nested loops over unindexed transition tables) would be quadratic on 10k rows.
        execute $q$
        insert into realtime.changes (schema_name, table_name, op, pk, record, old_record)
        select %2$L, %3$L, 'UPDATE', %4$s, to_jsonb(n.*), to_jsonb(o.*)
          from new_rows n join old_rows o on %6$s
        union all
        select %2$L, %3$L, 'DELETE', %5$s, null, to_jsonb(o.*)
          from old_rows o where not exists (select from new_rows n where %6$s)
        union all
        select %2$L, %3$L, 'INSERT', %4$s, to_jsonb(n.*), null
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

  -- 0001's signature (decided by primary key), gone since 0002.
  execute format('drop function if exists %s(jsonb, jsonb, bigint[])', visible_fn);
  fingerprint := realtime._generate_visible(t.relid, visible_fn);

  execute format('drop trigger if exists realtime_capture_insert on %s', qualified);
  execute format('drop trigger if exists realtime_capture_update on %s', qualified);
  execute format('drop trigger if exists realtime_capture_delete on %s', qualified);
  execute format('create trigger realtime_capture_insert after insert on %s referencing new table as new_rows '
                 'for each statement execute function %s()', qualified, capture_fn);
  execute format('create trigger realtime_capture_update after update on %s referencing old table as old_rows '
                 'new table as new_rows for each statement execute function %s()', qualified, capture_fn);
  execute format('create trigger realtime_capture_delete after delete on %s referencing old table as old_rows '
                 'for each statement execute function %s()', qualified, capture_fn);

  insert into realtime.published (schema_name, table_name, relid, pk_columns, capture_function, visible_function,
                                  visibility_fingerprint)
  values (t.schema_name, t.table_name, t.relid, pk_columns, capture_fn, visible_fn, fingerprint)
  on conflict (schema_name, table_name) do update
    set relid = excluded.relid, pk_columns = excluded.pk_columns,
        capture_function = excluded.capture_function, visible_function = excluded.visible_function,
        visibility_fingerprint = excluded.visibility_fingerprint;
  perform pg_notify('realtime_published', qualified);
end
$enable$;

/* realtime.disable('schema.table'): stop publishing a table (its logged changes stay until pruned). */
create or replace function realtime.disable(target text) returns void language plpgsql as $disable$
declare
  t record;
  p realtime.published;
  qualified text;
begin
  perform pg_advisory_xact_lock(1735872628, 3);
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
  execute format('drop function if exists %s(jsonb, bigint[])', p.visible_function);
  execute format('drop function if exists %s(jsonb, jsonb, bigint[])', p.visible_function);
  delete from realtime.published where schema_name = t.schema_name and table_name = t.table_name;
  perform pg_notify('realtime_published', qualified);
end
$disable$;

/*
 * Decides a batch of changes for every distinct subscriber identity in ONE call.
 *   groups: [ { "role": "authenticated", "claims": {...}, "relids": ["16390"],       -- distinct (role, claims)
 *               "only": { "16390": "{41,43}" } } ]   -- optional: the changes its filters want
 *   tables: { "<relid>": "{41,42,43}" }               -- the batch's change ids per table
 * For each table, its generated visibility function (regenerated first if the table's policies,
 * RLS flags or columns changed) switches role and claims exactly as a request does
 * (transaction-local set_config) for each interested identity and evaluates the table's SELECT
 * policies on the logged row of each change — the new row for INSERT/UPDATE, the removed row for
 * DELETE. Returns the visible (group index, change id) pairs. Not SECURITY DEFINER; EXECUTE is
 * revoked from PUBLIC.
 */
create or replace function realtime.visible(groups jsonb, tables jsonb) returns table (grp integer, change_id bigint)
language plpgsql volatile as $$
declare
  table_oid text;
  ids text;
  fn text;
  fingerprint text;
  latest text;
  table_groups jsonb;
  saved_role text := current_setting('role');
  saved_claims text := coalesce(current_setting('request.jwt.claims', true), '');
  saved_sub text := coalesce(current_setting('request.jwt.claim.sub', true), '');
  saved_claim_role text := coalesce(current_setting('request.jwt.claim.role', true), '');
begin
  for table_oid, ids in select key, value #>> '{}' from jsonb_each(tables) loop
    select p.visible_function, p.visibility_fingerprint into fn, fingerprint
      from realtime.published p where p.relid = table_oid::oid;
    continue when fn is null;
    latest := realtime._visibility_fingerprint(table_oid::oid);
    continue when latest is null; -- dropped since
    if latest is distinct from fingerprint then
      fn := realtime._refresh_visible(table_oid::oid);
      continue when fn is null;
    end if;
    select jsonb_agg(g.value || jsonb_build_object('i', g.ordinality - 1, 'only', g.value -> 'only' -> table_oid)
                     order by g.value ->> 'role', g.ordinality)
      into table_groups
      from jsonb_array_elements(groups) with ordinality as g
     where g.value -> 'relids' ? table_oid;
    continue when table_groups is null;
    return query execute format('select * from %s($1, $2)', fn) using table_groups, ids::bigint[];
    perform set_config('role', saved_role, true);
  end loop;
  perform set_config('role', saved_role, true),
          set_config('request.jwt.claims', saved_claims, true),
          set_config('request.jwt.claim.sub', saved_sub, true),
          set_config('request.jwt.claim.role', saved_claim_role, true);
end
$$;
revoke execute on function realtime.visible(jsonb, jsonb) from public;

-- Tables published before 0002: regenerate their functions (the visibility function decided by
-- policies; the capture function logging whole rows even where a column is named n or o).
do $$
declare
  p realtime.published;
begin
  for p in select * from realtime.published loop
    continue when realtime._visibility_fingerprint(p.relid) is null; -- dropped since
    begin
      perform realtime.enable(format('%I.%I', p.schema_name, p.table_name));
    exception when others then
      raise warning 'realtime: could not regenerate the functions of %.% (%); run select realtime.enable(''%.%'') as its owner',
        p.schema_name, p.table_name, sqlerrm, p.schema_name, p.table_name;
    end;
  end loop;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Revocations: streams end when their credentials do.
-- ---------------------------------------------------------------------------------------------

/*
 * Which of the given principals' credentials were revoked, for streams that may have missed a
 * NOTIFY on `groundwork_revocations` (the LISTEN connection was down). Delegates to the
 * authenticator's `auth.revoked_principals(jsonb)` when one is installed (@groundwork/auth's
 * migration 0003 installs it); otherwise nothing is revoked.
 *   principals: [ { "sub"?, "session_id"?, "key_id"? } ]  →  (i: index in principals, kind)
 */
create function realtime.revoked_principals(principals jsonb) returns table (i integer, kind text)
language plpgsql volatile as $$
begin
  if to_regprocedure('auth.revoked_principals(jsonb)') is null then
    return;
  end if;
  return query execute 'select r.i, r.kind from auth.revoked_principals($1) r' using principals;
end
$$;
revoke execute on function realtime.revoked_principals(jsonb) from public;
