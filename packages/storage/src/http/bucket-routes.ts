import type { CreateBucketInput, ListBucketsOptions, UpdateBucketInput } from '../buckets'
import { storageError } from '../errors'
import { type HttpSettings, ok, type RouteHandler, readBody, stringField } from './context'
import type { StorageRoute } from './routes'

function pageParam(url: URL, name: string): number | undefined {
  const value = url.searchParams.get(name)
  if (value === null || value === '') return undefined
  if (!/^\d{1,9}$/.test(value)) throw storageError('STORAGE_INVALID_PARAMETER', `Invalid Parameter ${name}`)
  return Number(value)
}

/** Bucket fields as the wire names them (`file_size_limit`, `allowed_mime_types`, `public`). */
function bucketFields(body: Record<string, unknown>): UpdateBucketInput {
  const out: UpdateBucketInput = {}
  if (body.public !== undefined) {
    if (typeof body.public !== 'boolean')
      throw storageError('STORAGE_INVALID_PARAMETER', 'Invalid Parameter public')
    out.public = body.public
  }
  if (body.file_size_limit !== undefined) out.fileSizeLimit = body.file_size_limit as number | string | null
  if (body.allowed_mime_types !== undefined) out.allowedMimeTypes = body.allowed_mime_types as string[] | null
  return out
}

/**
 * `/bucket` routes, Supabase's shapes: create answers `{ name }`, update / empty / delete
 * `{ message }`.
 *
 * @see https://github.com/supabase/storage/tree/master/src/http/routes/bucket
 */
export function bucketRoutes(settings: HttpSettings): StorageRoute<RouteHandler>[] {
  const { api, limits } = settings
  return [
    {
      method: 'GET',
      path: '/bucket',
      handler: async ({ url, principal }) => {
        const options: ListBucketsOptions = {}
        const limit = pageParam(url, 'limit')
        const offset = pageParam(url, 'offset')
        if (limit !== undefined) options.limit = limit
        if (offset !== undefined) options.offset = offset
        const sortColumn = url.searchParams.get('sortColumn')
        if (sortColumn) options.sortColumn = sortColumn as ListBucketsOptions['sortColumn'] & string
        if (url.searchParams.get('sortOrder') === 'desc') options.sortOrder = 'desc'
        const search = url.searchParams.get('search')
        if (search) options.search = search.slice(0, 100)
        return ok(await api.listBuckets(options, { as: await principal() }))
      },
    },
    {
      method: 'POST',
      path: '/bucket',
      handler: async ({ request, principal }) => {
        const caller = await principal()
        const body = await readBody(request, limits)
        const name = stringField(body, 'name') as string
        const input: CreateBucketInput = {
          id: stringField(body, 'id', false) ?? name,
          name,
          ...bucketFields(body),
        }
        return ok(await api.createBucket(input, { as: caller }))
      },
    },
    {
      method: 'GET',
      path: '/bucket/:id',
      handler: async ({ params, principal }) =>
        ok(await api.getBucket(params.id as string, { as: await principal() })),
    },
    {
      method: 'PUT',
      path: '/bucket/:id',
      handler: async ({ request, params, principal }) => {
        const caller = await principal()
        const body = await readBody(request, limits)
        return ok(await api.updateBucket(params.id as string, bucketFields(body), { as: caller }))
      },
    },
    {
      method: 'POST',
      path: '/bucket/:id/empty',
      handler: async ({ params, principal }) =>
        ok(await api.emptyBucket(params.id as string, { as: await principal() })),
    },
    {
      method: 'DELETE',
      path: '/bucket/:id',
      handler: async ({ params, principal }) =>
        ok(await api.deleteBucket(params.id as string, { as: await principal() })),
    },
  ]
}
