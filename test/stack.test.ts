import { AuthClient } from '@supabase/auth-js'
import { PostgrestClient } from '@supabase/postgrest-js'
import { createParser, type EventSourceMessage } from 'eventsource-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningDemo, startDemo } from './support/demo-server'

let stack: RunningDemo

beforeAll(async () => {
  stack = await startDemo()
})
afterAll(() => stack?.stop())

function authClient(): InstanceType<typeof AuthClient> {
  return new AuthClient({
    url: `${stack.url}/auth/v1`,
    headers: { apikey: stack.anonKey },
    persistSession: false,
    autoRefreshToken: false,
  })
}

function rest(token: string): PostgrestClient {
  return new PostgrestClient(`${stack.url}/rest/v1`, {
    headers: { apikey: stack.anonKey, authorization: `Bearer ${token}` },
  })
}

interface MailboxMessage {
  to: string
  subject: string
  html: string
}

/** Waits for the job runner to deliver a mail to the dev mailbox (`GET /mail/messages?to=`). */
async function mailTo(address: string): Promise<MailboxMessage> {
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    const response = await fetch(`${stack.url}/mail/messages?to=${encodeURIComponent(address)}`, {
      headers: { authorization: `Bearer ${stack.serviceRoleKey}` },
    })
    expect(response.status).toBe(200)
    const { items } = (await response.json()) as { items: MailboxMessage[] }
    if (items[0]) return items[0]
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`no mail to ${address} within 20 s`)
}

/** Reads SSE messages from a `/realtime/v1/stream` response until `count` changes arrived. */
async function readEvents(response: Response, count: number): Promise<EventSourceMessage[]> {
  const events: EventSourceMessage[] = []
  const parser = createParser({ onEvent: (event) => events.push(event) })
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  while (events.filter((e) => e.event !== 'ready').length < count) {
    const { value, done } = await reader.read()
    if (done) break
    parser.feed(decoder.decode(value, { stream: true }))
  }
  await reader.cancel()
  return events.filter((e) => ['INSERT', 'UPDATE', 'DELETE'].includes(e.event ?? ''))
}

describe('the whole stack through real Supabase clients', () => {
  it('signs up with a confirmation mail, then reads and writes its own rows under RLS, streamed live', async () => {
    const email = `ada+${Date.now()}@example.com`
    const auth = authClient()
    const signUp = await auth.signUp({ email, password: 'correct horse battery staple' })
    expect(signUp.error).toBeNull()
    expect(signUp.data.session).toBeNull() // confirmation required

    // The confirmation mail was enqueued in the sign-up transaction and delivered by the job runner.
    const mail = await mailTo(email)
    const link = /href="([^"]+\/verify\?[^"]+)"/.exec(mail.html)?.[1]?.replaceAll('&amp;', '&')
    expect(link).toBeDefined()
    const verifyUrl = new URL(link as string)
    const verified = await fetch(`${stack.url}/auth/v1/verify${verifyUrl.search}`, { redirect: 'manual' })
    expect(verified.status).toBe(303)
    const fragment = new URLSearchParams(new URL(verified.headers.get('location') as string).hash.slice(1))
    const accessToken = fragment.get('access_token') as string
    expect(accessToken).toBeTruthy()
    expect(fragment.get('type')).toBe('signup')

    // The session works with auth-js …
    const user = await auth.getUser(accessToken)
    expect(user.data.user?.email).toBe(email)
    const userId = user.data.user?.id as string

    // … and REST runs as that user: auth.uid() fills owner_id, RLS shows the row to its owner.
    const ada = rest(accessToken)
    const list = await ada.from('lists').insert({ title: 'Groceries' }).select().single()
    expect(list.error).toBeNull()
    expect(list.data).toMatchObject({ title: 'Groceries', owner_id: userId, is_public: false })

    // A realtime subscriber with the same token sees the todo inserted through REST.
    const stream = await fetch(
      `${stack.url}/realtime/v1/stream?schema=public&table=todos&filter=list_id=eq.${list.data?.id}`,
      { headers: { authorization: `Bearer ${accessToken}`, apikey: stack.anonKey } },
    )
    expect(stream.status).toBe(200)
    expect(stream.headers.get('content-type')).toContain('text/event-stream')
    const received = readEvents(stream, 1)
    await new Promise((resolve) => setTimeout(resolve, 200))
    const todo = await ada
      .from('todos')
      .insert({ list_id: list.data?.id, title: 'Milk' })
      .select('id,title')
      .single()
    expect(todo.error).toBeNull()
    const [change] = await received
    expect(change?.event).toBe('INSERT')
    expect(JSON.parse(change?.data as string)).toMatchObject({
      schema: 'public',
      table: 'todos',
      type: 'INSERT',
      record: { title: 'Milk', created_by: userId },
    })

    // Another (anonymous) user cannot see Ada's private list or todos.
    const stranger = await authClient().signInAnonymously()
    expect(stranger.error).toBeNull()
    const theirs = await rest(stranger.data.session?.access_token as string)
      .from('todos')
      .select('title')
      .eq('list_id', list.data?.id as number)
    expect(theirs.error).toBeNull()
    expect(theirs.data).toEqual([])
  })

  it('lets only the service role into the jobs admin API', async () => {
    const asService = await fetch(`${stack.url}/admin/jobs/stats`, {
      headers: { authorization: `Bearer ${stack.serviceRoleKey}` },
    })
    expect(asService.status).toBe(200)
    const asAnon = await fetch(`${stack.url}/admin/jobs/stats`, {
      headers: { authorization: `Bearer ${stack.anonKey}` },
    })
    expect(asAnon.status).toBe(403)
  })
})
