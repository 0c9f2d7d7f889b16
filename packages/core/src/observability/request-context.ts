import { AsyncLocalStorage } from 'node:async_hooks'
import { randomUUID } from 'node:crypto'

/** What is known about the request being handled, for log lines and spans. */
export interface RequestScope {
  /** The request id: the incoming `X-Request-Id` when it is sane, else a new UUID. */
  readonly requestId: string
  /** The package handling it (`rest`, `auth`, …). */
  readonly service: string
}

const storage = new AsyncLocalStorage<RequestScope>()

/** The request being handled on this async path, if any (set by `observe`). */
export function currentRequest(): RequestScope | undefined {
  return storage.getStore()
}

/** Runs `fn` with `scope` as the current request. */
export function runInRequest<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn)
}

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** The incoming `X-Request-Id` when it is a plain token of at most 128 characters, else a new UUID. */
export function requestIdOf(request: Request): string {
  const incoming = request.headers.get('x-request-id')
  return incoming !== null && SANE_ID.test(incoming) ? incoming : randomUUID()
}
