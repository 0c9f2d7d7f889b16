import { fork } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import S3rver from '@20minutes/s3rver'
import { createJwtAuthenticator, type Database } from '@groundwork/core'
import { toNodeHandler } from '@groundwork/core/node'
import { createJobs, type Jobs } from '@groundwork/jobs'
import { createTestDatabase, signTestToken, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import { StorageClient } from '@supabase/storage-js'
import {
  createStorage,
  localBackend,
  type Storage,
  type StorageBackend,
  type StorageOptions,
  s3Backend,
} from '../src/index'

/** The credentials `@20minutes/s3rver` knows (its built-in account). */
export const S3_ACCESS_KEY = 'S3RVER'
export const S3_SECRET_KEY = 'S3RVER'
export const S3_BUCKET = 'groundwork'

/**
 * An S3-compatible server from npm, in this process: `@20minutes/s3rver`, which — unlike the
 * original `s3rver`, whose SigV4 check is a stub — recomputes every request's SigV4 signature and
 * refuses a mismatch (`SignatureDoesNotMatch`).
 */
export async function startS3(
  options: { ownProcess?: boolean } = {},
): Promise<{ endpoint: string; directory: string; close(): Promise<void> }> {
  const directory = await mkdtemp(join(tmpdir(), 'gw-s3-'))
  if (options.ownProcess) {
    const child = fork(fileURLToPath(new URL('./fixtures/s3-server.ts', import.meta.url)), {
      env: { ...process.env, S3_DIRECTORY: directory },
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const port = await new Promise<number>((resolve, reject) => {
      child.on(
        'message',
        (m: { type?: string; port?: number }) => m.type === 'ready' && resolve(m.port as number),
      )
      child.once('exit', (code) => reject(new Error(`s3 server exited (${code})`)))
    })
    return {
      endpoint: `http://127.0.0.1:${port}`,
      directory,
      async close() {
        child.kill()
        await new Promise((resolve) =>
          child.exitCode === null ? child.once('exit', resolve) : resolve(null),
        )
        await rm(directory, { recursive: true, force: true })
      },
    }
  }
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: process.env.S3_VERBOSE !== '1',
    directory,
    configureBuckets: [{ name: S3_BUCKET }],
  })
  const { port } = await server.run()
  return {
    endpoint: `http://127.0.0.1:${port}`,
    directory,
    async close() {
      await server.close()
      await rm(directory, { recursive: true, force: true })
    },
  }
}

export type BackendKind = 'local' | 's3'

/** A backend of `kind` on a fresh folder or S3 server; `close` removes it. */
export async function createBackend(
  kind: BackendKind,
  options: { partSize?: number; queueSize?: number; ownProcess?: boolean } = {},
): Promise<{ backend: StorageBackend; root: string; endpoint?: string; close(): Promise<void> }> {
  if (kind === 'local') {
    const root = await mkdtemp(join(tmpdir(), 'gw-storage-'))
    return { backend: localBackend({ root }), root, close: () => rm(root, { recursive: true, force: true }) }
  }
  const s3 = await startS3({ ownProcess: options.ownProcess ?? false })
  const backend = s3Backend({
    endpoint: s3.endpoint,
    bucket: S3_BUCKET,
    accessKeyId: S3_ACCESS_KEY,
    secretAccessKey: S3_SECRET_KEY,
    partSize: options.partSize ?? 5 * 1024 * 1024,
    queueSize: options.queueSize ?? 2,
  })
  return { backend, root: join(s3.directory, S3_BUCKET), endpoint: s3.endpoint, close: () => s3.close() }
}

/** A real HTTP server in front of a Web handler, through core's Node adapter. */
export async function serve(handler: (request: Request) => Promise<Response>, mount = '') {
  const sockets = new Set<Socket>()
  const node = toNodeHandler(handler, mount ? { basePath: mount } : {})
  const server = http.createServer(node)
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    server,
    url: `http://127.0.0.1:${port}${mount}`,
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Users of the policy fixtures. */
export const ALICE = '11111111-1111-4111-8111-111111111111'
export const BOB = '22222222-2222-4222-8222-222222222222'

/**
 * Supabase's documented per-user-folder policies on a private bucket `docs` (each user reads and
 * writes under `<uid>/`), and a public bucket `avatars` anyone reads and signed-in users write to.
 *
 * @see https://supabase.com/docs/guides/storage/security/access-control
 */
export async function installPolicies(db: Database): Promise<void> {
  await db.query(`
    insert into storage.buckets (id, name, public) values ('docs', 'docs', false), ('avatars', 'avatars', true);
    create policy "own folder: insert" on storage.objects for insert to authenticated
      with check (bucket_id = 'docs' and (storage.foldername(name))[1] = auth.uid()::text);
    create policy "own folder: select" on storage.objects for select to authenticated
      using (bucket_id = 'docs' and (storage.foldername(name))[1] = auth.uid()::text);
    create policy "own folder: update" on storage.objects for update to authenticated
      using (bucket_id = 'docs' and (storage.foldername(name))[1] = auth.uid()::text)
      with check (bucket_id = 'docs' and (storage.foldername(name))[1] = auth.uid()::text);
    create policy "own folder: delete" on storage.objects for delete to authenticated
      using (bucket_id = 'docs' and (storage.foldername(name))[1] = auth.uid()::text);
    create policy "avatars: read" on storage.objects for select using (bucket_id = 'avatars');
    create policy "avatars: write" on storage.objects for insert to authenticated with check (bucket_id = 'avatars');
  `)
}

/** Everything a storage test needs: a database, a backend, the service, tokens, clients. */
export interface Stack {
  test: TestDatabase
  storage: Storage
  backend: StorageBackend
  /** Where the backend keeps bytes on disk (the S3 server's bucket folder for s3). */
  root: string
  /** The S3 server's URL (s3 only). */
  endpoint?: string
  url: string
  tokens: { alice: string; bob: string; anon: string; service: string }
  /** A storage-js client as `token`'s bearer (apikey: the anon key, as supabase-js sends). */
  client(token: string): StorageClient
  /** A jobs runner over the storage tasks (started on demand). */
  jobs: Jobs
  close(): Promise<void>
}

export async function createStack(
  kind: BackendKind,
  options: Partial<StorageOptions> & { mount?: string; partSize?: number; s3OwnProcess?: boolean } = {},
): Promise<Stack> {
  const test = await createTestDatabase()
  await installPolicies(test.db)
  const made = await createBackend(kind, {
    ...(options.partSize ? { partSize: options.partSize } : {}),
    ownProcess: options.s3OwnProcess ?? false,
  })
  const { mount = '/storage/v1', partSize: _partSize, s3OwnProcess: _own, ...rest } = options
  const storage = createStorage({
    db: test.db,
    authenticate: createJwtAuthenticator({ secret: TEST_JWT_SECRET }),
    signingSecret: TEST_JWT_SECRET,
    backend: made.backend,
    ...rest,
  })
  await storage.start()
  const jobs = createJobs({ db: test.db, tasks: [...storage.tasks], pollInterval: 100 })
  const server = await serve(storage.handler, mount)
  const tokens = {
    alice: await signTestToken({ role: 'authenticated', sub: ALICE }),
    bob: await signTestToken({ role: 'authenticated', sub: BOB }),
    anon: await signTestToken({ role: 'anon' }),
    service: await signTestToken({ role: 'service_role' }),
  }
  return {
    test,
    storage,
    backend: made.backend,
    root: made.root,
    ...(made.endpoint ? { endpoint: made.endpoint } : {}),
    url: server.url,
    tokens,
    jobs,
    client: (token) =>
      new StorageClient(server.url, { apikey: tokens.anon, Authorization: `Bearer ${token}` }),
    async close() {
      await server.close()
      await jobs.close()
      await storage.close()
      await test.drop()
      await made.close()
    },
  }
}

/** Polls `check` until it is true (or fails after `timeoutMs`). */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('waitFor: timed out')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The number of keys a backend holds under `prefix` (`objects/`: stored object versions). */
export async function countKeys(backend: StorageBackend, prefix = 'objects/'): Promise<number> {
  let n = 0
  for await (const _ of backend.list(prefix)) n++
  return n
}
