import { type Authenticate, canAdminister, isGroundworkError, type OnError } from '@groundwork/core'
import { json, relativePath, type ServedRoute, serveRoutes } from '@groundwork/core/kit'
import type { MailApi } from './create-mail'
import { type MailError, mailError } from './errors'
import { mailboxShell } from './internal/mailbox-page'
import { limitParam, param } from './internal/params'

/** Settings of {@link createMailboxHandler}. */
export interface MailboxHandlerSettings {
  api: MailApi
  /** Off: every route answers 404 `MAIL_NOT_FOUND`. */
  devMailbox: boolean
  /** Required when `devMailbox` is on (createMail refuses the combination without it). */
  authenticate?: Authenticate | undefined
  /** The service role's name (`db.roles.service`): the only role let in. */
  serviceRole: string
  basePath: string
  onError?: OnError | undefined
}

/** What `prepare` hands the routes: why a browser asking for the page was not let in, if it was not. */
interface MailboxAccess {
  denied: MailError | null
}

/** Outbox mail carries sign-in links and codes: no cache keeps a copy. */
const NO_STORE = { 'cache-control': 'no-store' }

/** `GET <path>[?to&limit]` (`{ items }`, newest first) and `GET <path>/:id`, uncacheable. */
export function outboxRoutes<Context>(api: MailApi, path: string): ServedRoute<Context>[] {
  return [
    {
      method: 'GET',
      path,
      handler: async ({ url }) =>
        json(
          { items: await api.outbox.list({ to: param(url, 'to'), limit: limitParam(url) }) },
          200,
          NO_STORE,
        ),
    },
    {
      method: 'GET',
      path: `${path}/:id`,
      handler: async ({ params: { id } }) => {
        const message = await api.outbox.get(id as string)
        if (!message) throw mailError('MAIL_NOT_FOUND', `No message "${id}" in the outbox`)
        return json(message, 200, NO_STORE)
      },
    },
  ]
}

/**
 * The dev mailbox, Web `Request` → `Response`: `GET /` the page, `GET /messages[?to&limit]` and
 * `GET /messages/:id` the outbox as JSON. Every route requires the service role (a token in
 * `Authorization: Bearer` or `apikey`, resolved by `authenticate`): no credentials → 401
 * `MAIL_UNAUTHORIZED`, another role → 403 `MAIL_FORBIDDEN`, in Groundwork's JSON error format.
 * The one exception is a browser asking for the page (`Accept: text/html`): it gets the same
 * status with the page's shell, which holds no mail and asks for the key (see
 * {@link mailboxShell}). With `devMailbox` off, every route answers 404 before anything else.
 */
export function createMailboxHandler(settings: MailboxHandlerSettings) {
  const { api } = settings
  const routes: ServedRoute<MailboxAccess>[] = [
    {
      method: 'GET',
      path: '/',
      handler: async ({ context }) => mailboxShell(context.denied?.status ?? 200),
    },
    ...outboxRoutes<MailboxAccess>(api, '/messages'),
  ]

  async function authorize(request: Request): Promise<void> {
    if (!settings.authenticate) {
      throw mailError('MAIL_FORBIDDEN', 'The dev mailbox needs `authenticate` to check the service-role key')
    }
    const principal = await settings.authenticate(request)
    if (canAdminister(principal, settings.serviceRole)) return
    if (principal.kind === 'anonymous') {
      throw mailError('MAIL_UNAUTHORIZED', 'The dev mailbox requires the service-role key', {
        hint: 'Send it as `Authorization: Bearer <service_role key>` or in the `apikey` header.',
      })
    }
    throw mailError('MAIL_FORBIDDEN', 'The dev mailbox requires the service role')
  }

  return serveRoutes<MailboxAccess>({
    routes,
    basePath: settings.basePath,
    onError: settings.onError,
    async prepare(request, url) {
      if (!settings.devMailbox) {
        throw mailError('MAIL_NOT_FOUND', 'The dev mailbox is disabled', {
          hint: 'createMail({ devMailbox: true, authenticate }) serves it, outside production only.',
        })
      }
      try {
        await authorize(request)
        return { denied: null }
      } catch (error) {
        if (isGroundworkError(error) && isMailError(error) && wantsPage(request, url, settings.basePath)) {
          return { denied: error }
        }
        throw error
      }
    },
  })
}

function isMailError(error: { code: string }): error is MailError {
  return error.code === 'MAIL_UNAUTHORIZED' || error.code === 'MAIL_FORBIDDEN'
}

/** A browser navigating to the page: `GET /` (any query) that accepts HTML. */
function wantsPage(request: Request, url: URL, basePath: string): boolean {
  return (
    (request.method === 'GET' || request.method === 'HEAD') &&
    relativePath(url.pathname, basePath) === '/' &&
    (request.headers.get('accept') ?? '').includes('text/html')
  )
}
