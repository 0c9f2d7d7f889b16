import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { optionsSchema } from './options'

interface Example {
  /** @default 1 */
  size?: number
  name: string
}

describe('optionsSchema', () => {
  it('accepts a schema that validates exactly the interface', () => {
    const schema = optionsSchema<Example>()(z.object({ size: z.number().default(1), name: z.string() }))
    expect(schema.parse({ name: 'x' })).toEqual({ size: 1, name: 'x' })
  })

  it('refuses, at compile time, a schema that forgets an option or refuses an allowed value', () => {
    const forgetsSize = z.object({ name: z.string() })
    const narrowsName = z.object({ size: z.number().optional(), name: z.literal('a') })
    const widensSize = z.object({ size: z.union([z.number(), z.string()]).optional(), name: z.string() })
    // @ts-expect-error `size` is declared by the interface but not validated (zod would strip it).
    optionsSchema<Example>()(forgetsSize)
    // @ts-expect-error the interface allows any string for `name`; the schema only 'a'.
    optionsSchema<Example>()(narrowsName)
    // @ts-expect-error the schema accepts a string `size` the interface does not allow.
    optionsSchema<Example>()(widensSize)
    expect(true).toBe(true)
  })
})
