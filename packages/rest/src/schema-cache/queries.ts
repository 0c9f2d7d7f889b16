/**
 * The catalog queries behind the schema cache, run together on every (re)load and never per
 * request. `$1` is the array of exposed schemas.
 *
 * @see https://docs.postgrest.org/en/v14/references/schema_cache.html
 */

/**
 * Tables, views, materialized views, foreign and partitioned tables, with their mutability; the
 * partitions of a partitioned table are not resources of their own (as in PostgREST).
 */
export const RELATIONS_SQL = `
select c.oid::int8 as oid, n.nspname as schema, c.relname as name, c.relkind as kind,
  obj_description(c.oid, 'pg_class') as description,
  (c.relkind in ('r', 'p') or (c.relkind in ('v', 'f') and (pg_relation_is_updatable(c.oid::regclass, true) & 8) = 8)) as insertable,
  (c.relkind in ('r', 'p') or (c.relkind in ('v', 'f') and (pg_relation_is_updatable(c.oid::regclass, true) & 4) = 4)) as updatable,
  (c.relkind in ('r', 'p') or (c.relkind in ('v', 'f') and (pg_relation_is_updatable(c.oid::regclass, true) & 16) = 16)) as deletable
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where n.nspname = any($1::text[]) and c.relkind in ('r', 'v', 'm', 'f', 'p') and not c.relispartition
order by n.nspname, c.relname`

/** Columns of those relations, in order. */
export const COLUMNS_SQL = `
select a.attrelid::int8 as relid, a.attname as name, a.attnum as position,
  format_type(a.atttypid, a.atttypmod) as type, t.typname as udt_name,
  not a.attnotnull as nullable, pg_get_expr(d.adbin, d.adrelid) as "default",
  (a.attgenerated <> '' or a.attidentity = 'a') as generated,
  col_description(a.attrelid, a.attnum) as description,
  case when bt.typtype = 'e' then
    (select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_enum e where e.enumtypid = bt.oid)
  end as enum_values,
  information_schema._pg_char_max_length(a.atttypid, a.atttypmod) as max_length
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_type t on t.oid = a.atttypid
left join pg_type bt on bt.oid = case when t.typtype = 'd' then t.typbasetype else t.oid end
left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
where n.nspname = any($1::text[]) and c.relkind in ('r', 'v', 'm', 'f', 'p')
  and a.attnum > 0 and not a.attisdropped
order by a.attrelid, a.attnum`

/**
 * Primary keys, unique constraints and foreign keys of every user schema (foreign keys between
 * private tables still make relationships for views over them in exposed schemas). A partitioned
 * table's constraints count once: the copies its partitions inherit (`conparentid`) are left out.
 */
export const CONSTRAINTS_SQL = `
select c.conname as name, c.contype as kind, c.conrelid::int8 as relid, c.confrelid::int8 as ref_relid,
  n.nspname as schema, cl.relname as "table", fn.nspname as ref_schema, fcl.relname as ref_table,
  array(select a.attname::text from unnest(c.conkey) with ordinality k(attnum, ord)
        join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum order by k.ord) as columns,
  array(select a.attname::text from unnest(c.confkey) with ordinality k(attnum, ord)
        join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.attnum order by k.ord) as ref_columns
from pg_constraint c
join pg_class cl on cl.oid = c.conrelid
join pg_namespace n on n.oid = cl.relnamespace
left join pg_class fcl on fcl.oid = c.confrelid
left join pg_namespace fn on fn.oid = fcl.relnamespace
where c.contype in ('p', 'u', 'f') and n.nspname not in ('pg_catalog', 'information_schema')
  and c.conparentid = 0
order by c.conname`

/**
 * The rewrite rule of every view in the exposed schemas: its query tree says which base table
 * column each view column comes from (`resorigtbl`/`resorigcol`), which is how PostgREST finds
 * relationships through views.
 */
export const VIEW_RULES_SQL = `
select c.oid::int8 as relid, r.ev_action::text as action
from pg_rewrite r
join pg_class c on c.oid = r.ev_class
join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('v', 'm') and n.nspname = any($1::text[]) and r.rulename = '_RETURN'`

/** Attribute names of arbitrary relations (base tables behind views). */
export const ATTRIBUTES_SQL = `
select a.attrelid::int8 as relid, a.attnum as position, a.attname as name, n.nspname as schema, c.relname as "table"
from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped`

/** Functions in the exposed schemas, with arguments and return shape. */
export const FUNCTIONS_SQL = `
select p.oid::int8 as oid, n.nspname as schema, p.proname as name,
  p.provolatile as volatility, p.proretset as returns_set, p.pronargdefaults as nargdefaults,
  p.provariadic <> 0 as variadic, p.prorows::float8 as rows,
  format_type(p.prorettype, null) as return_type, rt.typname as return_udt, rt.typtype as return_typtype,
  rn.nspname as return_rel_schema, rc.relname as return_rel_name,
  obj_description(p.oid, 'pg_proc') as description,
  case when rt.typtype = 'c' then coalesce((
    select json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
      'udt', at.typname) order by a.attnum)
    from pg_attribute a join pg_type at on at.oid = a.atttypid
    where a.attrelid = rt.typrelid and a.attnum > 0 and not a.attisdropped
  ), '[]'::json) end as return_columns,
  coalesce((
    select json_agg(json_build_object(
      'name', coalesce(p.proargnames[a.i], ''),
      'type', format_type(a.t, null),
      'udt', (select typname from pg_type where oid = a.t),
      'mode', coalesce(p.proargmodes[a.i]::text, 'i'),
      'relid', (select typrelid::int8 from pg_type where oid = a.t)
    ) order by a.i)
    from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality as a(t, i)
  ), '[]'::json) as args
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
join pg_type rt on rt.oid = p.prorettype
left join pg_class rc on rc.oid = rt.typrelid and rt.typrelid <> 0
left join pg_namespace rn on rn.oid = rc.relnamespace
where n.nspname = any($1::text[]) and p.prokind = 'f' and p.prorettype <> 'trigger'::regtype
order by n.nspname, p.proname, p.oid`

/** Schema comments. */
export const SCHEMAS_SQL = `
select n.nspname as name, obj_description(n.oid, 'pg_namespace') as description
from pg_namespace n where n.nspname = any($1::text[])`
