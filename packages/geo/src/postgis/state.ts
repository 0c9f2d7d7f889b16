import type { Database } from '@groundwork/core'
import { quoteIdent } from '@groundwork/core'

/** What the database offers: whether PostGIS is installed, in which schema, which version. */
export interface PostgisStatus {
  installed: boolean
  /** The schema holding PostGIS' functions and types (`public`, `extensions` on Supabase…). */
  schema: string | null
  version: string | null
}

/** How long a "not installed" answer is trusted before asking again (an admin may install it). */
const MISSING_RECHECK_MS = 10_000

const DETECT_SQL = `select n.nspname as schema, e.extversion as version
  from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid = e.extnamespace
  where e.extname = 'postgis'`

/** Detects PostGIS once (and again while it is missing), caching the answer. */
export class PostgisState {
  #status: PostgisStatus | null = null
  #checkedAt = 0
  #pending: Promise<PostgisStatus> | null = null

  constructor(private readonly db: Database) {}

  /** The last answer, or `null` before the first detection finished. */
  get current(): PostgisStatus | null {
    return this.#status
  }

  /** Detects when needed; a failed query is not cached (the next call retries). */
  detect(): Promise<PostgisStatus> {
    const status = this.#status
    if (status && (status.installed || Date.now() - this.#checkedAt < MISSING_RECHECK_MS)) {
      return Promise.resolve(status)
    }
    this.#pending ??= this.db
      .query<{ schema: string; version: string }>(DETECT_SQL)
      .then(({ rows }) => {
        const row = rows[0]
        const found: PostgisStatus = row
          ? { installed: true, schema: row.schema, version: row.version }
          : { installed: false, schema: null, version: null }
        this.#status = found
        this.#checkedAt = Date.now()
        return found
      })
      .finally(() => {
        this.#pending = null
      })
    return this.#pending
  }
}

/**
 * Names PostGIS objects in the schema it was installed in, so SQL works whatever the request's
 * `search_path` (Supabase installs PostGIS in `extensions`).
 */
export class PostgisSql {
  readonly #schema: string
  constructor(schema: string) {
    this.#schema = quoteIdent(schema)
  }
  /** `"schema".name` for a function or type (`name` is a constant of this package). */
  name(name: string): string {
    return `${this.#schema}.${name}`
  }
  /** `OPERATOR("schema".&&)`. */
  operator(op: '&&' | '<->'): string {
    return `OPERATOR(${this.#schema}.${op})`
  }
}
