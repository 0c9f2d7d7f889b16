export const dynamic = 'force-dynamic'

/** `GET /`: where things are. */
export function GET(): Response {
  return Response.json({
    name: 'groundwork-example-nextjs',
    auth: '/auth/v1',
    rest: '/rest/v1',
    realtime: '/realtime/v1/stream',
    health: '/health',
  })
}
