import { type Authenticate, canAdminister, type OnError } from '@groundwork/core'
import { type BodyLimits, readValidated, type ServedRoute, serveRoutes } from '@groundwork/core/kit'
import { z } from 'zod'
import type { MailApi } from './create-mail'
import { mailError } from './errors'
import { param } from './internal/params'
import { createMailboxHandler, outboxRoutes } from './mailbox'
import { BUILTIN_TEMPLATES } from './templates/builtin'

/** Settings of {@link createMailHandlers}. */
export interface MailHandlerSettings {
  api: MailApi
  authenticate?: Authenticate | undefined
  /** The service role's name (`db.roles.service`): the only role the admin handler lets in. */
  serviceRole: string
  /** Stripped from the request path (at a segment boundary) before routing. */
  basePath: string
  /** Limits of every body read. */
  limits: BodyLimits
  /** Serve the dev mailbox (`mailboxHandler`); off, it answers 404. */
  devMailbox: boolean
  onError?: OnError | undefined
}

const variables = z.record(z.string(), z.unknown()).optional()
const templateBody = z.object({
  locale: z.string().nullish(),
  subject: z.string(),
  html: z.string(),
  text: z.string().nullish(),
  enabled: z.boolean().optional(),
  expectedVersion: z.number().int().nonnegative().optional(),
})
const renderBody = z.object({ template: z.string(), locale: z.string().optional(), variables })
const previewBody = z.object({ subject: z.string(), html: z.string(), text: z.string().nullish(), variables })

function templateNotFound(key: string, locale: string | null) {
  return mailError('MAIL_NOT_FOUND', `No stored template "${key}"${locale ? ` for locale ${locale}` : ''}`)
}

/**
 * The admin handler (service role only) and the dev mailbox handler (service role only, off
 * unless `devMailbox`: see {@link createMailboxHandler}), Web `Request` → `Response`, thin layers
 * over `mail.api` routing on the path relative to their mount point (minus `basePath`). Bodies
 * are read through the HTTP kit with `limits` (413 past the size). Errors are JSON
 * `{ code, message, details?, hint? }` with the code's status.
 *
 * Admin routes: `GET /templates[?key]`, `GET|PUT|DELETE /templates/:key[?locale]`,
 * `GET /builtin`, `POST /render`, `POST /preview`, `GET /outbox[?to&limit]`, `GET /outbox/:id`,
 * `DELETE /outbox`.
 */
export function createMailHandlers(settings: MailHandlerSettings) {
  const { api, limits } = settings
  const adminRoutes: ServedRoute<void>[] = [
    {
      method: 'GET',
      path: '/templates',
      handler: async ({ url }) => ({
        items: await api.templates.list({ ...optional('key', param(url, 'key')) }),
      }),
    },
    {
      method: 'GET',
      path: '/templates/:key',
      handler: async ({ params, url }) => {
        const key = params.key as string
        const locale = param(url, 'locale') ?? null
        return (await api.templates.get(key, { locale })) ?? Promise.reject(templateNotFound(key, locale))
      },
    },
    {
      method: 'PUT',
      path: '/templates/:key',
      handler: async ({ params, request }) => {
        const body = await readValidated(request, templateBody, limits)
        return api.templates.upsert({ ...body, key: params.key as string })
      },
    },
    {
      method: 'DELETE',
      path: '/templates/:key',
      handler: async ({ params, url }) => {
        const key = params.key as string
        const locale = param(url, 'locale') ?? null
        if (!(await api.templates.delete(key, { locale }))) throw templateNotFound(key, locale)
        return { deleted: key, locale }
      },
    },
    { method: 'GET', path: '/builtin', handler: async () => BUILTIN_TEMPLATES },
    {
      method: 'POST',
      path: '/render',
      handler: async ({ request }) => {
        const body = await readValidated(request, renderBody, limits)
        return api.render({
          template: body.template,
          ...optional('locale', body.locale),
          variables: body.variables ?? {},
        })
      },
    },
    {
      method: 'POST',
      path: '/preview',
      handler: async ({ request }) => api.preview(await readValidated(request, previewBody, limits)),
    },
    ...outboxRoutes<void>(api, '/outbox'),
    { method: 'DELETE', path: '/outbox', handler: async () => ({ deleted: await api.outbox.clear() }) },
  ]

  const handler = serveRoutes<void>({
    routes: adminRoutes,
    basePath: settings.basePath,
    onError: settings.onError,
    async prepare(request) {
      if (!settings.authenticate) {
        throw mailError(
          'MAIL_FORBIDDEN',
          'The mail admin API is disabled: pass `authenticate` to createMail()',
        )
      }
      const principal = await settings.authenticate(request)
      if (!canAdminister(principal, settings.serviceRole)) {
        throw mailError('MAIL_FORBIDDEN', 'The mail admin API requires the service role')
      }
    },
  })

  const mailboxHandler = createMailboxHandler({
    api,
    devMailbox: settings.devMailbox,
    authenticate: settings.authenticate,
    serviceRole: settings.serviceRole,
    basePath: settings.basePath,
    onError: settings.onError,
  })

  return { handler, mailboxHandler }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }
}
