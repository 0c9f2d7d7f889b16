import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILTIN_TEMPLATES, createMail, type Mail, outboxTransport } from '../src/index'
import { recordingLogger } from './helpers'

let t: TestDatabase
let mail: Mail
const logger = recordingLogger()

beforeAll(async () => {
  t = await createTestDatabase()
  mail = createMail({
    db: t.db,
    transport: outboxTransport(),
    from: 'no-reply@example.com',
    siteUrl: 'https://app.example.com',
    logger,
    cacheTtl: 0,
  })
})
afterAll(async () => {
  await mail.close()
  await t.drop()
})

describe('built-in templates', () => {
  it('has one per GoTrue mail flow, each rendering its variables', async () => {
    expect(Object.keys(BUILTIN_TEMPLATES).sort()).toEqual(
      [
        'confirm_signup',
        'email_change',
        'invite',
        'magic_link',
        'otp',
        'reauthentication',
        'recovery',
      ].sort(),
    )
    const invite = await mail.api.render({
      template: 'invite',
      variables: { confirmation_url: 'https://app.example.com/verify?t=1' },
    })
    expect(invite).toMatchObject({ subject: 'You have been invited', origin: 'builtin' })
    expect(invite.html).toContain('create a user on https://app.example.com.')
    const change = await mail.api.render({
      template: 'email_change',
      variables: { email: 'old@example.com', new_email: 'new@example.com', confirmation_url: 'https://x/y' },
    })
    expect(change.html).toContain('from old@example.com to new@example.com')
    const reauth = await mail.api.render({ template: 'reauthentication', variables: { token: '123456' } })
    expect(reauth.text).toContain('Enter the code: 123456')
  })
})

