/**
 * Body parsers (`express.json()`, `express.urlencoded()`, `express.text()`, `express.raw()`, any
 * body-parser-based middleware) read the request stream before the adapter runs and leave the
 * result in `req.body`. A Groundwork handler reads a Fetch body, so the parsed value is serialised
 * back, matching the request's own `Content-Type`. (The Fastify plugin turns Fastify's parsers
 * off instead, so it never needs this.)
 */

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i
const FORM_TYPE = /^application\/x-www-form-urlencoded\b/i

/** A parsed body turned back into bytes, and the media type they are in when it differs. */
export interface SerializedBody {
  bytes: Uint8Array<ArrayBuffer> | string
  /** Set when the bytes no longer match the request's `Content-Type` (an unknown parser's object). */
  contentType?: string
}

/** The bytes to send as the Fetch body for a value a parser left in `req.body`. */
export function serializeParsedBody(body: unknown, contentType: string | null): SerializedBody {
  if (body === undefined || body === null) return { bytes: '' }
  // express.raw(): the bytes as received (a Buffer may view a shared pool: copy into its own buffer).
  if (body instanceof Uint8Array) return { bytes: new Uint8Array(body) }
  const type = contentType ?? ''
  // Before the string case: a non-strict JSON parser turns `"abc"` into the string `abc`.
  if (JSON_TYPE.test(type)) return { bytes: JSON.stringify(body) }
  if (typeof body === 'string') return { bytes: body }
  if (FORM_TYPE.test(type)) return { bytes: encodeForm(body).toString() }
  // Some other parser (multipart, XML…) left an object: the original bytes are gone, so the
  // handler gets it as JSON, labelled as such rather than under the original media type.
  return { bytes: JSON.stringify(body), contentType: 'application/json' }
}

/**
 * `application/x-www-form-urlencoded` for a parsed form: flat fields as-is, arrays as repeated
 * keys, nested objects (the `qs` "extended" syntax) in bracket notation (`a[b]=1`).
 *
 * @see https://url.spec.whatwg.org/#concept-urlencoded-serializer
 */
export function encodeForm(value: unknown, params = new URLSearchParams(), prefix = ''): URLSearchParams {
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item !== null && typeof item === 'object') encodeForm(item, params, `${prefix}[]`)
      else params.append(prefix, String(item ?? ''))
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const name = prefix === '' ? key : `${prefix}[${key}]`
      if (item !== null && typeof item === 'object') encodeForm(item, params, name)
      else params.append(name, String(item ?? ''))
    }
  } else if (prefix !== '') {
    params.append(prefix, String(value ?? ''))
  }
  return params
}

/**
 * The same request with a body rebuilt from `body`; the length headers describe the new bytes
 * (a parser may have inflated a gzip body, and a re-serialised form has its own length).
 */
export function withParsedBody(request: Request, body: unknown, method = request.method): Request {
  const headers = new Headers(request.headers)
  const { bytes, contentType } = serializeParsedBody(body, headers.get('content-type'))
  if (contentType !== undefined) headers.set('content-type', contentType)
  headers.delete('content-encoding')
  headers.delete('transfer-encoding')
  headers.set(
    'content-length',
    String(typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength),
  )
  return new Request(request.url, {
    method,
    headers,
    body: bytes,
    signal: request.signal,
  })
}
