import { createJobs, type Jobs } from '@groundwork/jobs'
import { createTestDatabase, type TestDatabase } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMail, type Mail, outboxTransport } from '../src/index'
import { recordingLogger, waitFor } from './helpers'

let t: TestDatabase
let mail: Mail
let jobs: Jobs
const logger = recordingLogger()

beforeAll(async () => {
  t = await createTestDatabase()
  mail = createMail({
    db: t.db,
    transport: outboxTransport(),
    from: 'Groundwork <no-reply@example.com>',
    siteUrl: 'https://app.example.com',
    logger,
    cacheTtl: 0,
  })
  jobs = createJobs({ db: t.db, tasks: [...mail.tasks], pollInterval: 100 })
  await jobs.start()
})
afterAll(async () => {
  await jobs.close()
  await mail.close()
  await t.drop()
})

async function delivered(to: string, count = 1) {
  return waitFor(async () => {
    const messages = await mail.api.outbox.list({ to })
    return messages.length >= count ? messages : null
  })
}

describe('send through jobs into the outbox', () => {
  it('renders the built-in confirm_signup template and stores the message', async () => {
    const receipt = await mail.api.send({
      template: 'confirm_signup',
      to: 'ada@example.com',
      variables: { confirmation_url: 'https://app.example.com/auth/v1/verify?token=abc&type=signup' },
    })
    expect(receipt.jobId).toMatch(/^\d+$/)
    expect(receipt.rendered.origin).toBe('builtin')
    const [message] = await delivered('ada@example.com')
    expect(message).toMatchObject({
      to: 'ada@example.com',
      from: 'Groundwork <no-reply@example.com>',
      subject: 'Confirm Your Signup',
      template: 'confirm_signup',
    })
    expect(message?.html).toContain(
      '<a href="https://app.example.com/auth/v1/verify?token=abc&amp;type=signup">Confirm your mail</a>',
    )
    // The text part keeps the link usable (unescaped, whole) for text-only clients.
    expect(message?.text).toMatch(
      /Confirm your mail\s+\[https:\/\/app\.example\.com\/auth\/v1\/verify\?token=abc&type=signup\]/,
    )
    expect(message?.createdAt).toBeInstanceOf(Date)
  })

  it('escapes HTML in variables, but not in the subject or text part', async () => {
    await mail.api.templates.upsert({
      key: 'welcome',
      subject: 'Welcome, {{ data.name }}',
      html: '<p>Hello {{ data.name }}</p><p>{{ data.bio }}</p>',
    })
    await mail.api.send({
      template: 'welcome',
      to: 'mallory@example.com',
      variables: { data: { name: 'Tom & Jerry', bio: '<script>alert(1)</script>' } },
    })
    const [message] = await delivered('mallory@example.com')
    expect(message?.html).toBe('<p>Hello Tom &amp; Jerry</p><p>&lt;script&gt;alert(1)&lt;/script&gt;</p>')
    expect(message?.html).not.toContain('<script>')
    expect(message?.subject).toBe('Welcome, Tom & Jerry')
    expect(message?.text).toContain('<script>alert(1)</script>')
  })

  it('joins the caller transaction: rolled back → never enqueued, never delivered', async () => {
    await expect(
      t.db.transaction(async (tx) => {
        await mail.api.send(tx, { template: 'magic_link', to: 'rollback@example.com', variables: {} })
        throw new Error('sign-up failed')
      }),
    ).rejects.toThrow('sign-up failed')
    const { rows } = await t.db.query(
      `select count(*)::int as n from graphile_worker._private_jobs j
       join graphile_worker._private_tasks t on t.id = j.task_id
       where t.identifier = 'mail:send' and j.payload::jsonb->'to' ? 'rollback@example.com'`,
    )
    await t.db.transaction(async (tx) => {
      await mail.api.send(tx, { template: 'magic_link', to: 'committed@example.com', variables: {} })
    })
    await delivered('committed@example.com')
    // The committed one went through the same queue meanwhile; the rolled-back one never shows up.
    expect(await mail.api.outbox.list({ to: 'rollback@example.com' })).toEqual([])
    expect(rows[0]?.n).toBe(0)
  })

  it('rejects an unknown template and an invalid address when send is called', async () => {
    await expect(mail.api.send({ template: 'no_such_template', to: 'x@example.com' })).rejects.toMatchObject({
      code: 'MAIL_UNKNOWN_TEMPLATE',
      status: 400,
    })
    await expect(mail.api.send({ template: 'otp', to: 'not-an-address' })).rejects.toMatchObject({
      code: 'MAIL_INVALID_MESSAGE',
      message: expect.stringContaining('to'),
    })
    await expect(
      mail.api.send({
        template: 'otp',
        to: 'a@example.com',
        headers: { 'X-Evil': 'a\r\nBcc: b@example.com' },
      }),
    ).rejects.toMatchObject({ code: 'MAIL_INVALID_MESSAGE' })
  })

  it('lists the outbox newest first, filtered by recipient', async () => {
    await mail.api.send({ template: 'otp', to: 'Grace <grace@example.com>', variables: { token: '111111' } })
    await delivered('grace@example.com', 1)
    await mail.api.send({ template: 'otp', to: 'grace@example.com', variables: { token: '222222' } })
    const messages = await delivered('GRACE@example.com', 2)
    expect(messages.map((m) => m.text.match(/\d{6}/)?.[0])).toEqual(['222222', '111111'])
    expect(messages[1]?.to).toBe('Grace <grace@example.com>')
    const all = await mail.api.outbox.list()
    expect(all.length).toBeGreaterThanOrEqual(2)
    expect(await mail.api.outbox.get(messages[0]?.id as string)).toMatchObject({
      subject: 'Your Sign-In Code',
    })
    expect(await mail.api.outbox.get('not-a-uuid')).toBeNull()
  })
})