describe('stored templates', () => {
  it('falls back by locale: pt-BR → pt → any-locale → built-in', async () => {
    await mail.api.templates.upsert({ key: 'magic_link', subject: 'Any: {{ email }}', html: '<p>any</p>' })
    await mail.api.templates.upsert({
      key: 'magic_link',
      locale: 'pt',
      subject: 'Seu link',
      html: '<p>pt</p>',
    })
    const ptBR = await mail.api.render({ template: 'magic_link', locale: 'pt-BR', variables: {} })
    expect(ptBR).toMatchObject({ subject: 'Seu link', origin: 'stored', locale: 'pt', version: 1 })
    const pt = await mail.api.render({ template: 'magic_link', locale: 'PT', variables: {} })
    expect(pt.subject).toBe('Seu link')
    const fr = await mail.api.render({
      template: 'magic_link',
      locale: 'fr-CA',
      variables: { email: 'a@b.c' },
    })
    expect(fr).toMatchObject({ subject: 'Any: a@b.c', origin: 'stored', locale: null })

    await mail.api.templates.upsert({
      key: 'magic_link',
      locale: 'pt-BR',
      subject: 'Link (BR)',
      html: '<p>br</p>',
    })
    expect((await mail.api.render({ template: 'magic_link', locale: 'pt-BR' })).subject).toBe('Link (BR)')

    await mail.api.templates.delete('magic_link')
    await mail.api.templates.delete('magic_link', { locale: 'pt' })
    await mail.api.templates.delete('magic_link', { locale: 'pt-BR' })
    expect(await mail.api.render({ template: 'magic_link', locale: 'pt-BR' })).toMatchObject({
      subject: 'Your Magic Link',
      origin: 'builtin',
    })
  })

  it('derives the text part from the HTML when the template has none, and uses its own otherwise', async () => {
    await mail.api.templates.upsert({
      key: 'digest',
      subject: 'Digest',
      html: '<h1>News</h1><ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ul>',
    })
    const derived = await mail.api.render({ template: 'digest', variables: { items: ['one', 'two'] } })
    expect(derived.html).toBe('<h1>News</h1><ul><li>one</li><li>two</li></ul>')
    expect(derived.text).toBe('News\n\n * one\n * two')
    const updated = await mail.api.templates.upsert({
      key: 'digest',
      subject: 'Digest',
      html: '<p>x</p>',
      text: 'Items: {{ items | join: ", " }}',
    })
    expect(updated.version).toBe(2)
    expect((await mail.api.render({ template: 'digest', variables: { items: ['a', 'b'] } })).text).toBe(
      'Items: a, b',
    )
  })

  it('falls back to the built-in template, and logs why, when a stored one fails to parse', async () => {
    // Written behind the API's back (upsert refuses templates that do not parse).
    await t.db.query(
      "insert into mail.templates (key, locale, subject, html) values ('recovery', '', 'Reset', '<p>{% if %}</p>')",
    )
    logger.lines.length = 0
    const receipt = await mail.api.send({
      template: 'recovery',
      to: 'user@example.com',
      variables: { confirmation_url: 'https://app.example.com/reset' },
    })
    expect(receipt.message.subject).toBe('Reset Your Password')
    expect(receipt.message.html).toContain('href="https://app.example.com/reset"')
    expect(receipt.rendered.origin).toBe('builtin')
    expect(receipt.rendered.fallbacks).toHaveLength(1)
    const warning = logger.lines.find((line) => line.level === 'warn')
    expect(warning?.message).toMatch(/stored template "recovery" \(locale any, version 1\) failed to render/)
    await t.db.query("delete from mail.templates where key = 'recovery'")
  })

  it('falls back when a stored template fails at render time (strict variables, render limits)', async () => {
    const strict = createMail({
      db: t.db,
      transport: outboxTransport(),
      from: 'no-reply@example.com',
      logger,
      cacheTtl: 0,
      liquid: { strictVariables: true, renderLimit: 200 },
    })
    await strict.api.templates.upsert({
      key: 'otp',
      subject: 'Code for {{ user.name }}',
      html: '<p>{{ token }}</p>',
    })
    logger.lines.length = 0
    const result = await strict.api.render({ template: 'otp', variables: { token: '424242' } })
    expect(result).toMatchObject({ origin: 'builtin', subject: 'Your Sign-In Code' })
    expect(result.html).toContain('<strong>424242</strong>')
    expect(logger.lines.some((l) => l.level === 'warn' && /undefined variable: user/.test(l.message))).toBe(
      true,
    )

    // A template with no built-in to fall back on fails loudly instead.
    await strict.api.templates.upsert({ key: 'custom-strict', subject: 'Hi {{ nobody }}', html: '<p>x</p>' })
    await expect(strict.api.render({ template: 'custom-strict' })).rejects.toMatchObject({
      code: 'MAIL_TEMPLATE_ERROR',
      status: 422,
    })
    // An endless loop is cut by the render limit, and the built-in template is used.
    await strict.api.templates.upsert({
      key: 'otp',
      subject: 'x',
      html: '{% for i in (1..100000000) %}{{ i }}{% endfor %}',
    })
    const limited = await strict.api.render({ template: 'otp', variables: { token: '1' } })
    expect(limited.origin).toBe('builtin')
    await strict.api.templates.delete('otp')
    await strict.api.templates.delete('custom-strict')
  })

  it('refuses templates that do not parse, and sandboxes the ones that do', async () => {
    await expect(
      mail.api.templates.upsert({ key: 'bad', subject: 'x', html: '{% for %}' }),
    ).rejects.toMatchObject({ code: 'MAIL_TEMPLATE_ERROR' })
    await expect(
      mail.api.templates.upsert({ key: 'Bad Key', subject: 'x', html: 'y' }),
    ).rejects.toMatchObject({
      code: 'MAIL_INVALID_MESSAGE',
    })
    await mail.api.templates.upsert({
      key: 'sandbox',
      subject: 'x',
      html: '[{{ data.constructor }}][{{ data.__proto__ }}][{{ data.toString }}]',
    })
    const sandboxed = await mail.api.render({ template: 'sandbox', variables: { data: {} } })
    expect(sandboxed.html).toBe('[][][]')
    // Includes read no files from the server.
    await mail.api.templates.upsert({ key: 'include', subject: 'x', html: "{% include '/etc/passwd' %}" })
    await expect(mail.api.render({ template: 'include' })).rejects.toMatchObject({
      code: 'MAIL_TEMPLATE_ERROR',
    })
  })

  it('checks expectedVersion (optimistic concurrency)', async () => {
    const created = await mail.api.templates.upsert({
      key: 'versioned',
      subject: 'v1',
      html: 'a',
      expectedVersion: 0,
    })
    expect(created.version).toBe(1)
    await expect(
      mail.api.templates.upsert({ key: 'versioned', subject: 'again', html: 'a', expectedVersion: 0 }),
    ).rejects.toMatchObject({ code: 'MAIL_VERSION_CONFLICT', status: 409 })
    const second = await mail.api.templates.upsert({
      key: 'versioned',
      subject: 'v2',
      html: 'b',
      expectedVersion: 1,
    })
    expect(second.version).toBe(2)
    await expect(
      mail.api.templates.upsert({ key: 'versioned', subject: 'v3', html: 'c', expectedVersion: 1 }),
    ).rejects.toMatchObject({ code: 'MAIL_VERSION_CONFLICT' })
  })

  it('sees another instance’s changes once its cache TTL has passed (generation check)', async () => {
    const cached = createMail({
      db: t.db,
      transport: outboxTransport(),
      from: 'a@example.com',
      cacheTtl: 60_000,
    })
    await mail.api.templates.upsert({ key: 'shared', subject: 'one', html: 'x' })
    expect((await cached.api.render({ template: 'shared' })).subject).toBe('one')
    await mail.api.templates.upsert({ key: 'shared', subject: 'two', html: 'x' })
    // Within the TTL the other instance keeps its cached row…
    expect((await cached.api.render({ template: 'shared' })).subject).toBe('one')
    const fresh = createMail({ db: t.db, transport: outboxTransport(), from: 'a@example.com', cacheTtl: 0 })
    expect((await fresh.api.render({ template: 'shared' })).subject).toBe('two')
    // …and with cacheTtl 0 it re-checks the generation on every render.
    await mail.api.templates.upsert({ key: 'shared', subject: 'three', html: 'x' })
    expect((await fresh.api.render({ template: 'shared' })).subject).toBe('three')
    // A disabled template is skipped.
    await mail.api.templates.upsert({ key: 'shared', subject: 'off', html: 'x', enabled: false })
    await expect(fresh.api.render({ template: 'shared' })).rejects.toMatchObject({
      code: 'MAIL_UNKNOWN_TEMPLATE',
    })
  })
})
