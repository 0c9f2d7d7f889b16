import nodemailer from 'nodemailer'
import type SMTPTransport from 'nodemailer/lib/smtp-transport'
import type { MailMessage, SendResult, Transport } from './transport'

/** Options for {@link smtpTransport}: nodemailer's SMTP options (the common ones listed). */
export interface SmtpTransportOptions {
  host: string
  /** @default 587, or 465 when `secure` */
  port?: number
  /** Implicit TLS (port 465). With `false`, STARTTLS is used when the server offers it. @default false */
  secure?: boolean
  auth?: { user: string; pass: string }
  /** Reuse connections across messages. @default true */
  pool?: boolean
  /** Passed to nodemailer as is (`tls`, `requireTLS`, timeouts, `name`…). */
  [option: string]: unknown
}

/**
 * Delivers over SMTP with nodemailer (pooled connections by default). A rejected message throws,
 * so the delivery job is retried with backoff.
 *
 * @example
 * ```ts
 * const transport = smtpTransport({ host: 'smtp.postmarkapp.com', port: 587, auth: { user, pass } })
 * ```
 * @see https://nodemailer.com/smtp/
 */
export function smtpTransport(options: SmtpTransportOptions): Transport {
  const transporter = nodemailer.createTransport({ pool: true, ...options } as SMTPTransport.Options)
  return {
    name: 'smtp',
    async send(message: MailMessage): Promise<SendResult> {
      const info = await transporter.sendMail({
        from: message.from,
        to: message.to,
        ...(message.cc ? { cc: message.cc } : {}),
        ...(message.bcc ? { bcc: message.bcc } : {}),
        ...(message.replyTo ? { replyTo: message.replyTo } : {}),
        subject: message.subject,
        html: message.html,
        text: message.text,
        headers: message.headers,
      })
      return { messageId: info.messageId }
    },
    close() {
      transporter.close()
    },
  }
}
