import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './fixtures/run-cli'

let t: TestDatabase
let dir: string
beforeAll(async () => {
  t = await createTestDatabase()
  dir = await mkdtemp(join(tmpdir(), 'gw-cli-storage-'))
})
afterAll(async () => {
  await t.drop()
  await rm(dir, { recursive: true, force: true })
})

function groundwork(args: string[]) {
  return runCli(args, { DATABASE_URL: t.url, STORAGE_ROOT: join(dir, 'data') })
}

describe('groundwork storage', () => {
  it('creates and lists buckets, uploads a file and downloads it back', async () => {
    const created = await groundwork([
      'storage',
      'buckets',
      'create',
      'files',
      '--public',
      '--file-size-limit',
      '1MB',
    ])
    expect(created.code).toBe(0)
    expect(created.stdout).toContain('Bucket files created.')
    const listed = await groundwork(['storage', 'buckets', 'list', '--json'])
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ id: 'files', public: true, file_size_limit: 1_000_000 }),
    ])

    const source = join(dir, 'in.bin')
    await writeFile(source, Buffer.from([0, 1, 2, 255, 254]))
    const uploaded = await groundwork([
      'storage',
      'upload',
      'files',
      'a/b.bin',
      source,
      '--content-type',
      'application/x-test',
      '--json',
    ])
    expect(uploaded.code).toBe(0)
    expect(JSON.parse(uploaded.stdout)).toMatchObject({ key: 'files/a/b.bin', size: 5 })
    const out = join(dir, 'out.bin')
    const downloaded = await groundwork(['storage', 'download', 'files', 'a/b.bin', '--out', out])
    expect(downloaded.code).toBe(0)
    expect([...(await readFile(out))]).toEqual([0, 1, 2, 255, 254])

    const missing = await groundwork(['storage', 'download', 'files', 'nope', '--out', out])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('STORAGE_NO_SUCH_KEY')
    expect((await groundwork(['storage', 'buckets', 'drop'])).code).toBe(2)
  }, 60_000)
})
