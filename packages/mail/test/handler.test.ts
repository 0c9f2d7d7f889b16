import { createJwtAuthenticator } from '@groundwork/core'
import {
  createTestDatabase,
  postOversizeBody,
  signTestToken,
  TEST_JWT_SECRET,
  type TestDatabase,
} from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMail, type Mail, outboxTransport } from '../src/index'

let t: TestDatabase
let mail: Mail
let service: string
let authenticated: string
let anon: string

beforeAll(async () => {
  t = await createTestDatabase()
  mail = createMail({
    db: t.db,
    transport: outboxTransport(),
    from: 'no-reply@example.com',
    siteUrl: 'https://app.example.com',
    authenticate: createJwtAuthenticator({ secret: TEST_JWT_SECRET }),
    devMailbox: true,
    cacheTtl: 0,
  })
  service = await signTestToken({ role: 'service_role' })
  authenticated = await signTestToken({ role: 'authenticated', sub: '00000000-0000-0000-0000-000000000001' })
  anon = await signTestToken({ role: 'anon' })
})
afterAll(async () => {
  await mail.close()
  await t.drop()
})

function call(path: string, init: RequestInit & { token?: string | null; handler?: Mail['handler'] } = {}) {
  const { token = service, handler = mail.handler, ...rest } = init
  const headers = new Headers(rest.headers)
  if (token) headers.set('authorization', `Bearer ${token}`)
  if (rest.body) headers.set('content-type', 'application/json')
  return handler(new Request(`http://localhost${path}`, { ...rest, headers }))
}

/** Delivers like the job would, without waiting for a runner. */
async function deliver(
  to: string,
  template = 'otp',
  variables: Record<string, unknown> = { token: '314159' },
) {
  const receipt = await mail.api.render({ template, variables })
  await mail.transport.send(
    {
      from: 'no-reply@example.com',
      to: [to],
      subject: receipt.subject,
      html: receipt.html,
      text: receipt.text,
      headers: {},
      template,
    },
    { db: t.db },
  )
}

describe('admin handler authorization', () => {
  it('rejects non-service roles with 403 and bad tokens with 401, as JSON', async () => {
    for (const token of [anon, authenticated, null]) {
      const response = await call('/templates', { token })
      expect(response.status).toBe(403)
      expect(response.headers.get('content-type')).toMatch(/application\/json/)
      expect(await response.json()).toMatchObject({ code: 'MAIL_FORBIDDEN' })
    }
    const forged = await signTestToken(
      { role: 'service_role' },
      { secret: 'another-secret-of-at-least-32-characters!' },
    )
    const response = await call('/templates', { token: forged })
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ code: 'CORE_JWT_INVALID' })
  })

  it('answers 403 when no authenticate option was given', async () => {
    const closed = createMail({ db: t.db, transport: outboxTransport(), from: 'a@example.com' })
    const response = await call('/templates', { handler: closed.handler })
    expect(response.status).toBe(403)
  })
})

