/**
 * Metadata and bytes stay consistent: a refused, failed or rolled-back upload leaves no row and no
 * bytes; a committed delete removes the bytes through a job (the outbox), even when the process
 * dies right after the commit; folder deletes and moves run as jobs, as the caller; the cleanup
 * task removes what a crash left behind.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { sourceForkArgv } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { versionKey } from '../src/backends/types'
import { ALICE, BOB, countKeys, createStack, type Stack, waitFor } from './helpers'

let stack: Stack
let child: ChildProcess | undefined
beforeAll(async () => {
  stack = await createStack('local')
})
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL')
  await stack?.close()
})

const aliceCall = async () => {
  const { createJwtAuthenticator } = await import('@groundwork/core')
  const { TEST_JWT_SECRET } = await import('@groundwork/testing')
  const principal = await createJwtAuthenticator({ secret: TEST_JWT_SECRET })(
    new Request('http://x/', { headers: { authorization: `Bearer ${stack.tokens.alice}` } }),
  )
  return { as: principal }
}

async function pendingJobs(task: string): Promise<number> {
  const { rows } = await stack.test.db.query<{ n: number }>(
    'select count(*)::int as n from graphile_worker.jobs where task_identifier = $1',
    [task],
  )
  return rows[0]?.n ?? 0
}

function failingStream(bytesBeforeFailure: number): ReadableStream<Uint8Array> {
  let sent = 0
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytesBeforeFailure) return controller.error(new Error('connection reset'))
      sent += 64 * 1024
      controller.enqueue(new Uint8Array(64 * 1024))
    },
  })
}

describe('uploads that do not commit leave nothing', () => {
  it('an upload RLS refuses after its bytes were written: no row, bytes deleted at once', async () => {
    const before = await countKeys(stack.backend)
    await expect(
      stack.storage.api.upload('docs', `${BOB}/not-yours.txt`, 'small body', await aliceCall()),
    ).rejects.toMatchObject({ code: 'STORAGE_ACCESS_DENIED' })
    expect(await countKeys(stack.backend)).toBe(before)
  })

  it('a large upload RLS refuses is refused before a byte is stored', async () => {
    const before = await countKeys(stack.backend)
    await expect(
      stack.storage.api.upload('docs', `${BOB}/big.bin`, failingStream(1e12), { ...(await aliceCall()) }),
    ).rejects.toMatchObject({ code: 'STORAGE_ACCESS_DENIED' })
    expect(await countKeys(stack.backend)).toBe(before)
  })

  it('an upload whose body fails midway: no row, no bytes, no temp file', async () => {
    const before = await countKeys(stack.backend)
    await expect(
      stack.storage.api.upload('docs', `${ALICE}/broken.bin`, failingStream(1024 * 1024), await aliceCall()),
    ).rejects.toThrow('connection reset')
    expect(await countKeys(stack.backend)).toBe(before)
    const { rows } = await stack.test.db.query(`select 1 from storage.objects where name = $1`, [
      `${ALICE}/broken.bin`,
    ])
    expect(rows).toEqual([])
  })

  it('a delete that rolls back keeps the bytes and enqueues nothing', async () => {
    const { version } = await stack.storage.api.upload('docs', `${ALICE}/keep.txt`, 'keep')
    const jobs = await pendingJobs('storage:delete-versions')
    await stack.test.db
      .transaction(async (tx) => {
        await tx.query('delete from storage.objects where version = $1', [version])
        throw new Error('rollback')
      })
      .catch(() => {})
    expect(await pendingJobs('storage:delete-versions')).toBe(jobs)
    expect(await stack.backend.head(versionKey(version))).not.toBeNull()
  })

  it('a delete from outside the API (psql, another service) deletes the bytes too', async () => {
    const { version } = await stack.storage.api.upload('docs', `${ALICE}/sql-delete.txt`, 'bye')
    await stack.test.db.query('delete from storage.objects where version = $1', [version])
    await stack.jobs.start()
    await waitFor(async () => (await stack.backend.head(versionKey(version))) === null)
    await stack.jobs.close()
  })
})

describe('a committed delete survives the process dying before the bytes are deleted', () => {
  it('the job enqueued with the delete removes the bytes when a runner starts again', async () => {
    const name = `${ALICE}/crash/victim.bin`
    const { version } = await stack.storage.api.upload('docs', name, 'bytes of the victim')
    child = fork(fileURLToPath(new URL('./fixtures/delete-then-die.ts', import.meta.url)), {
      env: {
        ...process.env,
        STORAGE_TEST_DATABASE_URL: stack.test.url,
        STORAGE_TEST_ROOT: stack.root,
        STORAGE_TEST_OBJECT: name,
      },
      execArgv: sourceForkArgv(),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    await new Promise<void>((resolve, reject) => {
      child?.on('message', (m: { type?: string }) => m.type === 'deleted' && resolve())
      child?.once('exit', (code) => reject(new Error(`child exited (${code}) early`)))
    })
    child.kill('SIGKILL')
    await new Promise((resolve) => child?.once('exit', resolve))

    // Committed: no row. Not yet done: the bytes are still there, the job waits.
    const { rows } = await stack.test.db.query('select 1 from storage.objects where version = $1', [version])
    expect(rows).toEqual([])
    expect(await stack.backend.head(versionKey(version))).not.toBeNull()
    expect(await pendingJobs('storage:delete-versions')).toBeGreaterThan(0)

    await stack.jobs.start()
    await waitFor(async () => (await stack.backend.head(versionKey(version))) === null)
    await stack.jobs.close()
  }, 60_000)
})

describe('folder operations run as jobs, as the caller', () => {
  it('deletes a folder recursively: what the caller may delete goes, nothing else', async () => {
    for (let i = 0; i < 25; i++)
      await stack.storage.api.upload('docs', `${ALICE}/tree/${i % 3}/f${i}.txt`, `${i}`)
    await stack.storage.api.upload('docs', `${ALICE}/treehouse.txt`, 'not in the folder')
    const call = await aliceCall()
    const { jobId } = await stack.storage.api.deletePrefix('docs', `${ALICE}/tree`, call)
    expect(jobId).toMatch(/^\d+$/)
    await stack.jobs.start()
    await waitFor(
      async () => (await stack.storage.api.list('docs', { prefix: `${ALICE}/tree` })).length === 0,
    )
    expect(await stack.storage.api.list('docs', { prefix: ALICE, search: 'treehouse' })).toHaveLength(1)
    await stack.jobs.close()
  })

  it('moves a folder recursively; another user’s job moves nothing of the owner’s', async () => {
    for (let i = 0; i < 12; i++) await stack.storage.api.upload('docs', `${ALICE}/src/${i}.txt`, `${i}`)
    const { createJwtAuthenticator } = await import('@groundwork/core')
    const { TEST_JWT_SECRET } = await import('@groundwork/testing')
    const bob = await createJwtAuthenticator({ secret: TEST_JWT_SECRET })(
      new Request('http://x/', { headers: { authorization: `Bearer ${stack.tokens.bob}` } }),
    )
    await stack.storage.api.movePrefix('docs', `${ALICE}/src`, `${BOB}/stolen`, {}, { as: bob })
    await stack.storage.api.movePrefix('docs', `${ALICE}/src`, `${ALICE}/dst`, {}, await aliceCall())
    await stack.jobs.start()
    await waitFor(
      async () => (await stack.storage.api.list('docs', { prefix: `${ALICE}/dst` })).length === 12,
    )
    expect(await stack.storage.api.list('docs', { prefix: `${BOB}/stolen` })).toEqual([])
    expect(await stack.storage.api.list('docs', { prefix: `${ALICE}/src` })).toEqual([])
    await stack.jobs.close()
  })
})

describe('cleanup', () => {
  it('deletes bytes no row references (left by a crash before the commit) and expired uploads', async () => {
    const orphan = randomUUID()
    await stack.backend.put(versionKey(orphan), new Response('orphaned').body as ReadableStream<Uint8Array>)
    const { version } = await stack.storage.api.upload('docs', `${ALICE}/kept.txt`, 'kept')
    await stack.test.db.query(
      `insert into storage.uploads (id, bucket_id, name, owner_role, upload_length, content_type, cache_control, version, expires_at)
       values ($1, 'docs', 'x', 'service_role', 10, 'text/plain', 'max-age=1', $2, now() - interval '1 minute')`,
      [randomUUID(), randomUUID()],
    )
    const result = await stack.storage.api.cleanup({ olderThanMs: 1 })
    expect(result).toEqual({ expiredUploads: 1, orphans: 1 })
    expect(await stack.backend.head(versionKey(orphan))).toBeNull()
    expect(await stack.backend.head(versionKey(version))).not.toBeNull()
    const { rows } = await stack.test.db.query('select 1 from storage.uploads')
    expect(rows).toEqual([])
  })
})
