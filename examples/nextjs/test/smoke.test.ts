/**
 * Smoke flow of the Next.js example: `next build` (skipped when its inputs did not change since
 * the last build — it is CPU heavy), then Next's production server in this process on a database
 * of its own. The app migrates and starts Groundwork itself (`instrumentation.ts`); the test drives
 * it with `@groundwork/client`: health, sign-up, REST under RLS, a change over SSE.
 *
 * Groundwork's packages are loaded from their built `dist` (`serverExternalPackages`): run
 * `pnpm build` first, as `pnpm test` does.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createClient, type RealtimeChange, type RealtimeStatus } from '@groundwork/client'
import { createTestDatabase, signTestToken, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const dir = fileURLToPath(new URL('../', import.meta.url))
const nextBin = fileURLToPath(new URL('../node_modules/next/dist/bin/next', import.meta.url))

/** `next build`, unless a stamp says the app's sources, config and package.json are unchanged. */
async function buildIfChanged(): Promise<void> {
  const files = ['next.config.mjs', 'package.json']
  for (const entry of await readdir(new URL('../src/', import.meta.url), {
    recursive: true,
    withFileTypes: true,
  })) {
    if (entry.isFile()) files.push(`${entry.parentPath.slice(dir.length)}/${entry.name}`)
  }
  const hash = createHash('sha256')
  for (const file of files.sort()) hash.update(file).update(await readFile(`${dir}${file}`))
  const digest = hash.digest('hex')
  const stamp = `${dir}.next/groundwork-inputs`
  if ((await readFile(stamp, 'utf8').catch(() => '')) === digest) return
  await promisify(execFile)(process.execPath, [nextBin, 'build', dir], {
    cwd: dir,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    timeout: 170_000,
  })
  await writeFile(stamp, digest)
}

const saved = { ...process.env }
let database: TestDatabase
let origin = ''
let close: (() => Promise<void>) | undefined

beforeAll(async () => {
  await buildIfChanged()
  // An empty database: the app applies every migration itself on start.
  database = await createTestDatabase({ migrated: false })
  Object.assign(process.env, {
    DATABASE_URL: database.url,
    JWT_SECRET: TEST_JWT_SECRET,
    AUTH_AUTOCONFIRM: 'true',
    NEXT_TELEMETRY_DISABLED: '1',
  })
  let handle: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined
  const server = createServer((req, res) => void handle?.(req, res))
  server.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const port = (server.address() as AddressInfo).port
  const { default: next } = await import('next')
  const app = next({ dev: false, dir, quiet: true, hostname: '127.0.0.1', port })
  await app.prepare()
  handle = app.getRequestHandler()
  origin = `http://127.0.0.1:${port}`
  close = async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    await app.close()
  }
}, 240_000)

afterAll(async () => {
  await close?.()
  // The services live in the app's module scope (globalThis), in this process.
  const running = (globalThis as Record<symbol, Promise<{ stop(): Promise<void> }> | undefined>)[
    Symbol.for('groundwork.example-nextjs')
  ]
  await (await running?.catch(() => undefined))?.stop()
  await database?.drop()
  process.env = saved
})

async function until<T>(read: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const value = read()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe('examples/nextjs (next build, production server)', () => {
  it('serves its own route handlers beside the mounted services', async () => {
    const health = await fetch(`${origin}/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok' })
    expect(((await (await fetch(`${origin}/`)).json()) as { rest: string }).rest).toBe('/rest/v1')
  })

  it('signs up, writes under RLS and streams the change over SSE through App Router route handlers', async () => {
    const client = createClient(origin, await signTestToken({ role: 'anon' }), {
      auth: { persistSession: false, autoRefreshToken: false },
    })
    const signUp = await client.auth.signUp({
      email: `next+${Date.now()}@example.com`,
      password: 'a long enough password',
    })
    expect(signUp.error).toBeNull()
    const userId = signUp.data.user?.id
    expect(signUp.data.session).not.toBeNull()

    const list = await client.from('lists').insert({ title: 'Next list' }).select().single()
    expect(list.error).toBeNull()
    expect(list.data).toMatchObject({ owner_id: userId, is_public: false })
    const seed = await client.from('lists').select('title').eq('is_public', true)
    expect(seed.data).toEqual([{ title: 'Welcome to Groundwork' }])

    const changes: RealtimeChange[] = []
    const statuses: RealtimeStatus[] = []
    const subscription = client.realtime.subscribe(
      { table: 'todos', filter: `list_id=eq.${list.data.id}` },
      { onChange: (change) => changes.push(change), onStatus: (status) => statuses.push(status) },
    )
    await until(() => (statuses.includes('open') ? true : undefined), 'the stream')
    const todo = await client
      .from('todos')
      .insert({ list_id: list.data.id, title: 'deploy' })
      .select()
      .single()
    expect(todo.error).toBeNull()
    const change = await until(() => changes[0], 'the change')
    expect(change).toMatchObject({ type: 'INSERT', record: { title: 'deploy', created_by: userId } })
    subscription.close()
    await subscription.closed
  })
})
