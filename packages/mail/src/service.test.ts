import { createDatabase, type GroundworkService } from '@groundwork/core'
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest'
import { createMail, type Mail, type MailApi } from './create-mail'
import { outboxTransport } from './transports/outbox'

// A Database whose pool never connects: creating the service needs no server.
const db = createDatabase({ connectionString: 'postgres://nobody@127.0.0.1:1/none' })
afterAll(() => db.close())

describe('createMail', () => {
  it('returns a GroundworkService with send on api only', () => {
    expectTypeOf<Mail>().toExtend<GroundworkService<MailApi>>()
    expectTypeOf<Mail['name']>().toEqualTypeOf<'mail'>()
    expectTypeOf<Mail>().not.toHaveProperty('send')
    expectTypeOf<Mail>().not.toHaveProperty('stop')
    const mail = createMail({
      db,
      transport: outboxTransport(),
      from: 'App <a@x.test>',
    }) satisfies GroundworkService
    expect(mail.name).toBe('mail')
    expect(mail.tasks.map((task) => task.name)).toEqual(['mail:send'])
    expect(typeof mail.api.send).toBe('function')
    expect('send' in mail).toBe(false)
  })

  it('starts at once and closes idempotently', async () => {
    const mail = createMail({ db, transport: outboxTransport(), from: 'App <a@x.test>' })
    await mail.start()
    await mail.close()
    await mail.close()
  })
})
