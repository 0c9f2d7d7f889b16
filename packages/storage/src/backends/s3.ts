import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto'
import { SignatureV4 } from '@smithy/signature-v4'
import { noSuchKey, storageError } from '../errors'
import { assertKey, type BackendEntry, type StorageBackend } from './types'

/** Options of {@link s3Backend}: any S3-compatible store (AWS S3, R2, MinIO, …). */
export interface S3BackendOptions {
  /** The service URL, e.g. `https://s3.eu-west-1.amazonaws.com`, `https://<account>.r2.cloudflarestorage.com`, `http://127.0.0.1:9000`. */
  endpoint: string
  /** The bucket bytes are kept in (it must exist). */
  bucket: string
  /** The signing region. @default 'us-east-1' */
  region?: string
  accessKeyId: string
  secretAccessKey: string
  /** A session token for temporary credentials. */
  sessionToken?: string
  /** Prefix of every key in the bucket, e.g. `groundwork/`. @default '' */
  keyPrefix?: string
  /**
   * `https://endpoint/bucket/key` (true) or `https://bucket.endpoint/key`. Path style works with
   * every S3-compatible server. @default true
   */
  forcePathStyle?: boolean
  /** Bytes per multipart part (S3's minimum is 5 MiB); bodies up to this size are one PutObject. @default 8 MiB */
  partSize?: number
  /** Parts uploaded at once: memory held by one multipart upload is `partSize × (queueSize + 1)`. @default 4 */
  queueSize?: number
  /**
   * A body of known size (the request's Content-Length) up to this many bytes streams straight to
   * S3 as one PutObject — nothing buffered; larger or unsized bodies are multipart uploads.
   * AWS suggests multipart from about 100 MB. @default 104857600 (100 MiB)
   */
  multipartThreshold?: number
  /** `fetch` to use (tests, proxies). @default globalThis.fetch */
  fetch?: typeof fetch
}

const MIN_PART = 5 * 1024 * 1024
const UNSIGNED = 'UNSIGNED-PAYLOAD'

/** node:crypto as the `sha256` constructor `@smithy/signature-v4` takes (HMAC when given a key). */
class NodeSha256 {
  private hash: Hash | Hmac
  private readonly secret: Uint8Array | string | undefined
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.secret =
      secret === undefined || typeof secret === 'string'
        ? secret
        : secret instanceof ArrayBuffer
          ? new Uint8Array(secret)
          : new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength)
    this.hash = this.secret ? createHmac('sha256', this.secret) : createHash('sha256')
  }
  update(data: string | Uint8Array): void {
    this.hash.update(data)
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest()
  }
  reset(): void {
    this.hash = this.secret ? createHmac('sha256', this.secret) : createHash('sha256')
  }
}

interface S3Request {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD'
  key?: string
  query?: Record<string, string>
  headers?: Record<string, string>
  body?: Uint8Array | { stream: ReadableStream<Uint8Array>; length: number }
  signal?: AbortSignal
}

/**
 * Bytes in an S3-compatible bucket, signed with SigV4 (`@smithy/signature-v4`) and sent with
 * `fetch` — no AWS SDK. Uploads stream: the body is cut into `partSize` parts, uploaded
 * `queueSize` at a time as a multipart upload (a body no longer than one part is a single
 * PutObject), and the multipart upload is aborted when anything fails. Downloads stream, with the
 * `Range` passed through; copies are server-side (CopyObject, up to S3's 5 GB single-copy limit).
 * Payloads are sent `UNSIGNED-PAYLOAD` (the headers, path and query are signed).
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
 */
