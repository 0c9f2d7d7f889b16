import type { Queryable } from '@groundwork/jobs'

/** A rendered message, as a transport delivers it. */
export interface MailMessage {
  /** `Name <address>` or a bare address. */
  from: string
  to: string[]
  cc?: string[]
  bcc?: string[]
  replyTo?: string
  subject: string
  html: string
  text: string
  /** Extra headers (`X-Entity-Ref-ID`, `List-Unsubscribe`, …). */
  headers: Record<string, string>
  /** The template it was rendered from (for logs and the outbox). */
  template: string
}

/** What a transport gets besides the message. */
export interface TransportContext {
  /** The mail service's database (the outbox transport writes there). */
  db: Queryable
  /** Aborted when the jobs runner shuts down past its drain timeout. */
  signal?: AbortSignal
}

/** What a transport reports after accepting a message. */
export interface SendResult {
  /** The Message-ID the transport assigned, when it knows one. */
  messageId?: string
}

/**
 * Delivers rendered messages. Throwing fails the delivery job, which @groundwork/jobs retries
 * with exponential backoff; make `send` safe to repeat.
 *
 * @example
 * ```ts
 * const transport: Transport = {
 *   name: 'postmark',
 *   async send(message) {
 *     const res = await fetch('https://api.postmarkapp.com/email', { method: 'POST', … })
 *     if (!res.ok) throw new Error(`postmark: ${res.status}`)
 *   },
 * }
 * ```
 */
export interface Transport {
  /** Shown in logs. */
  readonly name?: string
  // biome-ignore lint/suspicious/noConfusingVoidType: lets `async send() {}` (Promise<void>) be a transport.
  send(message: MailMessage, context: TransportContext): Promise<SendResult | undefined | void>
  /** Releases connections (called by `mail.close()`). */
  close?(): Promise<void> | void
}
