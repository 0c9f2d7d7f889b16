import { createSecretKey, type KeyObject } from 'node:crypto'
import {
  type AccessRequest,
  assertAccess,
  type Database,
  type Logger,
  type Principal,
  type Transaction,
} from '@groundwork/core'
import type { StorageBackend } from '../backends/types'
import { fromDatabaseError, type StorageErrorCode } from '../errors'
import type { ResolvedStorageOptions } from '../options'

/** What every part of the service shares. */
export interface StorageContext {
  readonly db: Database
  readonly backend: StorageBackend
  readonly options: ResolvedStorageOptions
  readonly logger: Logger
  /** `signingSecret` as a KeyObject (core's synchronous HMAC JWT verification wants one). */
  readonly signingKey: KeyObject
  /** The principal scripts act as when they name none: the service role. */
  readonly service: Principal
}

/** Who an `api` call acts as, and what cancels it. */
export interface CallOptions {
  /**
   * The caller: RLS decides as this principal (the handler passes the request's). Omitted: the
   * service role, which bypasses RLS — for trusted scripts.
   */
  as?: Principal
  /** Aborts the call (an HTTP request whose client went away). */
  signal?: AbortSignal
}

export function createContext(options: ResolvedStorageOptions, backend: StorageBackend): StorageContext {
  const role = options.db.roles.service
  return {
    db: options.db,
    backend,
    options,
    logger: options.logger ?? options.db.logger,
    signingKey: createSecretKey(Buffer.from(options.signingSecret)),
    service: { kind: 'anonymous', role, claims: { role } },
  }
}

/**
 * Runs `fn` in one transaction as `call.as` (the service role when absent): the principal's
 * scopes and allowed tables are checked first (core's `assertAccess`, with the buckets touched —
 * the hook for keys narrowed to buckets), then Postgres RLS decides every statement. Database
 * refusals become Storage errors (42501 → 403, 23505 → 409, …).
 */
export async function asCaller<T>(
  ctx: StorageContext,
  call: CallOptions,
  access: AccessRequest,
  fn: (tx: Transaction) => Promise<T>,
  options: { readOnly?: boolean; duplicate?: StorageErrorCode } = {},
): Promise<T> {
  const principal = call.as ?? ctx.service
  assertAccess(principal, access, ctx.db.roles.service)
  try {
    return await ctx.db.withClaims({ ...principal.claims, role: principal.role }, fn, {
      ...(principal.checks ? { checks: principal.checks } : {}),
      ...(call.signal ? { signal: call.signal } : {}),
      ...(options.readOnly ? { readOnly: true } : {}),
    })
  } catch (error) {
    throw fromDatabaseError(error, options.duplicate)
  }
}

/** `sub` of a principal as Supabase stores it in `owner` (a uuid) and `owner_id` (text). */
export function ownerOf(principal: Principal | undefined): { owner: string | null; ownerId: string | null } {
  const sub = principal?.claims.sub
  if (typeof sub !== 'string' || sub === '') return { owner: null, ownerId: null }
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(sub)
  return { owner: uuid ? sub : null, ownerId: sub }
}
