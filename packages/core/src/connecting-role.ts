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
   * 'groundwork']`. Future objects the migrating role creates there are granted too.
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
 * privileges Groundwork's own services need on their schemas. Run it as the migrating (owner or
 * superuser) role, after migrating.
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
      `grant select, insert, update, delete on all tables in schema ${s} to ${role}`,
      `grant usage, select, update on all sequences in schema ${s} to ${role}`,
      `grant execute on all functions in schema ${s} to ${role}`,
      `alter default privileges in schema ${s} grant select, insert, update, delete on tables to ${role}`,
      `alter default privileges in schema ${s} grant usage, select, update on sequences to ${role}`,
      `alter default privileges in schema ${s} grant execute on functions to ${role}`,
    )
  }
  await db.transaction(async (tx) => {
    for (const statement of statements) await tx.query(statement)
  })
}
