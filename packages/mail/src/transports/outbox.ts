import type { MailMessage, SendResult, Transport, TransportContext } from './transport'

const INSERT_SQL = `insert into mail.outbox ("to", cc, bcc, "from", reply_to, subject, html, text, headers, template)
  values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id::text`

/**
 * The development transport: messages are stored in `mail.outbox` instead of being sent, and
 * read back with `mail.api.outbox.list()`, the admin handler (`GET /outbox`, `GET /mailbox`) or
 * the dev mailbox page (`mail.mailboxHandler`) — Groundwork's take on Supabase's local Inbucket.
 *
 * @example
 * ```ts
 * const mail = createMail({ db, transport: outboxTransport(), from: 'App <no-reply@localhost>' })
 * ```
 */
export function outboxTransport(): Transport {
  return {
    name: 'outbox',
    async send(message: MailMessage, context: TransportContext): Promise<SendResult> {
      const { rows } = await context.db.query(INSERT_SQL, [
        message.to,
        message.cc ?? [],
        message.bcc ?? [],
        message.from,
        message.replyTo ?? null,
        message.subject,
        message.html,
        message.text,
        JSON.stringify(message.headers),
        message.template,
      ])
      return { messageId: `<${rows[0]?.id}@outbox.groundwork>` }
    },
  }
}
