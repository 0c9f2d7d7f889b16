/** Options of {@link requestHandler}: a `RequestInit` with a JSON shortcut. */
export interface HandlerRequestInit extends Omit<RequestInit, 'body' | 'headers'> {
  headers?: Record<string, string>
  /** Sent as JSON (with `Content-Type: application/json`). */
  json?: unknown
  body?: BodyInit | null
}

/**
 * Calls a Web-standard handler with no server, as hono's `app.request()` does:
 * `await requestHandler(auth.handler, '/settings')`.
 */
export function requestHandler(
  handler: (request: Request) => Promise<Response>,
  path: string,
  init: HandlerRequestInit = {},
): Promise<Response> {
  const { json, headers = {}, ...rest } = init
  const request = new Request(new URL(path, 'http://localhost'), {
    ...rest,
    headers: json === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  })
  return handler(request)
}
