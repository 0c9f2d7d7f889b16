import { migrate } from '@groundwork/core'
import { createJobs, type Jobs } from '@groundwork/jobs'
import { createMail, type Mail, outboxTransport } from '@groundwork/mail'
import { createTestDatabase, signTestToken, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import { GoTrueAdminApi, GoTrueClient } from '@supabase/auth-js'
import { type AuthOptions, createAuth } from '../../src/index'
import { serve, type TestServer } from './serve'

/** Where the test app "lives": links in mail redirect here (allowed by the site URL rule). */
export const SITE_URL = 'http://app.test:3000'

/** A storage for auth-js in Node (sessions and PKCE code verifiers). */
export function memoryStorage(): {
  getItem(k: string): string | null
  setItem(k: string, v: string): void
  removeItem(k: string): void
} {
  const items = new Map<string, string>()
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  }
}

/** A captured mail, as the outbox lists it. */
export interface CapturedMail {
  id: string
  to: string
  subject: string
  html: string
  text: string
  createdAt: Date | string
}

/** A full stack: a cloned database, mail through the outbox transport, a jobs runner, auth mounted at /auth/v1. */
export interface Stack {
  t: TestDatabase
  auth: ReturnType<typeof createAuth>
  mail: Mail
  jobs: Jobs
  server: TestServer
  /** `http://127.0.0.1:<port>/auth/v1` */
  url: string
  anonKey: string
  serviceKey: string
  /** A fresh auth-js client (its own memory storage; no auto refresh). */
  client(options?: { flowType?: 'implicit' | 'pkce' }): GoTrueClient
  /** auth-js' admin API with the service_role key. */
  admin(): GoTrueAdminApi
  /** Mails delivered to `to`, newest first. */
  mails(to: string): Promise<CapturedMail[]>
  /** Waits until `to` has received more than `already` mails; returns the newest. */
  nextMail(to: string, already?: number): Promise<CapturedMail>
  close(): Promise<void>
}

/** Builds a {@link Stack}; `overrides` go to `createAuth`. */
export async function createStack(overrides: Partial<AuthOptions> = {}): Promise<Stack> {
  const t = await createTestDatabase()
  const mail = createMail({
    db: t.db,
    transport: outboxTransport(),
    from: 'Groundwork <no-reply@app.test>',
    siteUrl: SITE_URL,
  })
  const jobs = createJobs({ db: t.db, tasks: [...mail.tasks], pollInterval: 100 })
  // Idempotent: a no-op when the template database already carries these sets.
  await migrate(t.db, [mail.migrations])
  let server: TestServer | undefined
  // The external URL must be known before createAuth (links in mail), so reserve the port first.
  const holder: { handler?: (request: Request) => Promise<Response> } = {}
  server = await serve(
    (request) => (holder.handler as (r: Request) => Promise<Response>)(request),
    '/auth/v1',
  )
  const url = `${server.origin}/auth/v1`
  const auth = createAuth({
    db: t.db,
    jwt: { secret: TEST_JWT_SECRET },
    siteUrl: SITE_URL,
    externalUrl: url,
    // Auth takes any `send(tx, message)`; mail's typed surface is `mail.api`.
    mail: mail.api,
    // Unexpected errors fail loudly in test output instead of hiding behind the generic 500.
    onError: (error: unknown) => console.error('auth onError:', error),
    ...overrides,
  })
  await migrate(t.db, [auth.migrations])
  holder.handler = auth.handler
  await jobs.start()
  const anonKey = await signTestToken({ role: 'anon' }, { expiresIn: '10y' })
  const serviceKey = await signTestToken({ role: 'service_role' }, { expiresIn: '10y' })

  const mails = async (to: string): Promise<CapturedMail[]> =>
    (await mail.api.outbox.list({ to })) as unknown as CapturedMail[]

  return {
    t,
    auth,
    mail,
    jobs,
    server,
    url,
    anonKey,
    serviceKey,
    client(options = {}) {
      return new GoTrueClient({
        url,
        headers: { apikey: anonKey, Authorization: `Bearer ${anonKey}` },
        storage: memoryStorage(),
        storageKey: `sb-test-${Math.random().toString(36).slice(2)}`,
        persistSession: true,
        autoRefreshToken: false,
        detectSessionInUrl: false,
        flowType: options.flowType ?? 'implicit',
      })
    },
    admin() {
      return new GoTrueAdminApi({
        url,
        headers: { apikey: serviceKey, Authorization: `Bearer ${serviceKey}` },
      })
    },
    mails,
    async nextMail(to, already = 0) {
      const deadline = Date.now() + 15_000
      for (;;) {
        const list = await mails(to)
        if (list.length > already && list[0]) return list[0]
        if (Date.now() > deadline) throw new Error(`no mail to ${to} within 15 s (have ${list.length})`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
    async close() {
      await jobs.close()
      await server?.close()
      await t.drop()
    },
  }
}

/** The `/verify` link of a mail (HTML entities decoded). */
export function linkOf(mail: CapturedMail): string {
  const source = `${mail.text}\n${mail.html}`
  const match = /https?:\/\/[^\s"'<>()[\]]+\/verify\?[^\s"'<>()[\]]+/.exec(source)
  if (!match) throw new Error(`no /verify link in mail "${mail.subject}":\n${mail.text}`)
  return match[0].replaceAll('&amp;', '&')
}

/** The numeric code of a mail. */
export function codeOf(mail: CapturedMail): string {
  const match =
    /code[^0-9<]*(?:<[^>]*>[^0-9<]*)*(\d{6,10})\b/i.exec(mail.text) ?? /\b(\d{6})\b/.exec(mail.text)
  if (!match?.[1]) throw new Error(`no code in mail "${mail.subject}":\n${mail.text}`)
  return match[1]
}

/** Follows a mail link like a browser's first hop: GET without following the redirect. */
export async function follow(link: string): Promise<{ status: number; location: URL }> {
  const response = await fetch(link, { redirect: 'manual' })
  const location = response.headers.get('location')
  if (!location) throw new Error(`no redirect from ${link}: ${response.status} ${await response.text()}`)
  return { status: response.status, location: new URL(location) }
}

/** The parameters of a URL fragment (`#a=1&b=2`). */
export function fragment(url: URL): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(url.hash.replace(/^#/, '')))
}
