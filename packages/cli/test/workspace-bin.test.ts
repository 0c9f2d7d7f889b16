import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

let empty: TestDatabase
beforeAll(async () => {
  empty = await createTestDatabase({ migrated: false })
})
afterAll(async () => {
  await empty.drop()
})

/** Runs `pnpm <args>` at the repository root, as docs/cli.md tells a contributor to. */
async function pnpm(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run('pnpm', args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      timeout: 60_000,
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

describe('the groundwork bin at the repository root', () => {
  it('`pnpm groundwork migrate` migrates a database from the sources', async () => {
    const result = await pnpm(['groundwork', 'migrate', '--json'], { DATABASE_URL: empty.url })
    expect(result.stderr).toMatch(/\[1\/\d+\] core\/0001_bootstrap/)
    expect(result.code).toBe(0)
    const { applied } = JSON.parse(result.stdout) as { applied: { set: string; name: string }[] }
    expect(applied.map(({ set, name }) => `${set}/${name}`)).toEqual(
      expect.arrayContaining(['core/0001_bootstrap', 'jobs/0001_jobs', 'realtime/0001_realtime']),
    )
    const { rows } = await empty.db.query(`select to_regclass('auth.users') as users`)
    expect(rows[0]).toEqual({ users: 'auth.users' })
  })

  it('`pnpm exec groundwork` passes arguments and exit codes through', async () => {
    const help = await pnpm(['exec', 'groundwork', 'migrate', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('Usage: groundwork migrate')
    const usage = await pnpm(['exec', 'groundwork', 'jobs', 'explode'])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('Unknown command "jobs explode"')
  })

  it('publishes the built bin, not the workspace launcher', async () => {
    const manifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'))
    expect(manifest.publishConfig.bin).toEqual({ groundwork: './dist/bin.js' })
    expect(manifest.files).not.toContain('dev')
  })
})
