import { createDatabase, createJwtAuthenticator } from '@groundwork/core'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { createMail } from './create-mail'
import { outboxTransport } from './transports/outbox'

// A Database whose pool never connects: option validation needs no server.
const db = createDatabase({ connectionString: 'postgres://nobody@127.0.0.1:1/none' })
afterAll(() => db.close())

describe('createMail options', () => {
  it('names the bad field', () => {
    expect(() => createMail({ db, transport: outboxTransport(), from: 'nobody' })).toThrow(
      expect.objectContaining({ code: 'CORE_CONFIG_INVALID', field: 'createMail.from' }),
    )
    expect(() => createMail({ db, transport: {} as never, from: 'a@x.test' })).toThrow(
      expect.objectContaining({ field: 'createMail.transport' }),
    )
    expect(() =>
      createMail({ db, transport: outboxTransport(), from: 'a@x.test', liquid: { renderLimit: 0 } }),
    ).toThrow(expect.objectContaining({ field: 'createMail.liquid.renderLimit' }))
    expect(() =>
      createMail({
        db,
        transport: outboxTransport(),
        from: 'a@x.test',
        templates: { 'Bad Key': { subject: 's', html: 'h' } },
      }),
    ).toThrow(expect.objectContaining({ field: 'createMail.templates.Bad Key' }))
  })

  it('refuses code templates that do not parse, at creation', () => {
    expect(() =>
      createMail({
        db,
        transport: outboxTransport(),
        from: 'a@x.test',
        templates: { welcome: { subject: 's', html: '{% if %}' } },
      }),
    ).toThrow(
      expect.objectContaining({ code: 'MAIL_TEMPLATE_ERROR', message: expect.stringContaining('"welcome"') }),
    )
  })

  it('exposes the delivery task and the migration set', () => {
    const mail = createMail({ db, transport: outboxTransport(), from: 'App <a@x.test>' })
    expect(mail.tasks.map((task) => task.name)).toEqual(['mail:send'])
    expect(mail.tasks[0]?.recordPayload).toBe(false)
    expect(mail.migrations.name).toBe('mail')
  })
})

describe('devMailbox', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
  })
  const authenticate = createJwtAuthenticator({ secret: 'a-secret-of-at-least-32-characters-long!' })

  it('is off by default', () => {
    const mail = createMail({ db, transport: outboxTransport(), from: 'a@x.test' })
    expect(typeof mail.mailboxHandler).toBe('function')
  })

  it('requires authenticate: the mailbox answers the service role only', () => {
    expect(() =>
      createMail({ db, transport: outboxTransport(), from: 'a@x.test', devMailbox: true }),
    ).toThrow(expect.objectContaining({ code: 'CORE_CONFIG_INVALID', field: 'createMail.authenticate' }))
  })

  it('refuses to start under NODE_ENV=production, with a ConfigError naming the option and why', () => {
    vi.stubEnv('NODE_ENV', 'production')
    expect(() =>
      createMail({ db, transport: outboxTransport(), from: 'a@x.test', authenticate, devMailbox: true }),
    ).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        code: 'CORE_CONFIG_INVALID',
        field: 'createMail.devMailbox',
        message: expect.stringMatching(/production.*sign-in links/),
      }),
    )
    // Off, production is fine.
    expect(() =>
      createMail({ db, transport: outboxTransport(), from: 'a@x.test', authenticate }),
    ).not.toThrow()
  })

  it('starts outside production', () => {
    vi.stubEnv('NODE_ENV', 'development')
    expect(() =>
      createMail({ db, transport: outboxTransport(), from: 'a@x.test', authenticate, devMailbox: true }),
    ).not.toThrow()
  })
})
