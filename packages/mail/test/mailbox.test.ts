import { randomUUID } from 'node:crypto'
import { createJwtAuthenticator } from '@groundwork/core'
import { createTestDatabase, signTestToken, TEST_JWT_SECRET, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMail, type Mail, outboxTransport } from '../src/index'

let t: TestDatabase
let mail: Mail
let service: string
let anon: string
let authenticated: string
let forged: string
let messageId: string
const secret = `tok_${randomUUID()}`
const code = '271828'
const victim = 'victim@example.com'

beforeAll(async () => {
  t = await createTestDatabase()
  mail = createMail({
    db: t.db,
    transport: outboxTransport(),
    from: 'no-reply@example.com',
    authenticate: createJwtAuthenticator({ secret: TEST_JWT_SECRET }),
    devMailbox: true,
  })
  service = await signTestToken({ role: 'service_role' })
  anon = await signTestToken({ role: 'anon' })
  authenticated = await signTestToken({ role: 'authenticated', sub: '00000000-0000-0000-0000-000000000001' })
  forged = await signTestToken(
    { role: 'service_role' },
    { secret: 'another-secret-of-at-least-32-characters!' },
  )
  const rendered = await mail.api.render({
    template: 'magic_link',
    variables: {
      confirmation_url: `https://app.example.com/auth/v1/verify?token=${secret}&type=magiclink`,
      token: code,
    },
  })
  await mail.transport.send(
    {
      from: 'no-reply@example.com',
      to: [victim],
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      headers: {},
      template: 'magic_link',
    },
    { db: t.db },
  )
  const [stored] = await mail.api.outbox.list({ to: victim })
  messageId = stored?.id as string
})
afterAll(async () => {
  await mail?.close()
  await t?.drop()
})

function get(path: string, headers: Record<string, string> = {}, handler = mail.mailboxHandler) {
  return handler(new Request(`http://localhost${path}`, { headers }))
}

/** Nothing of the caught mail: not the link's token, the code, the recipient or the subject. */
function expectNoMail(body: string) {
  expect(body).not.toContain(secret)
  expect(body).not.toContain(code)
  expect(body).not.toContain(victim)
  expect(body).not.toMatch(/magic link/i)
}

const routes = () => [
  '/',
  `/?id=${messageId}`,
  `/?to=${victim}`,
  '/messages',
  `/messages?to=${victim}`,
  `/messages/${messageId}`,
  '/messages/00000000-0000-0000-0000-000000000000',
  '/nowhere',
]

describe('dev mailbox access', () => {
  it('answers every route 401/403 in the JSON error format, with no mail, to callers without the service role', async () => {
    const callers: [string, Record<string, string>, number, string][] = [
      ['no credentials', {}, 401, 'MAIL_UNAUTHORIZED'],
      ['anon key as Bearer', { authorization: `Bearer ${anon}` }, 403, 'MAIL_FORBIDDEN'],
      ['anon key as apikey', { apikey: anon }, 403, 'MAIL_FORBIDDEN'],
      ['a user session', { authorization: `Bearer ${authenticated}` }, 403, 'MAIL_FORBIDDEN'],
      ['a forged service_role token', { authorization: `Bearer ${forged}` }, 401, 'CORE_JWT_INVALID'],
    ]
    for (const [who, headers, status, errorCode] of callers) {
      for (const path of routes()) {
        const response = await get(path, headers)
        const body = await response.text()
        expect([who, path, response.status]).toEqual([who, path, status])
        expect(response.headers.get('content-type')).toMatch(/^application\/json/)
        expect(JSON.parse(body)).toMatchObject({ code: errorCode, message: expect.any(String) })
        expectNoMail(body)
        if (status === 401) expect(response.headers.get('www-authenticate')).toBe('Bearer')
      }
    }
  })

  it('gives a browser the page shell with the same 401/403: a key form, no mail', async () => {
    const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }
    for (const [headers, status] of [
      [html, 401],
      [{ ...html, apikey: anon }, 403],
    ] as const) {
      for (const path of ['/', `/?id=${messageId}`, `/?to=${victim}`]) {
        const response = await get(path, headers)
        expect(response.status).toBe(status)
        expect(response.headers.get('content-type')).toMatch(/^text\/html/)
        expect(response.headers.get('cache-control')).toBe('no-store')
        const page = await response.text()
        expect(page).toContain('service_role key')
        expect(page).toContain('sessionStorage')
        expectNoMail(page)
      }
    }
    // Only the page: the JSON routes stay JSON errors whatever the Accept header says.
    const response = await get('/messages', html)
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ code: 'MAIL_UNAUTHORIZED' })
  })

  it('serves the outbox to the service role, as a Bearer token or an apikey header', async () => {
    const asService: Record<string, string>[] = [{ authorization: `Bearer ${service}` }, { apikey: service }]
    for (const headers of asService) {
      let response = await get(`/messages?to=${victim}`, headers)
      expect(response.status).toBe(200)
      expect(response.headers.get('cache-control')).toBe('no-store')
      const { items } = (await response.json()) as { items: { id: string; text: string }[] }
      expect(items.map((item) => item.id)).toEqual([messageId])
      expect(items[0]?.text).toContain(secret)

      response = await get(`/messages/${messageId}`, headers)
      expect(await response.json()).toMatchObject({ id: messageId, to: victim })
      response = await get('/messages/00000000-0000-0000-0000-000000000000', headers)
      expect(response.status).toBe(404)
      expect(await response.json()).toMatchObject({ code: 'MAIL_NOT_FOUND' })

      response = await get('/', headers)
      expect(response.status).toBe(200)
      expectNoMail(await response.text()) // the page reads the JSON itself
    }
  })

  it('is off by default: every route answers 404, even to the service role', async () => {
    const off = createMail({
      db: t.db,
      transport: outboxTransport(),
      from: 'a@example.com',
      authenticate: createJwtAuthenticator({ secret: TEST_JWT_SECRET }),
    })
    for (const path of routes()) {
      const callers: Record<string, string>[] = [
        {},
        { authorization: `Bearer ${service}` },
        { accept: 'text/html' },
      ]
      for (const headers of callers) {
        const response = await get(path, headers, off.mailboxHandler)
        expect(response.status).toBe(404)
        const body = await response.text()
        expect(JSON.parse(body)).toMatchObject({ code: 'MAIL_NOT_FOUND' })
        expectNoMail(body)
      }
    }
  })

  it('strips basePath for frameworks that pass the full URL', async () => {
    const mounted = createMail({
      db: t.db,
      transport: outboxTransport(),
      from: 'a@example.com',
      authenticate: createJwtAuthenticator({ secret: TEST_JWT_SECRET }),
      devMailbox: true,
      basePath: '/mail',
    })
    let response = await get(`/mail/messages/${messageId}`, { apikey: service }, mounted.mailboxHandler)
    expect(response.status).toBe(200)
    response = await get('/mail', { accept: 'text/html' }, mounted.mailboxHandler)
    expect(response.status).toBe(401)
    expect(response.headers.get('content-type')).toMatch(/^text\/html/)
    response = await get('/mail/messages', { accept: 'text/html' }, mounted.mailboxHandler)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  })
})