export function s3Backend(options: S3BackendOptions): StorageBackend {
  const endpoint = new URL(options.endpoint)
  const pathStyle = options.forcePathStyle ?? true
  const prefix = options.keyPrefix ?? ''
  const partSize = Math.max(MIN_PART, options.partSize ?? 8 * 1024 * 1024)
  const queueSize = Math.max(1, options.queueSize ?? 4)
  const multipartThreshold = options.multipartThreshold ?? 100 * 1024 * 1024
  const doFetch = options.fetch ?? globalThis.fetch
  const host = pathStyle ? endpoint.host : `${options.bucket}.${endpoint.host}`
  const basePath = `${endpoint.pathname.replace(/\/$/, '')}${pathStyle ? `/${encodeURIComponent(options.bucket)}` : ''}`
  const signer = new SignatureV4({
    service: 's3',
    region: options.region ?? 'us-east-1',
    credentials: {
      accessKeyId: options.accessKeyId,
      secretAccessKey: options.secretAccessKey,
      ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}),
    },
    sha256: NodeSha256,
    // Keys are Groundwork's own ([a-z0-9/._-]): the path is already in canonical form; S3 wants it encoded once.
    uriEscapePath: false,
  })

  async function send(request: S3Request): Promise<Response> {
    // A bucket-level request (ListObjectsV2, DeleteObjects) is `/bucket`, with no trailing slash.
    const path =
      request.key === undefined ? basePath || '/' : `${basePath}/${prefix}${assertKey(request.key)}`
    const headers: Record<string, string> = {
      host,
      'x-amz-content-sha256': UNSIGNED,
      ...request.headers,
    }
    const length = request.body
      ? request.body instanceof Uint8Array
        ? request.body.byteLength
        : request.body.length
      : undefined
    if (length !== undefined) headers['content-length'] = String(length)
    const signed = await signer.sign({
      method: request.method,
      protocol: endpoint.protocol,
      hostname: host,
      path,
      query: request.query ?? {},
      headers,
    })
    const url = new URL(`${endpoint.protocol}//${host}${path}`)
    for (const [name, value] of Object.entries(request.query ?? {})) url.searchParams.set(name, value)
    // `host` and `content-length` are signed, and fetch sets both itself (to the same values).
    const { host: _host, 'content-length': _length, ...sent } = signed.headers
    return doFetch(url, {
      method: request.method,
      // The signed content-length goes out as is: with a stream body fetch sends no chunked encoding.
      headers: length === undefined ? sent : { ...sent, 'content-length': String(length) },
      ...(request.body
        ? {
            body: request.body instanceof Uint8Array ? bodyOf(request.body) : request.body.stream,
            duplex: 'half',
          }
        : {}),
      ...(request.signal ? { signal: request.signal } : {}),
    } as RequestInit)
  }

  async function expectOk(response: Response, what: string): Promise<Response> {
    if (response.ok) return response
    const text = await response.text().catch(() => '')
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1]
    if (response.status === 404 || code === 'NoSuchKey') throw noSuchKey()
    if (response.status === 416 || code === 'InvalidRange') {
      throw storageError('STORAGE_INVALID_RANGE', 'The requested range is not satisfiable')
    }
    throw storageError('STORAGE_BACKEND_ERROR', `S3 ${what} failed: ${response.status} ${code ?? ''}`.trim())
  }

  async function putObject(
    key: string,
    body: Uint8Array,
    contentType: string | undefined,
    signal?: AbortSignal,
  ) {
    const response = await send({
      method: 'PUT',
      key,
      body,
      headers: contentType ? { 'content-type': contentType } : {},
      ...(signal ? { signal } : {}),
    })
    await expectOk(response, 'PutObject')
    await response.body?.cancel()
  }

  /**
   * A multipart upload of `first` (one whole part) and the rest of `reader`: parts are read into
   * `queueSize + 1` reused buffers and uploaded `queueSize` at a time; any failure aborts the upload.
   */
  async function multipart(
    key: string,
    first: Uint8Array,
    reader: PartReader,
    contentType: string | undefined,
    signal?: AbortSignal,
  ): Promise<number> {
    const created = await expectOk(
      await send({
        method: 'POST',
        key,
        query: { uploads: '' },
        headers: contentType ? { 'content-type': contentType } : {},
      }),
      'CreateMultipartUpload',
    )
    const uploadId = xmlValue(await created.text(), 'UploadId')
    if (!uploadId)
      throw storageError('STORAGE_BACKEND_ERROR', 'S3 CreateMultipartUpload answered no UploadId')
    const pool = new PartPool(partSize, queueSize + 1)
    const etags: string[] = []
    const inFlight = new Set<Promise<void>>()
    let failure: unknown = null
    let size = 0
    const uploadPart = (partNumber: number, buffer: Buffer, length: number) => {
      const task = (async () => {
        const response = await expectOk(
          await send({
            method: 'PUT',
            key,
            query: { partNumber: String(partNumber), uploadId },
            body: buffer.subarray(0, length),
            ...(signal ? { signal } : {}),
          }),
          'UploadPart',
        )
        await response.body?.cancel()
        etags[partNumber - 1] = response.headers.get('etag') ?? ''
      })()
        .catch((error) => {
          failure ??= error
        })
        .finally(() => pool.release(buffer))
      const tracked = task.finally(() => inFlight.delete(tracked))
      inFlight.add(tracked)
    }
    try {
      let partNumber = 0
      let buffer = await pool.acquire()
      buffer.set(first)
      let length = first.byteLength
      for (;;) {
        size += length
        partNumber++
        uploadPart(partNumber, buffer, length)
        if (length < partSize) break
        buffer = await pool.acquire()
        if (failure) {
          pool.release(buffer)
          throw failure
        }
        length = await reader.read(buffer, signal)
        if (length === 0) {
          pool.release(buffer)
          break
        }
      }
      await Promise.all(inFlight)
      if (failure) throw failure
      const xml = `<CompleteMultipartUpload>${etags
        .map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${xmlEscape(etag)}</ETag></Part>`)
        .join('')}</CompleteMultipartUpload>`
      const done = await expectOk(
        await send({ method: 'POST', key, query: { uploadId }, body: Buffer.from(xml) }),
        'CompleteMultipartUpload',
      )
      // S3 may answer 200 with an error document when completion fails late.
      const text = await done.text()
      if (text.includes('<Error>')) {
        throw storageError(
          'STORAGE_BACKEND_ERROR',
          `S3 CompleteMultipartUpload failed: ${xmlValue(text, 'Code')}`,
        )
      }
      return size
    } catch (error) {
      await Promise.allSettled(inFlight)
      await send({ method: 'DELETE', key, query: { uploadId } })
        .then((r) => r.body?.cancel())
        .catch(() => {})
      throw error
    }
  }

  return {
    kind: 's3',
    async put(key, body, putOptions = {}) {
      if (putOptions.size !== undefined && putOptions.size <= multipartThreshold) {
        // Known size: one streaming PutObject, nothing held in memory.
        const response = await send({
          method: 'PUT',
          key,
          body: { stream: body, length: putOptions.size },
          headers: putOptions.contentType ? { 'content-type': putOptions.contentType } : {},
          ...(putOptions.signal ? { signal: putOptions.signal } : {}),
        })
        await expectOk(response, 'PutObject')
        await response.body?.cancel()
        return { size: putOptions.size }
      }
      const reader = body.getReader()
      const parts = new PartReader(reader)
      try {
        // The first part's chunks are gathered as they come: a small body costs no part buffer.
        const first = await parts.head(partSize, putOptions.signal)
        if (first.byteLength < partSize) {
          await putObject(key, first, putOptions.contentType, putOptions.signal)
          return { size: first.byteLength }
        }
        return { size: await multipart(key, first, parts, putOptions.contentType, putOptions.signal) }
      } catch (error) {
        await reader.cancel(error).catch(() => {})
        throw error
      } finally {
        reader.releaseLock()
      }
    },

    async get(key, getOptions = {}) {
      const range = getOptions.range
      const response = await expectOk(
        await send({
          method: 'GET',
          key,
          headers: range ? { range: `bytes=${range.start}-${range.end}` } : {},
          ...(getOptions.signal ? { signal: getOptions.signal } : {}),
        }),
        'GetObject',
      )
      const total = range
        ? Number(response.headers.get('content-range')?.split('/')[1])
        : Number(response.headers.get('content-length'))
      if (!response.body || !Number.isSafeInteger(total)) {
        await response.body?.cancel()
        throw storageError('STORAGE_BACKEND_ERROR', 'S3 GetObject answered without a body or size')
      }
      return { size: total, body: response.body }
    },

    async head(key) {
      const response = await send({ method: 'HEAD', key })
      await response.body?.cancel()
      if (response.status === 404) return null
      await expectOk(response, 'HeadObject')
      return { size: Number(response.headers.get('content-length')) }
    },

    async copy(from, to) {
      const response = await expectOk(
        await send({
          method: 'PUT',
          key: to,
          headers: {
            'x-amz-copy-source': `/${encodeURIComponent(options.bucket)}/${prefix}${assertKey(from)}`,
          },
        }),
        'CopyObject',
      )
      const text = await response.text()
      if (text.includes('<Error>')) {
        throw storageError('STORAGE_BACKEND_ERROR', `S3 CopyObject failed: ${xmlValue(text, 'Code')}`)
      }
    },

    async delete(keys) {
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000)
        const xml = Buffer.from(
          `<Delete><Quiet>true</Quiet>${batch
            .map((key) => `<Object><Key>${xmlEscape(prefix + assertKey(key))}</Key></Object>`)
            .join('')}</Delete>`,
        )
        // Deleting is idempotent: a 500 / 503 (S3's InternalError and SlowDown) is retried.
        for (let attempt = 1; ; attempt++) {
          const response = await send({
            method: 'POST',
            query: { delete: '' },
            body: xml,
            headers: {
              'content-md5': createHash('md5').update(xml).digest('base64'),
              'content-type': 'application/xml',
            },
          })
          if ((response.status === 500 || response.status === 503) && attempt < 4) {
            await response.body?.cancel()
            await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt))
            continue
          }
          const text = await (await expectOk(response, 'DeleteObjects')).text()
          if (text.includes('<Error>') && !text.includes('<Code>NoSuchKey</Code>')) {
            throw storageError('STORAGE_BACKEND_ERROR', `S3 DeleteObjects failed: ${xmlValue(text, 'Code')}`)
          }
          break
        }
      }
    },

    async *list(listPrefix): AsyncGenerator<BackendEntry> {
      let token: string | undefined
      do {
        const query: Record<string, string> = { 'list-type': '2', prefix: prefix + listPrefix }
        if (token) query['continuation-token'] = token
        const response = await expectOk(await send({ method: 'GET', query }), 'ListObjectsV2')
        const text = await response.text()
        for (const match of text.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
          const key = xmlUnescape(xmlValue(match[1] as string, 'Key') ?? '')
          const modified = xmlValue(match[1] as string, 'LastModified')
          if (!key.startsWith(prefix)) continue
          yield { key: key.slice(prefix.length), lastModified: new Date(modified ?? 0) }
        }
        token = xmlValue(text, 'IsTruncated') === 'true' ? xmlValue(text, 'NextContinuationToken') : undefined
      } while (token)
    },

    async close() {},
  }
}

/**
 * Cuts a stream into parts, copying each chunk straight into a part buffer (no concatenation);
 * a chunk that crosses a part boundary is carried over to the next part.
 */
class PartReader {
  private rest: Uint8Array | null = null
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  /** Up to `size` bytes gathered from the chunks as they come (fewer only at the end of the stream). */
  async head(size: number, signal: AbortSignal | undefined): Promise<Uint8Array> {
    const chunks: Uint8Array[] = []
    let length = 0
    while (length < size) {
      signal?.throwIfAborted()
      const { done, value } = await this.reader.read()
      if (done) break
      chunks.push(value)
      length += value.byteLength
    }
    if (chunks.length === 1 && length <= size) return chunks[0] as Uint8Array
    const joined = Buffer.concat(chunks, length)
    if (length <= size) return joined
    this.rest = joined.subarray(size)
    return joined.subarray(0, size)
  }

  /** Fills `target` (fewer bytes only at the end of the stream); answers the bytes written. */
  async read(target: Buffer, signal: AbortSignal | undefined): Promise<number> {
    let length = 0
    for (;;) {
      let chunk = this.rest
      this.rest = null
      if (!chunk) {
        signal?.throwIfAborted()
        chunk = (await this.reader.read()).value ?? null
      }
      if (chunk === null) return length
      const take = Math.min(chunk.byteLength, target.byteLength - length)
      target.set(take === chunk.byteLength ? chunk : chunk.subarray(0, take), length)
      length += take
      if (take < chunk.byteLength) this.rest = chunk.subarray(take)
      if (length === target.byteLength) return length
    }
  }
}

/** `queueSize + 1` part buffers, reused: one upload holds at most that much memory, without GC churn. */
class PartPool {
  private readonly free: Buffer[] = []
  private readonly waiting: ((buffer: Buffer) => void)[] = []
  constructor(partSize: number, count: number) {
    for (let i = 0; i < count; i++) this.free.push(Buffer.allocUnsafe(partSize))
  }
  acquire(): Promise<Buffer> {
    const buffer = this.free.pop()
    return buffer ? Promise.resolve(buffer) : new Promise((resolve) => this.waiting.push(resolve))
  }
  release(buffer: Buffer): void {
    const next = this.waiting.shift()
    if (next) next(buffer)
    else this.free.push(buffer)
  }
}

/** A body fetch sends as it is (a BufferSource body would be copied first, per the Fetch spec). */
function bodyOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes)
      controller.close()
    },
  })
}

function xmlValue(xml: string, tag: string): string | undefined {
  return new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1]
}

function xmlEscape(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function xmlUnescape(value: string): string {
  return value
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}
