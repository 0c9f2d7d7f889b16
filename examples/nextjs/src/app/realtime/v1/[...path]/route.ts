import { toNextJsHandler } from '@groundwork/core/next'
import { groundwork } from '../../../../lib/groundwork'

// Never cached: every request reaches the handler.
export const dynamic = 'force-dynamic'

/** `/realtime/v1/*` → `realtime.handler` (the handler sees paths relative to `/realtime/v1`). */
export const { GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS } = toNextJsHandler(
  async (request) => (await groundwork()).realtime.handler(request),
  { basePath: '/realtime/v1', onError: (error) => console.error(error) },
)
