import type { z } from 'zod'
import { HttpError } from './errors'
import { assertJsonDepth } from './json-depth'

/** Default JSON nesting depth a body may have. */
export const DEFAULT_MAX_JSON_DEPTH = 128

/** Limits every body read takes. */
export interface BodyLimits {
  /** Bytes read at most; a longer body is 413 `HTTP_PAYLOAD_TOO_LARGE`, detected while streaming. */
  maxBytes: number
  /** JSON nesting depth at most (JSON reads only). @default 128 */
  maxJsonDepth?: number
}

/**
 * Reads the body as bytes, streamed with a byte counter (the same limit rules as {@link readText}),
 * for binary bodies (a `bytea` argument, an upload small enough to buffer).
 */
export async function readBytes(request: Request, limits: Pick<BodyLimits, 'maxBytes'>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let total = 0
  await consume(request, limits.maxBytes, (chunk) => {
    chunks.push(chunk)
    total += chunk.byteLength
  })
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/** Streams `request.body` to `onChunk`, refusing it (413) past `maxBytes`, declared or counted. */
async function consume(
  request: Request,
  maxBytes: number,
  onChunk: (chunk: Uint8Array) => void,
): Promise<void> {
  const declared = request.headers.get('content-length')
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > maxBytes) {
    await request.body?.cancel().catch(() => {})
    throw tooLarge(maxBytes)
  }
  if (request.body === null) return
  const reader = request.body.getReader()
  let total = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      total += value.byteLength
      if (total > maxBytes) {
        await reader.cancel().catch(() => {})
        throw tooLarge(maxBytes)
      }
      try {
        onChunk(value)
      } catch (error) {
        await reader.cancel().catch(() => {})
        throw error
      }
    }
  } finally {
    reader.releaseLock()
  }
}

/**
 * Reads the body as UTF-8 text, streamed with a byte counter: a declared `Content-Length` past
 * the limit is refused before reading, and an undeclared (chunked) body is cut the moment it
 * passes the limit — the stream is cancelled and nothing past `maxBytes` is ever buffered.
 * Invalid UTF-8 is 400 `HTTP_INVALID_UTF8` (never silently turned into U+FFFD).
 */
export async function readText(request: Request, limits: BodyLimits): Promise<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let text = ''
  await consume(request, limits.maxBytes, (chunk) => {
    text += decode(decoder, chunk, true)
  })
  return text + decode(decoder, undefined, false)
}

function decode(decoder: TextDecoder, chunk: Uint8Array | undefined, stream: boolean): string {
  try {
    return decoder.decode(chunk, { stream })
  } catch (cause) {
    throw new HttpError('HTTP_INVALID_UTF8', 'The request body is not valid UTF-8', { cause })
  }
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError('HTTP_PAYLOAD_TOO_LARGE', `The request body is larger than ${maxBytes} bytes`, {
    details: { limit: maxBytes },
    // The rest of the body is not read: close the connection rather than drain it.
    headers: { Connection: 'close' },
  })
}

/**
 * Parses JSON text with the depth limit; `HTTP_BAD_JSON` (400) names the parser's complaint.
 * Empty (or blank) text is `undefined`.
 */
export function parseJson(text: string, maxJsonDepth = DEFAULT_MAX_JSON_DEPTH): unknown {
  if (text.trim() === '') return undefined
  assertJsonDepth(text, maxJsonDepth)
  try {
    return JSON.parse(text)
  } catch (cause) {
    throw new HttpError('HTTP_BAD_JSON', `The request body is not valid JSON: ${(cause as Error).message}`, {
      cause,
    })
  }
}

/** Reads and parses a JSON body ({@link readText} + {@link parseJson}); `undefined` when empty. */
export async function readJson(request: Request, limits: BodyLimits): Promise<unknown> {
  return parseJson(await readText(request, limits), limits.maxJsonDepth)
}

/** Reads an `application/x-www-form-urlencoded` body with the limit. */
export async function readForm(request: Request, limits: BodyLimits): Promise<URLSearchParams> {
  return new URLSearchParams(await readText(request, limits))
}

/**
 * Validates `value` with `schema`; a failure is 400 `HTTP_INVALID_BODY` naming the first bad
 * field (`Invalid body: rate_limit.requests Too small: expected number to be >0`).
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const field = issue?.path.map(String).join('.') || '(root)'
  throw new HttpError(
    'HTTP_INVALID_BODY',
    `Invalid body: ${field} ${issue?.message ?? 'is invalid'}`.trim(),
    {
      details: result.error.issues
        .slice(0, 10)
        .map((i) => ({ path: i.path.map(String), message: i.message })),
    },
  )
}

/** Reads a JSON body (an empty one is `{}`) and validates it with `schema`. */
export async function readValidated<S extends z.ZodType>(
  request: Request,
  schema: S,
  limits: BodyLimits,
): Promise<z.output<S>> {
  return validate(schema, (await readJson(request, limits)) ?? {})
}
