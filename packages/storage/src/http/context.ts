import type { Authenticate, Principal } from '@groundwork/core'
import { isGroundworkError } from '@groundwork/core'
import { type BodyLimits, json, readJson } from '@groundwork/core/kit'
import type { StorageApi } from '../api'
import { storageError } from '../errors'

/** What every route handler receives. */
export interface RouteInput {
  readonly request: Request
  readonly url: URL
  /** Decoded path parameters (`bucket`, `name` — the rest of the path). */
  readonly params: Record<string, string>
  /** The caller (authenticated on first use: public and signed routes never ask). */
  principal(): Promise<Principal>
}

export type RouteHandler = (input: RouteInput) => Promise<Response>

/** What the route modules share. */
export interface HttpSettings {
  api: StorageApi
  authenticate: Authenticate
  /** Limits of JSON bodies. */
  limits: BodyLimits
  /** The mount path, for absolute `Location`s (tus): the adapter's `x-forwarded-prefix`, else `basePath`. */
  basePath: string
}

/** The caller of a request; a failure that is not a Groundwork error is an invalid credential, not a 500. */
export async function authenticateRequest(authenticate: Authenticate, request: Request): Promise<Principal> {
  try {
    return await authenticate(request)
  } catch (error) {
    if (isGroundworkError(error)) throw error
    throw storageError('STORAGE_INVALID_JWT', 'Invalid JWT', { cause: error })
  }
}

/** A JSON body as an object (`{}` when empty); anything else is 400. */
export async function readBody(request: Request, limits: BodyLimits): Promise<Record<string, unknown>> {
  const body = (await readJson(request, limits)) ?? {}
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw storageError('STORAGE_INVALID_REQUEST', 'The body must be a JSON object')
  }
  return body as Record<string, unknown>
}

/** A required string field of a JSON body. */
export function stringField(
  body: Record<string, unknown>,
  name: string,
  required = true,
): string | undefined {
  const value = body[name]
  if (value === undefined || value === null) {
    if (required) throw storageError('STORAGE_MISSING_PARAMETER', `Missing Required Parameter ${name}`)
    return undefined
  }
  if (typeof value !== 'string') throw storageError('STORAGE_INVALID_PARAMETER', `Invalid Parameter ${name}`)
  return value
}

/** A JSON answer (200 unless said otherwise). */
export function ok(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return json(body, status, headers)
}

/** The declared body size (`Content-Length`), when it is a plain number. */
export function declaredLength(request: Request): number | null {
  const value = request.headers.get('content-length')
  return value !== null && /^\d{1,16}$/.test(value.trim()) ? Number(value) : null
}
