import type { Database } from '@groundwork/core'
import type { Request, Response } from 'express'

/** `GET /health`: 200 with the database round-trip time, 503 when Postgres does not answer. */
export function healthRoute(db: Database) {
  return async (_req: Request, res: Response) => {
    const started = performance.now()
    try {
      const { rows } = await db.query<{ version: string }>(
        "select current_setting('server_version') as version",
      )
      res.json({
        status: 'ok',
        database: {
          status: 'up',
          latencyMs: Math.round((performance.now() - started) * 10) / 10,
          version: rows[0]?.version,
        },
      })
    } catch {
      res.status(503).json({ status: 'degraded', database: { status: 'down' } })
    }
  }
}
