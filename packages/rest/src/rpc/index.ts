import type { Executor } from '../context'
import { pgrstError } from '../errors'

/** `/rpc/<fn>` calls (owned by the RPC path; see context.ts). */
export const executeRpc: Executor = async (ctx) => {
  throw pgrstError('PGRST127', `Calling ${ctx.rpc?.name ?? 'functions'} is not implemented yet`)
}
