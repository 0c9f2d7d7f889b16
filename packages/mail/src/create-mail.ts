import {
  type AnyTaskDefinition,
  ConfigError,
  type GroundworkService,
  type Logger,
  type MigrationSet,
  type ServiceHandler,
} from '@groundwork/core'
import { parseOptions } from '@groundwork/core/kit'
import { addJob, type Queryable } from '@groundwork/jobs'
import { mailError } from './errors'
import { createMailHandlers } from './handler'
import {
  parseMessage,
  type RenderInput,
  renderInputSchema,
  type SendInput,
  sendInputSchema,
  templateInputSchema,
  toList,
} from './message'
import { migrations } from './migrations'
import { type MailOptions, mailOptionsSchema } from './options'
import { createOutbox, type OutboxApi } from './outbox'
import { Renderer, type RenderResult } from './renderer'
import { createSendTask } from './send-task'
import type { TemplateSource } from './templates/builtin'
import { type RenderedTemplate, TemplateEngine } from './templates/engine'
import { type StoredTemplate, type TemplateInput, TemplateStore } from './templates/store'
import type { MailMessage, Transport } from './transports/transport'

/** What `mail.api.send` returns: the delivery job. */
export interface SendReceipt {
  /** graphile-worker job id of the delivery. */
  jobId: string
  /** The rendered message as it will be delivered. */
  message: MailMessage
  /** Which template rendered it (and what was skipped on the way). */
  rendered: Pick<RenderResult, 'origin' | 'locale' | 'version' | 'fallbacks'>
}

/** A template draft to preview (`mail.api.preview`). */
export interface PreviewInput extends TemplateSource {
  variables?: Record<string, unknown>
}

/** `mail.api.templates`: the stored templates. */
export interface TemplatesApi {
  /** Stored templates (all locales, enabled or not), optionally of one key. */
  list(filter?: { key?: string }): Promise<StoredTemplate[]>
  /** One stored template; `locale` omitted or null: the any-locale one. */
  get(key: string, options?: { locale?: string | null }): Promise<StoredTemplate | null>
  /** Creates or replaces a template (it must parse: `MAIL_TEMPLATE_ERROR` otherwise); bumps `version`. */
  upsert(input: TemplateInput): Promise<StoredTemplate>
  /** Deletes one locale's template; true when one was deleted. */
  delete(key: string, options?: { locale?: string | null }): Promise<boolean>
}

/** The typed programmatic surface, `mail.api` (the admin handler is a thin HTTP layer over it). */
export interface MailApi {
  /**
   * Renders `message.template` now (unknown template or bad variables throw here, to the caller)
   * and enqueues its delivery as a `mail:send` job, retried with backoff. Pass a transaction first
   * to enqueue inside it: rolled back → never sent.
   *
   * @example
   * ```ts
   * await db.transaction((tx) => mail.api.send(tx, { template: 'magic_link', to: email, variables }))
   * ```
   */
  send(message: SendInput): Promise<SendReceipt>
  send(executor: Queryable, message: SendInput): Promise<SendReceipt>
  /** Renders a template (stored → `createMail` templates → built-in, with locale fallback). */
  render(input: RenderInput): Promise<RenderResult>
  /** Renders a draft template with variables, without storing it and without fallback. */
  preview(input: PreviewInput): Promise<RenderedTemplate>
  templates: TemplatesApi
  /** Messages stored by the outbox transport. */
  outbox: OutboxApi
}

/** What {@link createMail} returns: a `GroundworkService` plus the dev mailbox handler. */
export interface Mail extends GroundworkService<MailApi> {
  readonly name: 'mail'
  /** `send`, `render`, `preview`, `templates`, `outbox`. */
  readonly api: MailApi
  /** Admin HTTP handler (service role only): templates CRUD, render/preview, outbox JSON. */
  readonly handler: ServiceHandler
  /**
   * The dev mailbox (page + JSON of the outbox), service role only; 404 unless `devMailbox: true`.
   * Routes: `GET /` (the page), `GET /messages[?to&limit]`, `GET /messages/:id`.
   */
  readonly mailboxHandler: ServiceHandler
  /** The `mail` MigrationSet (apply after the jobs set). */
  readonly migrations: MigrationSet
  /** The `mail:send` delivery task: `createJobs({ db, tasks: [...mail.tasks] })`. */
  readonly tasks: readonly AnyTaskDefinition[]
  readonly transport: Transport
  /** Nothing to start (delivery runs on the jobs runner): resolves at once. */
  start(): Promise<void>
  /** Closes the transport's connections (SMTP pool). Idempotent; the `Database` stays open. */
  close(): Promise<void>
}

