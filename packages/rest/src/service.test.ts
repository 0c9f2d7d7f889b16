import type { GroundworkService } from '@groundwork/core'
import { describe, expectTypeOf, it } from 'vitest'
import { createRest, type Rest, type RestApi } from './index'

describe('createRest', () => {
  it('returns a GroundworkService (types only)', () => {
    expectTypeOf<Rest>().toExtend<GroundworkService<RestApi>>()
    expectTypeOf(createRest).returns.toExtend<GroundworkService>()
    expectTypeOf<Rest['name']>().toEqualTypeOf<'rest'>()
  })
})
