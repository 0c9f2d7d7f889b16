import { type Authenticate, type OnError, toGroundworkError } from '@groundwork/core'
import { z } from 'zod'
import type { MailApi } from './create-mail'
import { mailError } from './errors'
import { dispatch, errorResponse, type Route, readBody, relativePath } from './internal/http'
import { mailboxListPage, mailboxMessagePage, mailboxNotFoundPage } from './internal/mailbox-page'
import { BUILTIN_TEMPLATES } from './templates/builtin'

/** Settings of {@link createMailHandlers}. */
export interface MailHandlerSettings {
  api: MailApi
  authenticate?: Authenticate | undefined
  /** The service role's name (`db.roles.service`): the only role the admin handler lets in. */
  serviceRole: string
  basePath: string
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

function param(url: URL, name: string): string | undefined {
  const value = url.searchParams.get(name)
  return value === null || value === '' ? undefined : value
}

function limitParam(url: URL): number | undefined {
  const value = url.searchParams.get('limit')
  if (value === null) return undefined
  // At most 15 digits: always a safe integer, and within Postgres' bigint.
  if (!/^\d{1,15}$/.test(value))
    throw mailError('MAIL_INVALID_REQUEST', '`limit` must be an integer from 0 to 999999999999999')
  return Number(value)
}

function mailboxRoutes(api: MailApi, prefix: string, messages: string): Route[] {
  return [
    {
      method: 'GET',
      pattern: new RegExp(`^${prefix}$`),
      run: async (_, __, url) => {
        const id = param(url, 'id')
        if (id) {
          const message = await api.outbox.get(id)
          return message ? mailboxMessagePage(message) : mailboxNotFoundPage()
        }
        const to = param(url, 'to')
        return mailboxListPage(await api.outbox.list({ to, limit: limitParam(url) }), to)
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${messages}$`),
      run: async (_, __, url) => ({
        items: await api.outbox.list({ to: param(url, 'to'), limit: limitParam(url) }),
      }),
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${messages}/([^/]+)$`),
      run: async ([id]) =>
        (await api.outbox.get(id as string)) ??
        Promise.reject(mailError('MAIL_NOT_FOUND', `No message "${id}" in the outbox`)),
    },
  ]
}

/**
 * The admin handler (service role only) and the dev mailbox handler, Web `Request` → `Response`,
 * routing on the path relative to their mount point (minus `basePath`). Errors are JSON
 * `{ code, message, details?, hint? }` with the code's status.
 *
 * Admin routes: `GET /templates[?key]`, `GET|PUT|DELETE /templates/:key[?locale]`,
 * `GET /builtin`, `POST /render`, `POST /preview`, `GET /outbox[?to&limit]`, `GET /outbox/:id`,
 * `DELETE /outbox`, `GET /mailbox[?id|?to]` (HTML).
 * Mailbox routes: `GET /[?id|?to]` (HTML), `GET /messages[?to&limit]`, `GET /messages/:id`.
 */
export function createMailHandlers(settings: MailHandlerSettings) {
  const { api } = settings
  const adminRoutes: Route[] = [
    {
      method: 'GET',
      pattern: /^\/templates$/,
      run: async (_, __, url) => ({
        items: await api.templates.list({ ...optional('key', param(url, 'key')) }),
      }),
    },
    {
      method: 'GET',
      pattern: /^\/templates\/([^/]+)$/,
      run: async ([key], _, url) => {
        const locale = param(url, 'locale') ?? null
        return (
          (await api.templates.get(key as string, { locale })) ??
          Promise.reject(
            mailError(
              'MAIL_NOT_FOUND',
              `No stored template "${key}"${locale ? ` for locale ${locale}` : ''}`,
            ),
          )
        )
      },
    },
    {
      method: 'PUT',
      pattern: /^\/templates\/([^/]+)$/,
      run: async ([key], request) => {
        const body = await readBody(request, templateBody)
        return api.templates.upsert({ ...body, key: key as string })
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/templates\/([^/]+)$/,
      run: async ([key], _, url) => {
        const locale = param(url, 'locale') ?? null
        if (!(await api.templates.delete(key as string, { locale }))) {
          throw mailError(
            'MAIL_NOT_FOUND',
            `No stored template "${key}"${locale ? ` for locale ${locale}` : ''}`,
          )
        }
        return { deleted: key, locale }
      },
    },
    { method: 'GET', pattern: /^\/builtin$/, run: async () => BUILTIN_TEMPLATES },
    {
      method: 'POST',
      pattern: /^\/render$/,
      run: async (_, request) => {
        const body = await readBody(request, renderBody)
        return api.render({
          template: body.template,
          ...optional('locale', body.locale),
          variables: body.variables ?? {},
        })
      },
    },
    {
      method: 'POST',
      pattern: /^\/preview$/,
      run: async (_, request) => api.preview(await readBody(request, previewBody)),
    },
    {
      method: 'DELETE',
      pattern: /^\/outbox$/,
      run: async () => ({ deleted: await api.outbox.clear() }),
    },
    ...mailboxRoutes(api, '/mailbox', '/outbox'),
  ]
  const mailboxOnly = mailboxRoutes(api, '/', '/messages')

  async function authorize(request: Request): Promise<void> {
    if (!settings.authenticate) {
      throw mailError('MAIL_FORBIDDEN', 'The mail admin API is disabled: pass `authenticate` to createMail()')
    }
    const principal = await settings.authenticate(request)
    if (principal.role !== settings.serviceRole) {
      throw mailError('MAIL_FORBIDDEN', 'The mail admin API requires the service role')
    }
  }

  async function handler(request: Request): Promise<Response> {
    try {
      await authorize(request)
      const url = new URL(request.url)
      return await dispatch(adminRoutes, request, url, relativePath(url, settings.basePath))
    } catch (error) {
      return errorResponse(toGroundworkError(error, settings.onError, request))
    }
  }

  async function mailboxHandler(request: Request): Promise<Response> {
    try {
      if (!settings.devMailbox) {
        throw mailError('MAIL_NOT_FOUND', 'The dev mailbox is disabled', {
          hint: 'createMail({ devMailbox: true }) serves it; never in production.',
        })
      }
      const url = new URL(request.url)
      return await dispatch(mailboxOnly, request, url, relativePath(url, settings.basePath))
    } catch (error) {
      return errorResponse(toGroundworkError(error, settings.onError, request))
    }
  }

  return { handler, mailboxHandler }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }
}
