import { describe, expect, it } from 'vitest'
import { createJobs } from './create-jobs'

// createJobs validates before touching the pool, so a pool-shaped object is enough here.
const db = {
  pool: { listenerCount: () => 1, on() {} },
  query: async () => ({ rows: [] }),
  withClaims: async () => {},
  transaction: async () => {},
  roles: { service: 'service_role' },
}

describe('createJobs options', () => {
  it('names the field to fix', () => {
    expect(() => createJobs({ db: db as never, concurrency: 0 })).toThrow(
      expect.objectContaining({ field: 'createJobs.concurrency' }),
    )
    expect(() => createJobs({ db: db as never, heartbeatInterval: 5000, staleAfter: 1000 })).toThrow(
      expect.objectContaining({ field: 'createJobs.staleAfter' }),
    )
    expect(() => createJobs({ db: {} as never })).toThrow(expect.objectContaining({ field: 'createJobs.db' }))
    expect(() => createJobs({ db: db as never, basePath: 'admin/' })).toThrow(
      expect.objectContaining({ field: 'createJobs.basePath' }),
    )
    expect(() => createJobs({ db: db as never, maxBodyBytes: 0 })).toThrow(
      expect.objectContaining({ field: 'createJobs.maxBodyBytes' }),
    )
  })

  it('rejects duplicate task names', () => {
    const task = { name: 'dup', schema: {}, run() {} }
    expect(() => createJobs({ db: db as never, tasks: [task, task] as never })).toThrow(
      expect.objectContaining({ field: 'createJobs.tasks' }),
    )
  })
})
