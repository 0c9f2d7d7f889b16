import { z } from 'zod'
import type { OnError } from '../../errors'

/** A mount prefix: empty, or `/segment[/segment…]` without a trailing slash once normalised. */
const basePath = z
  .string()
  .refine((value) => value === '' || value.startsWith('/'), 'must be empty or start with "/"')
  .transform(normalizeBasePath)

const onError = z.custom<OnError>((value) => typeof value === 'function', 'must be a function')

/** Options every adapter accepts. */
export const adapterOptionsSchema = z.object({
  basePath: basePath.optional().default(''),
  onError: onError.optional(),
})

/** How the Node adapters build the Request URL (node-fetch-server's `RequestOptions`). */
export const nodeUrlOptionsShape = {
  host: z.string().min(1).optional(),
  protocol: z.enum(['http:', 'https:']).optional(),
  trustProxy: z.boolean().optional(),
}

/** `/auth/v1/` → `/auth/v1`, `/` → `` (the root needs no stripping). */
export function normalizeBasePath(value: string): string {
  return value.replace(/\/+$/, '')
}