describe('templates CRUD through the handler', () => {
  it('creates, reads, lists, updates and deletes a template', async () => {
    let response = await call('/templates/welcome?locale=fr', {
      method: 'PUT',
      body: JSON.stringify({ subject: 'Bienvenue {{ data.name }}', html: '<p>Salut {{ data.name }}</p>' }),
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ key: 'welcome', locale: null, version: 1 })
    // locale is a body field; the query string is only read by GET/DELETE
    response = await call('/templates/welcome', {
      method: 'PUT',
      body: JSON.stringify({
        locale: 'fr',
        subject: 'Bienvenue {{ data.name }}',
        html: '<p>Salut {{ data.name }}</p>',
      }),
    })
    expect(await response.json()).toMatchObject({ key: 'welcome', locale: 'fr', version: 1, enabled: true })

    response = await call('/templates?key=welcome')
    const list = (await response.json()) as { items: { locale: string | null }[] }
    expect(list.items.map((item) => item.locale)).toEqual([null, 'fr'])

    response = await call('/templates/welcome?locale=fr')
    expect(await response.json()).toMatchObject({ subject: 'Bienvenue {{ data.name }}', text: null })

    response = await call('/render', {
      method: 'POST',
      body: JSON.stringify({
        template: 'welcome',
        locale: 'fr-CA',
        variables: { data: { name: '<b>Zoé</b>' } },
      }),
    })
    expect(await response.json()).toMatchObject({
      subject: 'Bienvenue <b>Zoé</b>',
      html: '<p>Salut &lt;b&gt;Zoé&lt;/b&gt;</p>',
      text: 'Salut <b>Zoé</b>',
      origin: 'stored',
      locale: 'fr',
    })

    response = await call('/templates/welcome?locale=fr', { method: 'DELETE' })
    expect(await response.json()).toEqual({ deleted: 'welcome', locale: 'fr' })
    response = await call('/templates/welcome?locale=fr')
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({ code: 'MAIL_NOT_FOUND' })
    response = await call('/templates/welcome?locale=fr', { method: 'DELETE' })
    expect(response.status).toBe(404)
  })

  it('answers JSON errors for invalid bodies, broken templates and unknown routes', async () => {
    let response = await call('/templates/x', { method: 'PUT', body: '{nope' })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ code: 'HTTP_BAD_JSON' })
    response = await call('/templates/x', { method: 'PUT', body: JSON.stringify({ subject: 'x' }) })
    expect(await response.json()).toMatchObject({
      code: 'HTTP_INVALID_BODY',
      message: expect.stringContaining('html'),
    })
    response = await call('/templates/x', {
      method: 'PUT',
      body: JSON.stringify({ subject: 's', html: '{% if %}' }),
    })
    expect(response.status).toBe(422)
    expect(await response.json()).toMatchObject({ code: 'MAIL_TEMPLATE_ERROR' })
    response = await call('/render', { method: 'POST', body: JSON.stringify({ template: 'nope' }) })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ code: 'MAIL_UNKNOWN_TEMPLATE' })
    response = await call('/nowhere')
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({ code: 'HTTP_NOT_FOUND' })
    response = await call('/templates', { method: 'POST', body: '{}' })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, HEAD')
    expect(await response.json()).toMatchObject({ code: 'HTTP_METHOD_NOT_ALLOWED' })
    response = await call('/templates/x', {
      method: 'PUT',
      body: JSON.stringify({ subject: 's', html: 'nul \u0000 byte' }),
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({
      code: 'MAIL_INVALID_MESSAGE',
      message: expect.stringContaining('NUL'),
    })
  })

  it('refuses a body past maxBodyBytes with 413 while streaming, without buffering it', async () => {
    const result = await postOversizeBody({
      handler: mail.handler,
      path: '/templates/big',
      method: 'PUT',
      limit: 1024 * 1024,
      headers: { authorization: `Bearer ${service}` },
    })
    expect(result.status).toBe(413)
    expect(result.body).toMatchObject({ code: 'HTTP_PAYLOAD_TOO_LARGE', message: expect.any(String) })
    expect(result.rssGrowth).toBeLessThan(20 * 1024 * 1024)
  })

  it('previews a draft and lists the built-in templates', async () => {
    let response = await call('/preview', {
      method: 'POST',
      body: JSON.stringify({
        subject: 'Hi {{ email }}',
        html: '<h1>{{ email }}</h1>',
        variables: { email: 'a&b' },
      }),
    })
    expect(await response.json()).toEqual({ subject: 'Hi a&b', html: '<h1>a&amp;b</h1>', text: 'a&b' })
    response = await call('/builtin')
    const builtin = (await response.json()) as Record<string, { subject: string }>
    expect(builtin.recovery?.subject).toBe('Reset Your Password')
  })

  it('strips basePath for frameworks that pass the full URL', async () => {
    const mounted = createMail({
      db: t.db,
      transport: outboxTransport(),
      from: 'a@example.com',
      authenticate: createJwtAuthenticator({ secret: TEST_JWT_SECRET }),
      basePath: '/admin/mail',
    })
    const response = await call('/admin/mail/builtin', { handler: mounted.handler })
    expect(response.status).toBe(200)
    // Only at a segment boundary: `/admin/mailbox` is not under `/admin/mail`.
    expect((await call('/admin/mailbox/builtin', { handler: mounted.handler })).status).toBe(404)
  })
})

describe('outbox through the admin handler', () => {
  it('lists and reads messages as uncacheable JSON, to the service role only', async () => {
    await mail.api.outbox.clear()
    await deliver('lin@example.com')

    let response = await call('/outbox?to=lin@example.com')
    expect(response.headers.get('cache-control')).toBe('no-store')
    const { items } = (await response.json()) as {
      items: { id: string; to: string; subject: string; text: string }[]
    }
    expect(items).toHaveLength(1)
    expect(items[0]).toMatchObject({ to: 'lin@example.com', subject: 'Your Sign-In Code' })
    expect(items[0]?.text).toContain('314159')

    response = await call(`/outbox/${items[0]?.id}`)
    expect(await response.json()).toMatchObject({ id: items[0]?.id })
    response = await call('/outbox/00000000-0000-0000-0000-000000000000')
    expect(response.status).toBe(404)

    // The HTML page is the dev mailbox's alone now.
    expect((await call('/mailbox')).status).toBe(404)

    for (const token of [anon, authenticated, null]) {
      response = await call('/outbox', { token })
      expect(response.status).toBe(403)
      expect(await response.text()).not.toContain('314159')
    }
  })

  it('clears the outbox', async () => {
    await deliver('clear@example.com')
    const response = await call('/outbox', { method: 'DELETE' })
    expect(((await response.json()) as { deleted: number }).deleted).toBeGreaterThan(0)
    expect(await mail.api.outbox.list()).toEqual([])
  })
})
