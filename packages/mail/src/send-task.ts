import { type AnyTaskDefinition, defineTask, type Logger } from '@groundwork/core'
import type { Queryable } from '@groundwork/jobs'
import { z } from 'zod'
import type { MailMessage, Transport } from './transports/transport'

/** The graphile-worker task that delivers one rendered message (`<package>:<task>`). */
export const SEND_TASK = 'mail:send'

/** The job payload: a rendered message (rendered at `send()` time, so errors reach the caller). */
export const mailMessageSchema = z.object({
  from: z.string(),
  to: z.array(z.string()).min(1),
  cc: z.array(z.string()).optional(),
  bcc: z.array(z.string()).optional(),
  replyTo: z.string().optional(),
  subject: z.string(),
  html: z.string(),
  text: z.string(),
  headers: z.record(z.string(), z.string()),
  template: z.string(),
})

/**
 * Builds the delivery task bound to a transport. Its payload carries links and codes, so the run
 * history does not record it (`recordPayload: false`).
 */
export function createSendTask(
  transport: Transport,
  db: Queryable,
  logger: Logger,
  maxAttempts: number,
): AnyTaskDefinition {
  return defineTask({
    name: SEND_TASK,
    schema: mailMessageSchema,
    maxAttempts,
    recordPayload: false,
    async run(message, ctx) {
      const name = transport.name ?? 'custom'
      try {
        const result = await transport.send(message satisfies MailMessage, { db, signal: ctx.signal })
        logger.debug(
          `groundwork mail: "${message.template}" to ${message.to.join(', ')} sent via ${name}${result?.messageId ? ` (${result.messageId})` : ''}`,
        )
      } catch (error) {
        const last = ctx.job.attempt >= ctx.job.maxAttempts
        logger[last ? 'error' : 'warn'](
          `groundwork mail: "${message.template}" to ${message.to.join(', ')} failed via ${name} (attempt ${ctx.job.attempt}/${ctx.job.maxAttempts}${last ? ', giving up' : ', will retry'}): ${(error as Error).message}`,
        )
        throw error
      }
    },
  })
}
