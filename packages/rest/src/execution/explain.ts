import type { RestContext, RestResult } from '../context'

/**
 * `Accept: application/vnd.pgrst.plan[+json|+text]` (with `planEnabled`): the `EXPLAIN` of the
 * request's statement — a read, a write or a call — with the options asked for
 * (`analyze|verbose|settings|buffers|wal`), instead of its result.
 *
 * @see https://docs.postgrest.org/en/v14/references/observability.html#execution-plan
 */
export async function explainStatement(
  ctx: Pick<RestContext, 'media' | 'tx'>,
  statement: { text: string; values: unknown[] },
): Promise<RestResult> {
  const plan = ctx.media.plan
  const options = [
    `FORMAT ${plan?.format === 'json' ? 'JSON' : 'TEXT'}`,
    ...(plan?.options ?? []).map((o) => o.toUpperCase()),
  ]
  const { rows } = await ctx.tx.query<{ 'QUERY PLAN': unknown }>(
    `EXPLAIN (${options.join(', ')}) ${statement.text}`,
    statement.values,
  )
  const body =
    plan?.format === 'json'
      ? JSON.stringify(rows[0]?.['QUERY PLAN'])
      : rows.map((r) => String(r['QUERY PLAN'])).join('\n')
  return { status: 200, headers: { 'Content-Type': ctx.media.contentType }, body }
}
