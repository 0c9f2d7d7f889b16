import { createHash } from 'node:crypto'
import type pg from 'pg'
import { GroundworkError } from './errors'
import { quoteIdent, quoteLiteral } from './identifiers'
import { type Logger, SILENT_LOGGER } from './logger'
import { DEFAULT_ROLES, type RoleNames } from './roles'

/** One forward-only migration: a numbered SQL file, applied in its own transaction. */
export interface Migration {
  /** The number from the file name (`0003_users.sql` → 3). */
  readonly id: number
  /** The file name without `.sql`. */
  readonly name: string
  readonly sql: string
}

/** A package's migrations, applied in order and recorded under `name` in `groundwork.migrations`. */
export interface MigrationSet {
  readonly name: string
  readonly migrations: readonly Migration[]
  /**
   * Runs before this set's pending SQL, inside the run's advisory lock, for schemas another
   * library manages itself (graphile-worker installs its own). Must be idempotent.
   */
  readonly prepare?: (pool: pg.Pool) => Promise<void>
}

/** A migration that was applied by a {@link migrate} run. */
export interface AppliedMigration {
  set: string
  id: number
  name: string
  durationMs: number
}

/** Options for {@link migrate}. */
export interface MigrateOptions {
  /** Called before each migration is applied (for progress output). */
  onProgress?: (event: { set: string; id: number; name: string; index: number; total: number }) => void
  /** Receives Postgres notices and warnings raised by migrations. @default the database's logger */
  logger?: Logger
}

/** The pieces of a `Database` the runner needs (a `Database` fits). */
export interface Migratable {
  readonly pool: pg.Pool
  readonly roles?: RoleNames
  readonly logger?: Logger
}

/**
 * Builds a {@link MigrationSet} from `NNNN_name.sql` files embedded at build time.
 *
 * @example
 * ```ts
 * import bootstrap from '../migrations/0001_bootstrap.sql?raw'
 * export const migrations = defineMigrations('core', { '0001_bootstrap.sql': bootstrap })
 * ```
 */
export function defineMigrations(name: string, files: Record<string, string>): MigrationSet {
  const migrations = Object.entries(files)
    .map(([file, sql]) => {
      const base = file.split('/').pop() ?? file
      const match = /^(\d+)_([\w.-]+)\.sql$/.exec(base)
      if (!match)
        throw new GroundworkError(
          'CORE_MIGRATION_NAME',
          `Migration file "${file}" must be named NNNN_name.sql`,
        )
      return { id: Number(match[1]), name: base.replace(/\.sql$/, ''), sql }
    })
    .sort((a, b) => a.id - b.id)
  migrations.forEach((migration, index) => {
    if (migration.id !== index + 1) {
      throw new GroundworkError(
        'CORE_MIGRATION_NAME',
        `Migrations of "${name}" must be numbered 1, 2, 3… without gaps; found ${migration.name}`,
      )
    }
  })
  return { name, migrations }
}

/** SHA-256 of the migration text as written (before role names are substituted). */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql).digest('hex')
}

/**
 * Substitutes role placeholders so role names stay configurable: `{{anon}}`, `{{authenticated}}`,
 * `{{service_role}}` become quoted identifiers, `{{anon:literal}}` (etc.) quoted string literals.
 */
export function renderMigration(sql: string, roles: RoleNames): string {
  const names: Record<string, string> = {
    anon: roles.anon,
    authenticated: roles.authenticated,
    service_role: roles.service,
  }
  return sql.replace(
    /\{\{(anon|authenticated|service_role)(:literal)?\}\}/g,
    (_, key: string, literal?: string) => {
      const value = names[key] as string
      return literal ? quoteLiteral(value) : quoteIdent(value)
    },
  )
}

// Any constant works; it only has to be the same in every process that migrates this database.
const MIGRATION_LOCK_KEY = 7_256_190_431

/**
 * Applies every pending migration of `sets`, in order: one transaction per migration, checksums
 * recorded in `groundwork.migrations`, one session advisory lock around the whole run so that
 * processes starting together apply each migration exactly once. An applied migration whose text
 * changed since is refused (`CORE_MIGRATION_DRIFT`): migrations are forward-only.
 */
export async function migrate(
  db: Migratable,
  sets: readonly MigrationSet[],
  options: MigrateOptions = {},
): Promise<AppliedMigration[]> {
  const logger = options.logger ?? db.logger ?? SILENT_LOGGER
  const roles = db.roles ?? DEFAULT_ROLES
  const client = await db.pool.connect()
  const onNotice = (notice: { severity?: string | undefined; message?: string | undefined }) => {
    const text = `postgres ${notice.severity ?? 'NOTICE'}: ${notice.message}`
    if (notice.severity === 'WARNING') logger.warn(text)
    else logger.debug(text)
  }
  client.on('notice', onNotice)
  const applied: AppliedMigration[] = []
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
    try {
      await client.query(`create schema if not exists groundwork;
        create table if not exists groundwork.migrations (
          set_name text not null,
          id integer not null,
          name text not null,
          checksum text not null,
          applied_at timestamptz not null default now(),
          duration_ms integer not null default 0,
          primary key (set_name, id)
        )`)
      const done = await client.query<{ set_name: string; id: number; name: string; checksum: string }>(
        'select set_name, id, name, checksum from groundwork.migrations',
      )
      const recorded = new Map(done.rows.map((row) => [`${row.set_name}:${row.id}`, row]))
      const pending: { set: MigrationSet; migration: Migration }[] = []
      for (const set of sets) {
        for (const migration of set.migrations) {
          const row = recorded.get(`${set.name}:${migration.id}`)
          if (!row) {
            pending.push({ set, migration })
          } else if (row.checksum !== migrationChecksum(migration.sql)) {
            throw new GroundworkError(
              'CORE_MIGRATION_DRIFT',
              `Migration ${set.name}/${migration.name} was changed after it was applied. Migrations are forward-only: restore the original file and add a new migration.`,
              {
                details: {
                  set: set.name,
                  id: migration.id,
                  applied: row.checksum,
                  current: migrationChecksum(migration.sql),
                },
              },
            )
          }
        }
      }
      for (const set of sets) await set.prepare?.(db.pool)
      for (const [index, { set, migration }] of pending.entries()) {
        options.onProgress?.({
          set: set.name,
          id: migration.id,
          name: migration.name,
          index,
          total: pending.length,
        })
        const started = performance.now()
        await client.query('BEGIN')
        try {
          await client.query(renderMigration(migration.sql, roles))
          const durationMs = Math.round(performance.now() - started)
          await client.query(
            'insert into groundwork.migrations (set_name, id, name, checksum, duration_ms) values ($1, $2, $3, $4, $5)',
            [set.name, migration.id, migration.name, migrationChecksum(migration.sql), durationMs],
          )
          await client.query('COMMIT')
          applied.push({ set: set.name, id: migration.id, name: migration.name, durationMs })
          logger.info(`groundwork: applied migration ${set.name}/${migration.name} (${durationMs} ms)`)
        } catch (error) {
          await client.query('ROLLBACK')
          throw new GroundworkError(
            'CORE_MIGRATION_FAILED',
            `Migration ${set.name}/${migration.name} failed: ${(error as Error).message}`,
            {
              cause: error,
            },
          )
        }
      }
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
    }
  } finally {
    client.off('notice', onNotice)
    client.release()
  }
  return applied
}
