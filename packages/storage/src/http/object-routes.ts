import type { ObjectHandle, UploadOptions } from '../api'
import { storageError } from '../errors'
import { bytesStream } from '../internal/streams'
import { cacheControlOf, parseUserMetadata } from '../names'
import { objectInfo } from '../objects/records'
import type { UploadResult } from '../objects/upload'
import { parseTransform, type TransformOptions, transformationsString } from '../transform'
import { declaredLength, type HttpSettings, ok, type RouteHandler, readBody, stringField } from './context'
import { readMultipartFile } from './multipart'
import { disposition, objectHeaders, objectResponse } from './object-response'
import type { StorageRoute } from './routes'

/** A request's upload body and its options: raw (headers) or `multipart/form-data` (fields). */
async function uploadBody(
  request: Request,
): Promise<{ body: ReadableStream<Uint8Array>; options: UploadOptions }> {
  const type = request.headers.get('content-type') ?? ''
  if (/^multipart\/form-data/i.test(type)) {
    const file = await readMultipartFile(request, type)
    const options: UploadOptions = {
      contentType: file.fields.contentType || file.mimeType,
      cacheControl: cacheControlOf(file.fields.cacheControl),
      metadata: parseUserMetadata(file.fields.metadata),
    }
    if (file.fields.contentEncoding) options.contentEncoding = file.fields.contentEncoding
    return { body: file.stream, options }
  }
  const options: UploadOptions = {
    contentType: type.trim() === '' ? 'application/octet-stream' : type,
    cacheControl: cacheControlOf(request.headers.get('cache-control')),
    metadata: parseUserMetadata(request.headers.get('x-metadata'), true),
  }
  const size = declaredLength(request)
  if (size !== null) options.size = size
  const encoding = request.headers.get('content-encoding')
  if (encoding) options.contentEncoding = encoding
  return { body: request.body ?? bytesStream(new Uint8Array(0)), options }
}

function uploaded(result: UploadResult): Response {
  return ok({ Id: result.id, Key: result.key })
}

function expiresIn(body: Record<string, unknown>): number {
  const value = body.expiresIn
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw storageError(
      'STORAGE_INVALID_PARAMETER',
      'Invalid Parameter expiresIn: a positive integer of seconds',
    )
  }
  return value
}

function transformFrom(value: unknown): TransformOptions | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw storageError('STORAGE_INVALID_PARAMETER', 'Invalid Parameter transform')
  }
  const options = parseTransform(value as Record<string, unknown>)
  return Object.keys(options).length > 0 ? options : undefined
}

function upsertOf(request: Request): boolean {
  return request.headers.get('x-upsert')?.trim().toLowerCase() === 'true'
}

/**
 * The object, signing, listing and image routes — Supabase Storage's paths, each a thin layer
 * over `storage.api`.
 *
 * @see https://github.com/supabase/storage/tree/master/src/http/routes/object
 */
