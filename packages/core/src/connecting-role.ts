import { z } from 'zod'
import { parseOptions } from './config'
import type { Database } from './database'
import { quoteIdent, quoteLiteral } from './identifiers'

/** Options of {@link setupConnectingRole}. */
export interface ConnectingRoleOptions {
  /** The login role the application connects as, e.g. `groundwork_app` (PostgREST's "authenticator"). */
  role: string
  /** Its password; omit to leave the current one (or none, for trust/peer authentication). */
  password?: string
  /**
   * Schemas whose tables, sequences and functions Groundwork's services use as the connecting role
   * (not as a request role): e.g. `['auth', 'jobs', 'graphile_worker', 'mail', 'realtime',
   * 'groundwork']`. The role becomes the owner of every table, view, sequence and function in
   * them — Groundwork's own tables have row-level security on with no policies (so request roles
   * see nothing), and only their owner (or a BYPASSRLS role, which this one is not) reads them.
   * Run this again after every `migrate`, so objects a migration added are handed over too.
   */
  schemas: string[]
}

const schema = z.object({
  role: z.string().min(1).max(63),
  password: z.string().min(1).optional(),
  schemas: z.array(z.string().min(1).max(63)),
})

/**
 * Creates (or brings into line) the role the application should connect as in production: a login
 * role that is **not** a superuser, cannot bypass RLS, does not inherit the request roles'
 * privileges, and is a member of exactly the request roles (`anon`, `authenticated`,
 * `service_role`), so it can switch to them per request (`SET LOCAL ROLE`) and to nothing else — a
 * token naming `postgres` cannot become a superuser even if every other check failed. It gets the
 * ownership of Groundwork's own objects in the given schemas. Run it as the migrating (owner or
 * superuser) role, after every migration run.
 *
 * This is PostgREST's "authenticator" pattern.
 * @see https://docs.postgrest.org/en/v12/references/auth.html#overview-of-role-system
 */
export async function setupConnectingRole(db: Database, options: ConnectingRoleOptions): Promise<void> {
  const resolved = parseOptions(schema, options, 'setupConnectingRole')
  const role = quoteIdent(resolved.role)
  const { anon, authenticated, service } = db.roles
  const statements = [
    `do $$ begin
       if not exists (select from pg_catalog.pg_roles where rolname = ${quoteLiteral(resolved.role)}) then
         create role ${role} login;
       end if;
     end $$`,
    `alter role ${role} with login nosuperuser nobypassrls noinherit nocreatedb nocreaterole noreplication${
      resolved.password === undefined ? '' : ` password ${quoteLiteral(resolved.password)}`
    }`,
    `grant ${[anon, authenticated, service].map(quoteIdent).join(', ')} to ${role}`,
  ]
  for (const name of resolved.schemas) {
    const s = quoteIdent(name)
    statements.push(
      `grant usage on schema ${s} to ${role}`,
      // Ownership, not grants: RLS is on (with no policies) on Groundwork's own tables, and the
      // owner is the one non-BYPASSRLS role that reads them.
      `do $$
       declare object record;
       begin
         for object in
           select format('alter %s %I.%I owner to %I',
                         case c.relkind when 'S' then 'sequence' when 'v' then 'view'
                                        when 'm' then 'materialized view' else 'table' end,
                         n.nspname, c.relname, ${quoteLiteral(resolved.role)}) as sql
             from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
            where n.nspname = ${quoteLiteral(name)} and c.relkind in ('r', 'p', 'v', 'm', 'S')
              and not (c.relkind = 'S' and exists (
                select from pg_catalog.pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i')))
         union all
           select format('alter routine %s owner to %I', p.oid::regprocedure, ${quoteLiteral(resolved.role)})
             from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
            where n.nspname = ${quoteLiteral(name)} and p.prokind in ('f', 'p')
              and not exists (select from pg_catalog.pg_depend d
                              where d.objid = p.oid and d.deptype = 'e')
         loop
           execute object.sql;
         end loop;
       end $$`,
    )
  }
  // Roles are cluster-wide: several databases of one cluster (parallel test files, instances
  // starting together) may run this at once, and Postgres then reports a concurrent catalog update
  // or a duplicate role. The statements are idempotent, so the run is simply retried.
  for (let attempt = 1; ; attempt++) {
    try {
      await db.transaction(async (tx) => {
        for (const statement of statements) await tx.query(statement)
      })
      return
    } catch (error) {
      const code = (error as { code?: unknown }).code
      if (attempt >= 5 || !CONCURRENT_CATALOG_CODES.has(String(code))) throw error
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 50))
    }
  }
}

/** "tuple concurrently updated" (XX000), duplicate role (42710), unique violation on pg_authid (23505). */
const CONCURRENT_CATALOG_CODES = new Set(['XX000', '42710', '23505', '40001', '40P01'])
