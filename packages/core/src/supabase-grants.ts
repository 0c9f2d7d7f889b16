import { z } from 'zod'
import { parseOptions } from './config'
import type { Database } from './database'
import { quoteIdent } from './identifiers'

/** Options of {@link applySupabaseGrants}. */
export interface SupabaseGrantsOptions {
  /** Schemas whose objects the API roles get privileges on, as Supabase grants `public`. @default ['public'] */
  schemas?: string[]
  /**
   * Roles whose future objects get the grants (`ALTER DEFAULT PRIVILEGES FOR ROLE …`): default
   * privileges belong to the role that creates an object, so name every role your migrations run
   * as. @default the connecting role (`current_user`)
   */
  owners?: string[]
}

const schema = z.object({
  schemas: z.array(z.string().min(1).max(63)).min(1).default(['public']),
  owners: z.array(z.string().min(1).max(63)).optional(),
})

/**
 * Grants the API roles (`anon`, `authenticated`, `service_role`, or your `roles` names) what a
 * Supabase database grants them on `public`: `USAGE` on the schema, `ALL` on its tables, sequences
 * and functions — those that exist and, through default privileges, those created later — so
 * migrations copied from a Supabase project work unchanged and row-level security alone decides
 * who sees which row.
 *
 * Off by default, and a trade-off: with these grants a table created without `enable row level
 * security` is readable and writable by anyone holding the anon key. Without them (Groundwork's
 * default) a table is unreachable through the API until you grant it, so a forgotten policy fails
 * closed. Idempotent; run it with the role that runs your migrations, as `groundwork migrate
 * --supabase-grants` does.
 *
 * @example
 * ```ts
 * await migrate(db, [coreMigrations, ...])
 * await applySupabaseGrants(db, { schemas: ['public'] })
 * ```
 * @see https://supabase.com/docs/guides/database/postgres/roles
 */
export async function applySupabaseGrants(db: Database, options: SupabaseGrantsOptions = {}): Promise<void> {
  const resolved = parseOptions(schema, options, 'applySupabaseGrants')
  const roles = [db.roles.anon, db.roles.authenticated, db.roles.service].map(quoteIdent).join(', ')
  const owners = resolved.owners?.map((owner) => ` for role ${quoteIdent(owner)}`) ?? ['']
  await db.transaction(async (tx) => {
    for (const name of resolved.schemas) {
      const s = quoteIdent(name)
      await tx.query(`create schema if not exists ${s}`)
      await tx.query(`grant usage on schema ${s} to ${roles}`)
      await tx.query(`grant all on all tables in schema ${s} to ${roles}`)
      await tx.query(`grant all on all sequences in schema ${s} to ${roles}`)
      await tx.query(`grant all on all functions in schema ${s} to ${roles}`)
      for (const owner of owners) {
        for (const kind of ['tables', 'sequences', 'functions']) {
          await tx.query(`alter default privileges${owner} in schema ${s} grant all on ${kind} to ${roles}`)
        }
      }
    }
  })
}
