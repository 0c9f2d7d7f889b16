import { describe, expect, it } from 'vitest'
import { redactLogMeta, toWorkerLogger } from './worker-logger'

const SECRET = 'tok_do-not-log-me'

function jobRow(task = 'mail:send') {
  return {
    id: '42',
    task_identifier: task,
    payload: { to: ['ada@example.com'], html: `<a href="https://x.test/verify?token=${SECRET}">` },
    attempts: 1,
    max_attempts: 10,
    run_at: new Date(0),
  }
}

describe('redactLogMeta', () => {
  it('drops the payload of job rows and every payload-named key, without touching the originals', () => {
    const job = jobRow()
    const meta = {
      job,
      jobs: [jobRow(), jobRow()],
      cancelledJobs: [jobRow()],
      specs: [{ job: jobRow(), message: 'boom', replacementPayload: [SECRET] }],
      payload: { ctx: {}, job: jobRow() },
      duration: 12.5,
      success: true,
    }
    const safe = redactLogMeta(meta)
    expect(JSON.stringify(safe)).not.toContain(SECRET)
    expect(safe).toMatchObject({
      job: { id: '42', task_identifier: 'mail:send', attempts: 1 },
      duration: 12.5,
      success: true,
      specs: [{ job: { id: '42' }, message: 'boom' }],
    })
    expect(safe).not.toHaveProperty('payload')
    expect(job.payload.html).toContain(SECRET)
  })

  it('copies an object met twice side by side, and cuts only real cycles', () => {
    const job = jobRow()
    const safe = redactLogMeta({ job, jobs: [job] })
    expect(safe.jobs).toEqual([safe.job])
    expect(JSON.stringify(safe)).not.toContain(SECRET)
  })

  it('keeps the payload of tasks that opted in, and only theirs', () => {
    const safe = redactLogMeta({ job: jobRow('test:logged'), jobs: [jobRow()] }, new Set(['test:logged']))
    expect(JSON.stringify(safe.job)).toContain(SECRET)
    expect(JSON.stringify(safe.jobs)).not.toContain(SECRET)
  })

  it('reduces workers, pools, options and class instances, and survives cycles', () => {
    const pool: Record<string, unknown> = { id: 'pool-1', _workers: [] }
    const worker = { workerId: 'worker-1', workerPool: pool, getActiveJob: () => jobRow() }
    ;(pool._workers as unknown[]).push(worker)
    const cyclic: Record<string, unknown> = { name: 'loop' }
    cyclic.self = cyclic
    const error = new Error('failed')
    const safe = redactLogMeta({
      worker,
      workerPool: pool,
      options: { connectionString: `postgres://u:${SECRET}@db/app` },
      client: new (class PgClient {
        password = SECRET
      })(),
      cyclic,
      error,
    })
    expect(safe).toEqual({
      worker: { workerId: 'worker-1' },
      workerPool: { id: 'pool-1' },
      client: '[PgClient]',
      cyclic: { name: 'loop', self: '[Circular]' },
      error,
    })
  })
})

describe('toWorkerLogger', () => {
  it('forwards levels, scope label and redacted metadata', () => {
    const lines: [string, string, unknown[]][] = []
    const at =
      (level: string) =>
      (message: string, ...args: unknown[]) =>
        lines.push([level, message, args])
    const logger = toWorkerLogger({
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
    })
    const scoped = logger.scope({ label: 'worker' })
    scoped.info('Completed task 42 (mail:send, 3.00ms) with success', {
      job: jobRow(),
      duration: 3,
      success: true,
    })
    scoped.error('Failed task 42', { failure: true, job: jobRow(), error: new Error('no') })
    scoped.warn('plain', {})
    scoped.debug('Found task 42 (mail:send)')
    expect(lines.map(([level, message]) => [level, message])).toEqual([
      ['info', 'graphile-worker[worker]: Completed task 42 (mail:send, 3.00ms) with success'],
      ['error', 'graphile-worker[worker]: Failed task 42'],
      ['warn', 'graphile-worker[worker]: plain'],
      ['debug', 'graphile-worker[worker]: Found task 42 (mail:send)'],
    ])
    expect(lines[0]?.[2]).toEqual([
      { job: expect.objectContaining({ id: '42' }), duration: 3, success: true },
    ])
    expect(lines[2]?.[2]).toEqual([])
    expect(JSON.stringify(lines)).not.toContain(SECRET)
  })
})
