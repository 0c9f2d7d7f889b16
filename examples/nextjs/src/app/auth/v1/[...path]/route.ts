import { toNextJsHandler } from '@groundwork/core/next'
import { groundwork } from '../../../../lib/groundwork'

// Never cached: every request reaches the handler.
export const dynamic = 'force-dynamic'

/** `/auth/v1/*` → `auth.handler` (the handler sees paths relative to `/auth/v1`). */
export const { GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS } = toNextJsHandler(
  async (request) => (await groundwork()).auth.handler(request),
  { basePath: '/auth/v1', onError: (error) => console.error(error) },
)
