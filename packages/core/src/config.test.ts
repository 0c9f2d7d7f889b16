import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { parseOptions } from './config'
import { createDatabase } from './database'
import { ConfigError } from './errors'

describe('parseOptions', () => {
  it('names the bad field, with the factory as scope', () => {
    const schema = z.object({ jwt: z.object({ secret: z.string().min(32) }) })
    try {
      parseOptions(schema, { jwt: { secret: 'short' } }, 'createAuth')
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).field).toBe('createAuth.jwt.secret')
      expect((error as ConfigError).message).toMatch(/createAuth\.jwt\.secret/)
    }
  })

  it('is used by createDatabase', () => {
    expect(() => createDatabase({})).toThrow(ConfigError)
    expect(() => createDatabase({ connectionString: 'postgres://x', max: -1 })).toThrow(/createDatabase\.max/)
  })
})