export function objectRoutes(settings: HttpSettings): StorageRoute<RouteHandler>[] {
  const { api, limits } = settings

  const info: RouteHandler = async ({ request, params, principal }) => {
    const found = await api.getObject(params.bucket as string, params.name as string, {
      as: await principal(),
      signal: request.signal,
    })
    return infoResponse(found)
  }
  const publicInfo: RouteHandler = async ({ params }) =>
    infoResponse(await api.getPublicObject(params.bucket as string, params.name as string))

  const download: RouteHandler = async ({ request, url, params, principal }) => {
    const found = await api.getObject(params.bucket as string, params.name as string, {
      as: await principal(),
      signal: request.signal,
    })
    return objectResponse(request, found, { download: url.searchParams.get('download') })
  }
  const publicDownload: RouteHandler = async ({ request, url, params }) =>
    objectResponse(request, await api.getPublicObject(params.bucket as string, params.name as string), {
      download: url.searchParams.get('download'),
    })
  const signedDownload: RouteHandler = async ({ request, url, params }) => {
    const found = await api.getSignedObject(
      params.bucket as string,
      params.name as string,
      url.searchParams.get('token'),
    )
    return objectResponse(request, found, { download: url.searchParams.get('download') })
  }

  const upload =
    (upsert: (request: Request) => boolean): RouteHandler =>
    async ({ request, params, principal }) => {
      const caller = await principal()
      const { body, options } = await uploadBody(request)
      return uploaded(
        await api.upload(params.bucket as string, params.name as string, body, {
          ...options,
          upsert: upsert(request),
          as: caller,
          signal: request.signal,
        }),
      )
    }

  const render =
    (mode: 'authenticated' | 'public' | 'sign'): RouteHandler =>
    async ({ request, url, params, principal }) => {
      const bucket = params.bucket as string
      const name = params.name as string
      let found: ObjectHandle
      let transform = parseTransform(url.searchParams)
      if (mode === 'sign') {
        const signed = await api.getSignedObject(bucket, name, url.searchParams.get('token'))
        found = signed
        transform = signed.transform ?? transform
      } else if (mode === 'public') {
        found = await api.getPublicObject(bucket, name)
      } else {
        found = await api.getObject(bucket, name, { as: await principal(), signal: request.signal })
      }
      const image = await api.renderImage(found, transform, request.headers.get('accept'))
      const headers = {
        ...objectHeaders(found.object),
        ...disposition(url.searchParams.get('download')),
        'content-type': image.contentType,
        'content-length': String(image.data.byteLength),
        etag: `"${found.object.metadata.eTag.replaceAll('"', '')}-${Buffer.from(transformationsString(transform)).toString('base64url')}"`,
        'x-transformations': transformationsString(transform),
      }
      delete (headers as Record<string, string>)['accept-ranges']
      return new Response(request.method === 'HEAD' ? null : new Uint8Array(image.data), {
        status: 200,
        headers,
      })
    }

  return [
    {
      method: 'POST',
      path: '/object/list/:bucket',
      handler: async ({ request, params, principal }) => {
        const caller = await principal()
        const body = await readBody(request, limits)
        return ok(await api.list(params.bucket as string, body, { as: caller, signal: request.signal }))
      },
    },
    {
      method: 'POST',
      path: '/object/list-v2/:bucket',
      handler: async ({ request, params, principal }) => {
        const caller = await principal()
        const body = await readBody(request, limits)
        return ok(await api.listV2(params.bucket as string, body, { as: caller, signal: request.signal }))
      },
    },
    {
      method: 'POST',
      path: '/object/move',
      handler: async ({ request, principal }) => {
        const caller = await principal()
        const body = await readBody(request, limits)
        const destinationBucket = stringField(body, 'destinationBucket', false)
        return ok(
          await api.move(
            stringField(body, 'bucketId') as string,
            stringField(body, 'sourceKey') as string,
            stringField(body, 'destinationKey') as string,
            destinationBucket ? { destinationBucket } : {},
            { as: caller },
          ),
        )
      },
    },
    {
      method: 'POST',
      path: '/object/copy',
      handler: async ({ request, principal }) => {
        const caller = await principal()
        const body = await readBody(request, limits)
        const destinationBucket = stringField(body, 'destinationBucket', false)
        const metadata = body.metadata
        if (
          metadata !== undefined &&
          metadata !== null &&
          (typeof metadata !== 'object' || Array.isArray(metadata))
        ) {
          throw storageError('STORAGE_INVALID_PARAMETER', 'Invalid Parameter metadata')
        }
        const copied = await api.copy(
          stringField(body, 'bucketId') as string,
          stringField(body, 'sourceKey') as string,
          stringField(body, 'destinationKey') as string,
          {
            upsert: upsertOf(request),
            ...(destinationBucket ? { destinationBucket } : {}),
            ...(typeof body.copyMetadata === 'boolean' ? { copyMetadata: body.copyMetadata } : {}),
            ...(metadata ? { metadata: metadata as { cacheControl?: string; mimetype?: string } } : {}),
          },
          { as: caller },
        )
        return ok({ Id: copied.id, Key: copied.key })
      },
    },
    {
      method: 'POST',
      path: '/object/prefix-delete/:bucket',
      handler: async ({ request, params, principal }) => {
        const caller = await principal()
        const body = await readBody(request, limits)
        const { jobId } = await api.deletePrefix(
          params.bucket as string,
          stringField(body, 'prefix') as string,
          {
            as: caller,
          },
        )
        return ok({ message: 'Deletion scheduled', jobId }, 202)
      },
    },
    {
      method: 'POST',
      path: '/object/prefix-move',
      handler: async ({ request, principal }) => {
        const caller = await principal()
        const body = await readBody(request, limits)
        const destinationBucket = stringField(body, 'destinationBucket', false)
        const { jobId } = await api.movePrefix(
          stringField(body, 'bucketId') as string,
          stringField(body, 'sourcePrefix') as string,
          stringField(body, 'destinationPrefix') as string,
          destinationBucket ? { destinationBucket } : {},
          { as: caller },
        )
        return ok({ message: 'Move scheduled', jobId }, 202)
      },
    },
    {
      method: 'POST',
      path: '/object/sign/:bucket',
      handler: async ({ request, params, principal }) => {
        const caller = await principal()
        const body = await readBody(request, limits)
        const paths = body.paths
        if (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string')) {
          throw storageError('STORAGE_INVALID_PARAMETER', 'Invalid Parameter paths')
        }
        return ok(
          await api.createSignedUrls(params.bucket as string, paths as string[], expiresIn(body), {
            as: caller,
          }),
        )
      },
    },
    {
      method: 'POST',
      path: '/object/sign/:bucket/*name',
      handler: async ({ request, params, principal }) => {
        const caller = await principal()
        const body = await readBody(request, limits)
        const transform = transformFrom(body.transform)
        const { signedURL } = await api.createSignedUrl(
          params.bucket as string,
          params.name as string,
          expiresIn(body),
          {
            as: caller,
            ...(transform ? { transform } : {}),
          },
        )
        return ok({ signedURL })
      },
    },
    { method: 'GET', path: '/object/sign/:bucket/*name', handler: signedDownload },
    { method: 'HEAD', path: '/object/sign/:bucket/*name', handler: signedDownload },
    {
      method: 'POST',
      path: '/object/upload/sign/:bucket/*name',
      handler: async ({ request, params, principal }) =>
        ok(
          await api.createSignedUploadUrl(params.bucket as string, params.name as string, {
            as: await principal(),
            upsert: upsertOf(request),
          }),
        ),
    },
    {
      method: 'PUT',
      path: '/object/upload/sign/:bucket/*name',
      handler: async ({ request, url, params }) => {
        const { body, options } = await uploadBody(request)
        const { as: _as, upsert: _upsert, ...rest } = options
        return uploaded(
          await api.uploadToSignedUrl(
            params.bucket as string,
            params.name as string,
            url.searchParams.get('token'),
            body,
            {
              ...rest,
              signal: request.signal,
            },
          ),
        )
      },
    },
    { method: 'GET', path: '/object/public/:bucket/*name', handler: publicDownload },
    { method: 'HEAD', path: '/object/public/:bucket/*name', handler: publicDownload },
    { method: 'GET', path: '/object/authenticated/:bucket/*name', handler: download },
    { method: 'HEAD', path: '/object/authenticated/:bucket/*name', handler: download },
    { method: 'GET', path: '/object/info/public/:bucket/*name', handler: publicInfo },
    { method: 'GET', path: '/object/info/authenticated/:bucket/*name', handler: info },
    { method: 'GET', path: '/object/info/:bucket/*name', handler: info },
    {
      method: 'DELETE',
      path: '/object/:bucket',
      handler: async ({ request, params, principal }) => {
        const caller = await principal()
        const body = await readBody(request, limits)
        const prefixes = body.prefixes
        if (!Array.isArray(prefixes) || prefixes.some((p) => typeof p !== 'string')) {
          throw storageError('STORAGE_INVALID_PARAMETER', 'Invalid Parameter prefixes')
        }
        return ok(await api.remove(params.bucket as string, prefixes as string[], { as: caller }))
      },
    },
    { method: 'GET', path: '/object/:bucket/*name', handler: download },
    { method: 'HEAD', path: '/object/:bucket/*name', handler: download },
    { method: 'POST', path: '/object/:bucket/*name', handler: upload(upsertOf) },
    { method: 'PUT', path: '/object/:bucket/*name', handler: upload(() => true) },
    {
      method: 'DELETE',
      path: '/object/:bucket/*name',
      handler: async ({ params, principal }) =>
        ok(await api.removeOne(params.bucket as string, params.name as string, { as: await principal() })),
    },
    { method: 'GET', path: '/render/image/authenticated/:bucket/*name', handler: render('authenticated') },
    { method: 'GET', path: '/render/image/public/:bucket/*name', handler: render('public') },
    { method: 'GET', path: '/render/image/sign/:bucket/*name', handler: render('sign') },
  ]
}

function infoResponse(found: ObjectHandle): Response {
  const { object } = found
  return ok(objectInfo(object), 200, {
    etag: object.metadata.eTag,
    'last-modified': object.updatedAt.toUTCString(),
    'cache-control': 'no-cache',
  })
}
