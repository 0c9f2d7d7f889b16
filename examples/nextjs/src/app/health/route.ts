import { groundwork } from '../../lib/groundwork'

export const dynamic = 'force-dynamic'

/** `GET /health`: 200 when the database answers, 503 otherwise — the app's own route, beside Groundwork's. */
export async function GET(): Promise<Response> {
  try {
    const { db } = await groundwork()
    await db.query('select 1')
    return Response.json({ status: 'ok' })
  } catch {
    return Response.json({ status: 'unavailable' }, { status: 503 })
  }
}
