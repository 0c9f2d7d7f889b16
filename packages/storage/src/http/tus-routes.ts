import { storageError } from '../errors'
import { cacheControlOf, parseUserMetadata } from '../names'
import type { HttpSettings, RouteHandler } from './context'
import type { StorageRoute } from './routes'

const TUS_VERSION = '1.0.0'
const TUS_HEADERS = { 'tus-resumable': TUS_VERSION }

/**
 * `Upload-Metadata`: comma-separated `key base64value` pairs (a key alone has no value).
 *
 * @see https://tus.io/protocols/resumable-upload#upload-metadata
 */
export function parseUploadMetadata(header: string | null): Record<string, string> {
  const out: Record<string, string> = {}
  if (!header) return out
  if (header.length > 16 * 1024)
    throw storageError('STORAGE_INVALID_PARAMETER', 'Invalid Parameter Upload-Metadata')
  for (const pair of header.split(',')) {
    const [key, value, extra] = pair.trim().split(' ')
    if (
      !key ||
      extra !== undefined ||
      !/^[\x21-\x7e]+$/.test(key) ||
      (value !== undefined && !/^[A-Za-z0-9+/=]*$/.test(value))
    ) {
      throw storageError('STORAGE_INVALID_PARAMETER', 'Invalid Parameter Upload-Metadata')
    }
    out[key] = value === undefined ? '' : Buffer.from(value, 'base64').toString('utf8')
  }
  return out
}

function requireTus(request: Request): void {
  if (request.headers.get('tus-resumable') !== TUS_VERSION) {
    throw storageError('STORAGE_TUS_UNSUPPORTED', `Tus-Resumable must be ${TUS_VERSION}`, {
      headers: { 'tus-version': TUS_VERSION },
    })
  }
}

function offsetHeader(request: Request, name: string): number {
  const value = request.headers.get(name)
  if (value === null || !/^\d{1,16}$/.test(value.trim())) {
    throw storageError('STORAGE_INVALID_PARAMETER', `Invalid Parameter ${name}`)
  }
  return Number(value)
}

/** The mount path a client reached us under, for `Location` (a path, so any host in front works). */
function mountPath(request: Request, basePath: string): string {
  const prefix = request.headers.get('x-forwarded-prefix')
  if (prefix !== null && /^(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$/.test(prefix) && prefix.length < 512)
    return prefix
  return basePath
}

/**
 * tus 1.0 at `/upload/resumable` (core protocol, `creation`, `termination`), with Supabase's
 * `Upload-Metadata` keys (`bucketName`, `objectName`, `contentType`, `cacheControl`, `metadata`)
 * and `x-upsert`, so `tus-js-client` configured as in Supabase's docs works unchanged.
 *
 * Why not `@tus/server`: its upload state and locks live in the process (a `MemoryLocker`, a
 * configstore) or need a store and locker written for our backends anyway, and every request
 * here must be authorised as its caller through `withClaims`; the protocol itself is four small
 * handlers over `storage.api.resumable`, whose state is in Postgres (any instance can take the
 * next PATCH).
 *
 * @see https://tus.io/protocols/resumable-upload
 * @see https://supabase.com/docs/guides/storage/uploads/resumable-uploads
 */
export function tusRoutes(settings: HttpSettings): StorageRoute<RouteHandler>[] {
  const { api } = settings
  const options: RouteHandler = async () =>
    new Response(null, {
      status: 204,
      headers: {
        ...TUS_HEADERS,
        'tus-version': TUS_VERSION,
        'tus-extension': 'creation,termination',
      },
    })
  const status: RouteHandler = async ({ request, params, principal }) => {
    requireTus(request)
    const upload = await api.resumable.status(params.id as string, { as: await principal() })
    return new Response(null, {
      status: 200,
      headers: {
        ...TUS_HEADERS,
        'upload-offset': String(upload.offset),
        'upload-length': String(upload.length),
        'upload-expires': upload.expiresAt.toUTCString(),
        'cache-control': 'no-store',
      },
    })
  }
  return [
    { method: 'OPTIONS', path: '/upload/resumable', handler: options },
    { method: 'OPTIONS', path: '/upload/resumable/:id', handler: options },
    {
      method: 'POST',
      path: '/upload/resumable',
      handler: async ({ request, principal }) => {
        requireTus(request)
        const caller = await principal()
        if (request.headers.has('upload-defer-length')) {
          throw storageError(
            'STORAGE_INVALID_REQUEST',
            'Upload-Defer-Length is not supported: send Upload-Length',
          )
        }
        const length = offsetHeader(request, 'upload-length')
        const metadata = parseUploadMetadata(request.headers.get('upload-metadata'))
        if (!metadata.bucketName)
          throw storageError('STORAGE_MISSING_PARAMETER', 'Missing Required Parameter bucketName')
        if (!metadata.objectName)
          throw storageError('STORAGE_MISSING_PARAMETER', 'Missing Required Parameter objectName')
        await request.body?.cancel().catch(() => {})
        const created = await api.resumable.create(
          {
            bucketId: metadata.bucketName,
            name: metadata.objectName,
            length,
            contentType: metadata.contentType || 'application/octet-stream',
            cacheControl: cacheControlOf(metadata.cacheControl),
            userMetadata: parseUserMetadata(metadata.metadata),
            upsert: request.headers.get('x-upsert')?.trim().toLowerCase() === 'true',
          },
          { as: caller },
        )
        return new Response(null, {
          status: 201,
          headers: {
            ...TUS_HEADERS,
            location: `${mountPath(request, settings.basePath)}/upload/resumable/${created.id}`,
            'upload-expires': created.expiresAt.toUTCString(),
          },
        })
      },
    },
    { method: 'HEAD', path: '/upload/resumable/:id', handler: status },
    {
      method: 'PATCH',
      path: '/upload/resumable/:id',
      handler: async ({ request, params, principal }) => {
        requireTus(request)
        const caller = await principal()
        if (request.headers.get('content-type')?.trim().toLowerCase() !== 'application/offset+octet-stream') {
          throw storageError(
            'STORAGE_INVALID_MIME_TYPE',
            'A PATCH body must be application/offset+octet-stream',
          )
        }
        const offset = offsetHeader(request, 'upload-offset')
        const body = request.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() })
        // No abort signal: when the client drops, the bytes it sent are kept (that is the point of tus).
        const result = await api.resumable.append(params.id as string, offset, body, { as: caller })
        return new Response(null, {
          status: 204,
          headers: {
            ...TUS_HEADERS,
            'upload-offset': String(result.offset),
            'upload-expires': result.expiresAt.toUTCString(),
          },
        })
      },
    },
    {
      method: 'DELETE',
      path: '/upload/resumable/:id',
      handler: async ({ request, params, principal }) => {
        requireTus(request)
        await api.resumable.terminate(params.id as string, { as: await principal() })
        return new Response(null, { status: 204, headers: TUS_HEADERS })
      },
    },
  ]
}
