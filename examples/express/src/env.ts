import { randomBytes } from 'node:crypto'
import { parseOptions } from '@groundwork/core/kit'
import { z } from 'zod'

/** The demo's environment (DESIGN §6): PORT, DATABASE_URL (embedded when absent), JWT_SECRET (generated when absent). */
export interface DemoEnv {
  port: number
  databaseUrl: string | undefined
  jwtSecret: string
  jwtSecretGenerated: boolean
  publicUrl: string | undefined
}

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z.string().min(1).optional(),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  PUBLIC_URL: z.string().url().optional(),
})

export function readEnv(env: NodeJS.ProcessEnv = process.env): DemoEnv {
  const parsed = parseOptions(envSchema, env, 'env')
  const jwtSecret = parsed.JWT_SECRET ?? randomBytes(32).toString('base64url')
  return {
    port: parsed.PORT,
    databaseUrl: parsed.DATABASE_URL,
    jwtSecret,
    jwtSecretGenerated: parsed.JWT_SECRET === undefined,
    publicUrl: parsed.PUBLIC_URL,
  }
}
