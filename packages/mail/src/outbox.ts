import type { Queryable } from '@groundwork/jobs'

/** A message kept by the outbox transport. */
export interface OutboxMessage {
  id: string
  /** The recipients as a `To` header would show them (comma-separated). */
  to: string
  cc: string[]
  bcc: string[]
  from: string
  replyTo: string | null
  subject: string
  html: string
  text: string
  headers: Record<string, string>
  /** The template key the message was rendered from. */
  template: string | null
  createdAt: Date
}

/** Filters of `mail.api.outbox.list`. */
export interface ListOutboxOptions {
  /** Only messages to (or cc/bcc) this address, case-insensitive; `Name <address>` forms match by address. */
  to?: string | undefined
  /** @default 50, at most 500 */
  limit?: number | undefined
}

interface Row {
  id: string
  to: string[]
  cc: string[]
  bcc: string[]
  from: string
  reply_to: string | null
  subject: string
  html: string
  text: string
  headers: Record<string, string>
  template: string | null
  created_at: Date
}

const COLUMNS =
  'id::text, "to", cc, bcc, "from", reply_to, subject, html, text, headers, template, created_at'

function toMessage(row: Row): OutboxMessage {
  return {
    id: row.id,
    to: row.to.join(', '),
    cc: row.cc,
    bcc: row.bcc,
    from: row.from,
    replyTo: row.reply_to,
    subject: row.subject,
    html: row.html,
    text: row.text,
    headers: row.headers,
    template: row.template,
    createdAt: row.created_at,
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Reads `mail.outbox` (what the outbox transport stored), newest first. */
export function createOutbox(db: Queryable) {
  return {
    /** Messages newest first, optionally only those to one address. */
    async list(options: ListOutboxOptions = {}): Promise<OutboxMessage[]> {
      // No stored address holds a NUL (Postgres text cannot): nothing matches, and nothing is sent.
      if (options.to?.includes('\u0000')) return []
      const limit = Math.min(Math.max(Math.trunc(options.limit ?? 50), 1), 500)
      const { rows } = await db.query(
        `select ${COLUMNS} from mail.outbox o
         where $1::text is null or exists (
           select 1 from unnest(o."to" || o.cc || o.bcc) as r(address)
           where lower(coalesce(substring(r.address from '<([^>]+)>'), r.address)) = lower($1))
         order by created_at desc, id desc limit $2`,
        [options.to ?? null, limit],
      )
      return (rows as Row[]).map(toMessage)
    },
    /** One message, or null. */
    async get(id: string): Promise<OutboxMessage | null> {
      if (!UUID.test(id)) return null
      const { rows } = await db.query(`select ${COLUMNS} from mail.outbox where id = $1`, [id])
      const row = rows[0] as Row | undefined
      return row ? toMessage(row) : null
    },
    /** Deletes every stored message; returns how many. */
    async clear(): Promise<number> {
      const { rows } = await db.query(
        'with d as (delete from mail.outbox returning 1) select count(*)::int as n from d',
      )
      return rows[0]?.n ?? 0
    },
  }
}

/** `mail.api.outbox`. */
export type OutboxApi = ReturnType<typeof createOutbox>
