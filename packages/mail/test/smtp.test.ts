import type { AddressInfo } from 'node:net'
import { createJobs, type Jobs } from '@groundwork/jobs'
import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { type ParsedMail, simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMail, type Mail, smtpTransport } from '../src/index'
import { recordingLogger, waitFor } from './helpers'

interface Received {
  envelope: { from: string; to: string[] }
  user: string | undefined
  mail: ParsedMail
}

let t: TestDatabase
let server: SMTPServer
let port: number
const received: Received[] = []
/** Rejections still to give (450 "try again later") before accepting messages. */
let rejectNext = 0

beforeAll(async () => {
  t = await createTestDatabase()
  server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: false,
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (auth.username === 'mailer' && auth.password === 's3cret')
        return callback(null, { user: auth.username })
      return callback(new Error('Invalid username or password'))
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          if (rejectNext > 0) {
            rejectNext--
            const error = new Error('Mailbox busy, try again later') as Error & { responseCode: number }
            error.responseCode = 450
            return callback(error)
          }
          received.push({
            envelope: {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
            },
            user: session.user as string | undefined,
            mail,
          })
          callback()
        })
        .catch(callback)
    },
    logger: false,
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.server.address() as AddressInfo).port
})
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await t.drop()
})

async function stack(options: { maxAttempts?: number } = {}) {
  const logger = recordingLogger()
  const mail = createMail({
    db: t.db,
    transport: smtpTransport({
      host: '127.0.0.1',
      port,
      secure: false,
      ignoreTLS: true,
      auth: { user: 'mailer', pass: 's3cret' },
    }),
    from: 'Groundwork <no-reply@example.com>',
    siteUrl: 'https://app.example.com',
    logger,
    ...options,
  })
  const jobs = createJobs({ db: t.db, tasks: [...mail.tasks], pollInterval: 100 })
  await jobs.start()
  return {
    mail,
    jobs,
    logger,
    async close() {
      await jobs.close()
      await mail.close()
    },
  }
}

function receivedBy(address: string): Received | undefined {
  return received.find((r) => r.envelope.to.includes(address))
}

describe('SMTP delivery (nodemailer → smtp-server)', () => {
  let s: { mail: Mail; jobs: Jobs; close(): Promise<void> }
  beforeAll(async () => {
    s = await stack()
  })
  afterAll(async () => {
    await s.close()
  })

  it('delivers a multipart message with headers, HTML and text parts', async () => {
    await s.mail.api.send({
      template: 'confirm_signup',
      to: 'Ada Lovelace <ada@example.com>',
      cc: 'audit@example.com',
      replyTo: 'support@example.com',
      headers: { 'X-Entity-Ref-ID': 'signup-42' },
      variables: {
        confirmation_url: 'https://app.example.com/auth/v1/verify?token=t0k&type=signup',
        token: '123456',
      },
    })
    const got = await waitFor(async () => receivedBy('ada@example.com'))
    expect(got.user).toBe('mailer')
    expect(got.envelope).toEqual({
      from: 'no-reply@example.com',
      to: ['ada@example.com', 'audit@example.com'],
    })
    const { mail } = got
    expect(mail.subject).toBe('Confirm Your Signup')
    expect(mail.from?.value).toEqual([{ address: 'no-reply@example.com', name: 'Groundwork' }])
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value : []).toEqual([
      { address: 'ada@example.com', name: 'Ada Lovelace' },
    ])
    expect(mail.replyTo?.value[0]?.address).toBe('support@example.com')
    expect(mail.headers.get('x-entity-ref-id')).toBe('signup-42')
    expect(mail.messageId).toMatch(/^<.+@.+>$/)
    expect(mail.html).toContain(
      '<a href="https://app.example.com/auth/v1/verify?token=t0k&amp;type=signup">Confirm your mail</a>',
    )
    expect(mail.html).toContain('enter the code: 123456')
    expect(mail.text).toMatch(
      /Confirm your mail\s+\[https:\/\/app\.example\.com\/auth\/v1\/verify\?token=t0k&type=signup\]/,
    )
    expect(mail.text).toContain('Alternatively, enter the code: 123456')
  })

  it('escapes <script> from variables in the delivered HTML', async () => {
    await s.mail.api.send({
      template: 'email_change',
      to: 'eve@example.com',
      variables: {
        email: '<script>alert("old")</script>@example.com',
        new_email: 'eve@example.com',
        confirmation_url: 'https://app.example.com/x"><script>alert(1)</script>',
      },
    })
    const { mail } = await waitFor(async () => receivedBy('eve@example.com'))
    expect(mail.html).not.toContain('<script>')
    expect(mail.html).toContain('&lt;script&gt;alert(&#34;old&#34;)&lt;/script&gt;@example.com')
    expect(mail.html).toContain(
      'href="https://app.example.com/x&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"',
    )
  })
})

describe('SMTP failures', () => {
  it('retries a message the server rejected temporarily (jobs backoff)', async () => {
    const s = await stack({ maxAttempts: 3 })
    try {
      rejectNext = 1
      await s.mail.api.send({ template: 'otp', to: 'retry@example.com', variables: { token: '777777' } })
      // graphile-worker retries after exp(1) ≈ 2.7 s.
      const { mail } = await waitFor(async () => receivedBy('retry@example.com'), 20_000)
      expect(mail.text).toContain('777777')
      expect(rejectNext).toBe(0)
      expect(
        s.logger.lines.some(
          (l) => l.level === 'warn' && /attempt 1\/3, will retry.*450|450.*attempt 1\/3/s.test(l.message),
        ),
      ).toBe(true)
    } finally {
      await s.close()
    }
  })
})
