/**
 * Frameworks' body parsers (`express.json()`, `express.urlencoded()`, `express.text()`,
 * `express.raw()`, Fastify's built-in JSON and text parsers) read the request stream before the
 * adapter runs and leave the result in `req.body`. A Groundwork handler reads a Fetch body, so the
 * parsed value is serialised back, matching the request's own `Content-Type`.
 */

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i
const FORM_TYPE = /^application\/x-www-form-urlencoded\b/i

/** The bytes to send as the Fetch body for a value a parser left in `req.body`. */
export function serializeParsedBody(
  body: unknown,
  contentType: string | null,
): Uint8Array<ArrayBuffer> | string {
  if (body === undefined || body === null) return ''
  // express.raw(): the bytes as received (a Buffer may view a shared pool: copy into its own buffer).
  if (body instanceof Uint8Array) return new Uint8Array(body)
  const type = contentType ?? ''
  // Before the string case: a non-strict JSON parser turns `"abc"` into the string `abc`.
  if (JSON_TYPE.test(type)) return JSON.stringify(body)
  if (typeof body === 'string') return body
  if (FORM_TYPE.test(type)) return encodeForm(body).toString()
  return JSON.stringify(body)
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
  const bytes = serializeParsedBody(body, headers.get('content-type'))
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
