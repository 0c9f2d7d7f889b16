import { type Authenticate, canAdminister, isGroundworkError, type OnError } from '@groundwork/core'
import { json, relativePath, type ServedRoute, serveRoutes } from '@groundwork/core/kit'
import type { DevOutboxApi } from './dev-outbox'
import { type PushError, pushError } from './errors'
import { devPageShell } from './internal/dev-page-html'
import { limitParam, param } from './internal/params'

/** Settings of {@link createDevPageHandler}. */
export interface DevPageSettings {
  dev: DevOutboxApi
  /** Off: every route answers 404 `PUSH_NOT_FOUND`. */
  enabled: boolean
  authenticate?: Authenticate | undefined
  serviceRole: string
  basePath: string
  onError?: OnError | undefined
}

/** Recorded pushes carry device tokens: no cache keeps a copy. */
const NO_STORE = { 'cache-control': 'no-store' }

/**
 * The dev page, Web `Request` → `Response`: `GET /` the page, `GET /messages[?user_id&limit]`,
 * `GET /messages/:id` and `DELETE /messages` over what the dev provider recorded. Gated like the
 * dev mailbox: 404 unless enabled (and `createPush` refuses to enable it under
 * `NODE_ENV=production`); every route requires the service role or an admin key — no credentials
 * → 401 `PUSH_UNAUTHORIZED`, another caller → 403 `PUSH_FORBIDDEN` — except that a browser
 * navigating to the page gets the page's shell (which holds no push) with that status, to ask for
 * the key.
 */
export function createDevPageHandler(settings: DevPageSettings): (request: Request) => Promise<Response> {
  const { dev } = settings
  const routes: ServedRoute<{ denied: PushError | null }>[] = [
    { method: 'GET', path: '/', handler: async ({ context }) => devPageShell(context.denied?.status ?? 200) },
    {
      method: 'GET',
      path: '/messages',
      handler: async ({ url }) =>
        json(
          { items: await dev.list({ userId: param(url, 'user_id'), limit: limitParam(url) }) },
          200,
          NO_STORE,
        ),
    },
    {
      method: 'GET',
      path: '/messages/:id',
      handler: async ({ params }) => {
        const push = await dev.get(params.id as string)
        if (!push) throw pushError('PUSH_NOT_FOUND', `No recorded push "${params.id}"`)
        return json(push, 200, NO_STORE)
      },
    },
    { method: 'DELETE', path: '/messages', handler: async () => ({ deleted: await dev.clear() }) },
  ]

  async function authorize(request: Request): Promise<void> {
    if (!settings.authenticate) {
      throw pushError('PUSH_FORBIDDEN', 'The dev page needs `authenticate` to check the service-role key')
    }
    const principal = await settings.authenticate(request)
    if (canAdminister(principal, settings.serviceRole)) return
    if (principal.kind === 'anonymous') {
      throw pushError('PUSH_UNAUTHORIZED', 'The dev page requires the service-role key', {
        hint: 'Send it as `Authorization: Bearer <service_role key>` or in the `apikey` header.',
      })
    }
    throw pushError('PUSH_FORBIDDEN', 'The dev page requires the service role')
  }

  return serveRoutes({
    routes,
    basePath: settings.basePath,
    onError: settings.onError,
    async prepare(request, url) {
      if (!settings.enabled) {
        throw pushError('PUSH_NOT_FOUND', 'The dev push page is disabled', {
          hint: 'createPush({ devPage: true, authenticate }) serves it, outside production only.',
        })
      }
      try {
        await authorize(request)
        return { denied: null }
      } catch (error) {
        const refused =
          isGroundworkError(error) && (error.code === 'PUSH_UNAUTHORIZED' || error.code === 'PUSH_FORBIDDEN')
        if (refused && wantsPage(request, url, settings.basePath)) return { denied: error as PushError }
        throw error
      }
    },
  })
}

/** A browser navigating to the page: `GET /` (any query) that accepts HTML. */
function wantsPage(request: Request, url: URL, basePath: string): boolean {
  return (
    (request.method === 'GET' || request.method === 'HEAD') &&
    relativePath(url.pathname, basePath) === '/' &&
    (request.headers.get('accept') ?? '').includes('text/html')
  )
}
