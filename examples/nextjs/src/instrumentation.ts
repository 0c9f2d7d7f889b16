/**
 * Next.js calls `register()` once when a server starts: migrate and start Groundwork's services
 * (job runner, realtime listener) then, rather than on the first request.
 *
 * @see https://nextjs.org/docs/app/guides/instrumentation
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return
  const { groundwork } = await import('./lib/groundwork')
  await groundwork()
}
