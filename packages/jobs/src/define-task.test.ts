import { defineTask, type TaskPayload } from '@groundwork/core'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import type { JobRecord } from './add-job'
import type { JobsApi } from './api'
import { createJobs } from './create-jobs'

const welcome = defineTask({
  name: 'mail:welcome',
  schema: z.object({ userId: z.string(), locale: z.string().default('en') }),
  async run() {},
})
const cleanup = defineTask({
  name: 'cleanup',
  schema: z.object({ olderThanDays: z.number() }),
  async run() {},
})

describe('defineTask', () => {
  it('returns a frozen definition', () => {
    expect(welcome.name).toBe('mail:welcome')
    expect(Object.isFrozen(welcome)).toBe(true)
  })

  it('rejects bad names and attempts with a ConfigError naming the field', () => {
    expect(() => defineTask({ name: 'has space', schema: z.object({}), async run() {} })).toThrow(
      expect.objectContaining({ code: 'CORE_CONFIG_INVALID', field: 'defineTask.name' }),
    )
    expect(() => defineTask({ name: 'ok', schema: z.object({}), maxAttempts: 0, async run() {} })).toThrow(
      expect.objectContaining({ field: 'defineTask.maxAttempts' }),
    )
  })

  it('types add() by the task list (payload is the schema input: defaults optional)', () => {
    type Tasks = readonly [typeof welcome, typeof cleanup]
    expectTypeOf<TaskPayload<Tasks, 'mail:welcome'>>().toEqualTypeOf<{
      userId: string
      locale?: string | undefined
    }>()
    expectTypeOf<TaskPayload<Tasks, 'cleanup'>>().toEqualTypeOf<{ olderThanDays: number }>()
    const add = (() => Promise.resolve({} as JobRecord)) as unknown as JobsApi<Tasks>['add']
    void (() => {
      void add('mail:welcome', { userId: 'u1' })
      void add(
        { query: async () => ({ rows: [] }) },
        'cleanup',
        { olderThanDays: 3 },
        { queue: 'maintenance' },
      )
      // @ts-expect-error unknown task name
      void add('mail:goodbye', { userId: 'u1' })
      // @ts-expect-error wrong payload for the task
      void add('cleanup', { userId: 'u1' })
    })
  })

  it('infers the task list passed to createJobs (never executed: types only)', () => {
    void (() => {
      const jobs = createJobs({ db: null as never, tasks: [welcome, cleanup] })
      void jobs.api.add('cleanup', { olderThanDays: 1 })
      // @ts-expect-error not one of the tasks given to createJobs
      void jobs.api.add('mail:goodbye', {})
      // @ts-expect-error olderThanDays must be a number
      void jobs.api.add('cleanup', { olderThanDays: 'soon' })
    })
  })
})
