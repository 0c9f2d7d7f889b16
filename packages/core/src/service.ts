import type { MigrationSet } from './migrations'
import type { AnyTaskDefinition } from './tasks'

/** A Web-standard (Fetch API) request handler, mount-agnostic: routes are relative to where it is mounted. */
export type ServiceHandler = (request: Request) => Promise<Response>

/**
 * The one shape every Groundwork package's `createX(options)` returns, so a host composes
 * packages with a loop:
 *
 * ```ts
 * const services = [rest, auth, realtime, mail, jobs] satisfies GroundworkService[]
 * await migrate(db, [coreMigrations, ...services.map((s) => s.migrations)])
 * for (const service of services) await service.start()
 * // … on shutdown, in reverse:
 * for (const service of services.toReversed()) await service.close()
 * ```
 *
 * - `handler` is a thin HTTP layer over `api` (never the reverse: `api` builds no `Request`).
 * - `migrations` is the package's SQL, applied by `migrate(db, [...])` or `groundwork migrate`.
 * - `tasks` are the background tasks the package contributes (`<package>:<task>`), run by
 *   `@groundwork/jobs`: `createJobs({ tasks: services.flatMap((s) => s.tasks) })`.
 * - `start()` begins background work (listeners, runners); `close()` ends it and releases what
 *   the service created — never the `Database` it was given. Both are idempotent; a service
 *   without background work resolves at once.
 */
export interface GroundworkService<Api = unknown> {
  /** The package's short name (`auth`, `rest`, `realtime`, `jobs`, `mail`). */
  readonly name: string
  /** The Web-standard handler; mount it with `@groundwork/core/node`, `/fastify` or `/next`. */
  readonly handler: ServiceHandler
  /** The typed programmatic surface, for scripts and server code. */
  readonly api: Api
  /** The package's migrations. */
  readonly migrations: MigrationSet
  /** Background tasks for `@groundwork/jobs` (may be empty). */
  readonly tasks: readonly AnyTaskDefinition[]
  /** Starts background work. Call after migrating. Idempotent. */
  start(): Promise<void>
  /** Stops background work and releases what the service holds (not the `Database`). Idempotent. */
  close(): Promise<void>
}