/**
 * Creates the mail service: Liquid templates (built-in for the auth flows, overridable in code and
 * in the database), delivery as @groundwork/jobs jobs through a transport.
 *
 * @example
 * ```ts
 * const mail = createMail({ db, transport: outboxTransport(), from: 'App <no-reply@example.com>' })
 * const jobs = createJobs({ db, tasks: [...mail.tasks] })
 * await migrate(db, [core, jobs.migrations, mail.migrations])
 * await jobs.start()
 * await db.transaction((tx) =>
 *   mail.api.send(tx, { template: 'confirm_signup', to: email, variables: { confirmation_url } }),
 * )
 * ```
 */
export function createMail(options: MailOptions): Mail {
  const resolved = parseOptions(mailOptionsSchema, options, 'createMail')
  if (resolved.devMailbox && nodeEnv() === 'production') {
    throw new ConfigError(
      'createMail.devMailbox',
      'must not be true when NODE_ENV is "production": the dev mailbox serves every mail the outbox caught, sign-in links and OTP codes included. Read the outbox through the admin handler (`GET /outbox`, service role) instead.',
    )
  }
  const db = resolved.db
  const logger: Logger = resolved.logger ?? db.logger
  const engine = new TemplateEngine(resolved.liquid)
  for (const [key, source] of Object.entries(resolved.templates)) {
    try {
      engine.compile(source)
    } catch (error) {
      throw mailError(
        'MAIL_TEMPLATE_ERROR',
        `createMail: template "${key}" does not parse: ${(error as Error).message}`,
        {
          cause: error,
        },
      )
    }
  }
  const store = new TemplateStore(db, resolved.cacheTtl)
  const defaults = resolved.siteUrl ? { site_url: resolved.siteUrl } : {}
  const renderer = new Renderer(engine, store, resolved.templates, defaults, logger)
  const task = createSendTask(resolved.transport, db, logger, resolved.maxAttempts)
  const outbox = createOutbox(db)

  async function render(input: RenderInput): Promise<RenderResult> {
    const parsed = parseMessage(renderInputSchema, input)
    return renderer.render(parsed.template, parsed.locale, parsed.variables)
  }

  async function send(...args: [SendInput] | [Queryable, SendInput]): Promise<SendReceipt> {
    const [executor, input] = args.length === 1 ? [db as Queryable, args[0]] : args
    const parsed = parseMessage(sendInputSchema, input)
    const rendered = await renderer.render(parsed.template, parsed.locale, parsed.variables)
    const cc = toList(parsed.cc)
    const bcc = toList(parsed.bcc)
    const message: MailMessage = {
      from: parsed.from ?? resolved.from,
      to: toList(parsed.to) as string[],
      ...(cc ? { cc } : {}),
      ...(bcc ? { bcc } : {}),
      ...(parsed.replyTo ? { replyTo: parsed.replyTo } : {}),
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      headers: parsed.headers,
      template: parsed.template,
    }
    const job = await addJob(executor, task, message, {
      maxAttempts: resolved.maxAttempts,
      ...(resolved.queue ? { queue: resolved.queue } : {}),
    })
    const { origin, locale, version, fallbacks } = rendered
    return {
      jobId: job.id,
      message,
      rendered: { origin, locale, ...(version === undefined ? {} : { version }), fallbacks },
    }
  }

  const templates: TemplatesApi = {
    list: (filter = {}) => store.list(filter),
    get: (key, getOptions = {}) => store.get(key, getOptions.locale),
    async upsert(input) {
      const parsed = parseMessage(templateInputSchema, input)
      renderer.check(parsed)
      return store.upsert(parsed)
    },
    delete: (key, deleteOptions = {}) => store.delete(key, deleteOptions.locale),
  }

  const api: MailApi = {
    send: send as MailApi['send'],
    render,
    preview: ({ variables, ...source }) => renderer.renderSource(source, variables ?? {}),
    templates,
    outbox,
  }
  const { handler, mailboxHandler } = createMailHandlers({
    api,
    authenticate: resolved.authenticate,
    serviceRole: db.roles.service,
    basePath: resolved.basePath,
    limits: { maxBytes: resolved.maxBodyBytes, maxJsonDepth: resolved.maxJsonDepth },
    devMailbox: resolved.devMailbox,
    onError: resolved.onError,
  })

  let closed: Promise<void> | null = null
  return {
    name: 'mail',
    api,
    handler,
    mailboxHandler,
    migrations,
    tasks: [task],
    transport: resolved.transport,
    start: () => Promise.resolve(),
    close() {
      closed ??= (async () => {
        await resolved.transport.close?.()
      })()
      return closed
    },
  }
}

/** `NODE_ENV`, read when a service is created (never at import); undefined outside Node. */
function nodeEnv(): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NODE_ENV
}
