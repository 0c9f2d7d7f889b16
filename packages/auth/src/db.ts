import type { Database, Transaction } from '@groundwork/core'
import { AuthError } from './errors'

/** Anything that runs a parameterised query: a core `Database` or `Transaction`. */
export interface Queryable {
  query<R extends object = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>
}

/**
 * Runs `fn` in one transaction as the connecting role. An `AuthError` with `commit: true` commits
 * the writes made so far and is then thrown (GoTrue's `NewCommitWithError`: a refresh-token reuse
 * revokes the token family *and* fails).
 */
export async function transact<T>(db: Database, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  const outcome = await db.transaction(async (tx) => {
    try {
      return { ok: true as const, value: await fn(tx) }
    } catch (error) {
      if (error instanceof AuthError && error.commit) return { ok: false as const, error }
      throw error
    }
  })
  if (!outcome.ok) throw outcome.error
  return outcome.value
}
