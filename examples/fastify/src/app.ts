import { fastifyGroundwork } from '@groundwork/core/fastify'
import Fastify, { type FastifyInstance } from 'fastify'
import { createServices, type ServicesOptions } from './services'

export type { ServicesOptions } from './services'

/** The example app: Fastify with Groundwork's handlers mounted, plus what a host needs to run it. */
export interface ExampleApp {
  app: FastifyInstance
  services: ReturnType<typeof createServices>
  /** Starts the services' background work (the job runner, realtime's listener). Call after migrating. */
  start(): Promise<void>
  /** Closes Fastify and every service, last started first. Does not close the database. */
  stop(): Promise<void>
}

/**
 * Groundwork inside a Fastify 5 app. Each service is registered with `fastifyGroundwork` under
 * its prefix (`/auth/v1`, `/rest/v1`, `/realtime/v1`); the app's own routes (`/health`, `/`)
 * sit beside them, with Fastify's parsers and hooks, untouched by the plugin.
 *
 * @see https://github.com/groundwork/groundwork/blob/main/docs/adapters.md#fastify-5
 */
export async function createApp(options: ServicesOptions): Promise<ExampleApp> {
  const services = createServices(options)
  const app = Fastify({ logger: false })
  const onError = (error: unknown) => app.log.error(error)
  await app.register(fastifyGroundwork, { prefix: '/auth/v1', handler: services.auth.handler, onError })
  await app.register(fastifyGroundwork, { prefix: '/rest/v1', handler: services.rest.handler, onError })
  await app.register(fastifyGroundwork, {
    prefix: '/realtime/v1',
    handler: services.realtime.handler,
    onError,
  })

  // The host's own routes: plain Fastify.
  app.get('/health', async (_request, reply) => {
    try {
      await options.db.query('select 1')
      return { status: 'ok' }
    } catch {
      return reply.code(503).send({ status: 'unavailable' })
    }
  })
  app.get('/', async () => ({
    name: 'groundwork-example-fastify',
    auth: '/auth/v1',
    rest: '/rest/v1',
    realtime: '/realtime/v1/stream',
  }))

  return {
    app,
    services,
    async start() {
      for (const service of services.services) await service.start()
    },
    async stop() {
      await app.close()
      for (const service of services.services.toReversed()) await service.close()
    },
  }
}
