import { toNextJsHandler } from '@groundwork/core/next'
import { groundwork } from '../../../../lib/groundwork'

// Never cached: every request reaches the handler.
export const dynamic = 'force-dynamic'

/** `/rest/v1/*` → `rest.handler` (the handler sees paths relative to `/rest/v1`). */
export const { GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS } = toNextJsHandler(
  async (request) => (await groundwork()).rest.handler(request),
  { basePath: '/rest/v1', onError: (error) => console.error(error) },
)
