import type { GroundworkError } from '@groundwork/core'
import type { z } from 'zod'
import { mailError } from '../errors'

/** A JSON response. */
export function json(status: number, value: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  })
}

/** A `GroundworkError` as `{ code, message, details?, hint? }` with its status. */
export function errorResponse(error: GroundworkError): Response {
  const payload: Record<string, unknown> = { code: error.code, message: error.message }
  if (error.details !== undefined) payload.details = error.details
  if (error.hint !== undefined) payload.hint = error.hint
  return json(error.status, payload)
}

/** Parses a JSON body with `schema`; `MAIL_INVALID_REQUEST` names the bad field. */
export async function readBody<S extends z.ZodType>(request: Request, schema: S): Promise<z.output<S>> {
  const text = await request.text()
  let value: unknown = {}
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text)
    } catch {
      throw mailError('MAIL_INVALID_REQUEST', 'The request body is not valid JSON')
    }
  }
  const result = schema.safeParse(value)
  if (!result.success) {
    const issue = result.error.issues[0]
    throw mailError(
      'MAIL_INVALID_REQUEST',
      `Invalid body: ${issue?.path.map(String).join('.') || '(root)'} ${issue?.message ?? ''}`.trim(),
    )
  }
  return result.data
}

/** Decodes one path segment; malformed percent-encoding is a 400, not a 500. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw mailError('MAIL_INVALID_REQUEST', 'Malformed percent-encoding in the path')
  }
}

/** The request path relative to the mount point, without trailing slash (`/` at the root). */
export function relativePath(url: URL, basePath: string): string {
  let path = url.pathname
  if (basePath && (path === basePath || path.startsWith(`${basePath}/`))) path = path.slice(basePath.length)
  return `/${path.replace(/^\/+|\/+$/g, '')}`
}

/** A route of a small table-driven router. */
export interface Route {
  method: string
  pattern: RegExp
  run: (match: string[], request: Request, url: URL) => Promise<Response | unknown>
  status?: number
}

/** Dispatches `path` to `routes`: 404 when no pattern matches, 405 (with `Allow`) on a wrong method. */
export async function dispatch(routes: Route[], request: Request, url: URL, path: string): Promise<Response> {
  const matching = routes.filter((route) => route.pattern.test(path))
  if (matching.length === 0) throw mailError('MAIL_NOT_FOUND', `No route for ${path}`)
  const method = request.method === 'HEAD' ? 'GET' : request.method
  const route = matching.find((candidate) => candidate.method === method)
  if (!route) {
    const allow = [...new Set(matching.map((candidate) => candidate.method))].join(', ')
    return json(405, { code: 'MAIL_METHOD_NOT_ALLOWED', message: `Use ${allow}` }, { allow })
  }
  const match = (route.pattern.exec(path) as RegExpExecArray).slice(1).map(decodeSegment)
  const result = await route.run(match, request, url)
  if (result instanceof Response) return result
  return json(route.status ?? 200, result)
}
