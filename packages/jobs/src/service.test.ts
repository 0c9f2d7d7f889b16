import type { GroundworkService } from '@groundwork/core'
import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import type { JobsApi } from './api'
import { createJobs, type Jobs } from './create-jobs'

const welcome = { name: 'mail:welcome', schema: z.object({ userId: z.string() }), async run() {} } as const

describe('createJobs', () => {
  it('returns a GroundworkService whose api is typed by the task list (types only)', () => {
    expectTypeOf<Jobs>().toExtend<GroundworkService>()
    expectTypeOf<Jobs<readonly [typeof welcome]>>().toExtend<
      GroundworkService<JobsApi<readonly [typeof welcome]>>
    >()
    expectTypeOf(createJobs<readonly [typeof welcome]>).returns.toExtend<GroundworkService>()
    expectTypeOf<Jobs['name']>().toEqualTypeOf<'jobs'>()
    // One shutdown verb, and enqueueing lives on `api` only.
    expectTypeOf<Jobs>().not.toHaveProperty('stop')
    expectTypeOf<Jobs>().not.toHaveProperty('add')
    expectTypeOf<Jobs['api']>().toHaveProperty('add')
  })
})
