import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { parseOptions } from './config'
import type { OnError } from './errors'
import { adapterOptionsSchema, nodeUrlOptionsShape } from './internal/adapters/options'
import { type ServeNodeOptions, serveNode } from './internal/adapters/serve-node'
import type { FetchHandler } from './internal/adapters/types'

export type { FetchHandler } from './internal/adapters/types'

/** Options of the {@link fastifyGroundwork} plugin (next to Fastify's own `prefix`). */
export interface FastifyGroundworkOptions {
  /** The Groundwork handler to mount, e.g. `rest.handler`. */
  handler: FetchHandler
  /**
   * Called with every error the handler threw that is not a `GroundworkError` (the client gets a
   * generic 500), and with errors of a response body that failed mid-stream.
   * @default undefined
   */
  onError?: OnError
  /**
   * Host for the Request URL, overriding the `Host` header.
   * @default the `Host` header
   */
  host?: string
  /**
   * Protocol for the Request URL (`https:` behind a TLS-terminating proxy).
   * @default from the connection
   */
  protocol?: 'http:' | 'https:'
  /**
   * Trust `Forwarded` / `X-Forwarded-Host` / `X-Forwarded-Proto` for the URL. Only behind a
   * proxy that overwrites them.
   * @default false
   */
  trustProxy?: boolean
}

const fastifyOptionsSchema = adapterOptionsSchema
  .omit({ basePath: true }) // Fastify's own `prefix` is the base path
  .extend({
    handler: z.custom<FetchHandler>((value) => typeof value === 'function', 'must be a function'),
    ...nodeUrlOptionsShape,
  })

/**
 * A Fastify 5 plugin that answers every method and path under its `prefix` with a Groundwork
 * handler.
 *
 * - The handler sees URLs relative to the prefix: registered with `{ prefix: '/rest/v1' }`, a
 *   request for `/rest/v1/todos?id=eq.1` reaches it as `http://host/todos?id=eq.1`; the prefix
 *   is passed in the `x-forwarded-prefix` header.
 * - Fastify parses no body inside the plugin (its content-type parsers are replaced, in the
 *   plugin's own encapsulated context only, by a pass-through): the handler reads the raw
 *   stream, so Fastify's `bodyLimit` does not apply to these routes: each Groundwork handler
 *   enforces its own `maxBodyBytes` while streaming (413 in its wire format).
 * - The reply is hijacked (`reply.hijack()`) and written by the same Node writer as
 *   `@groundwork/core/node`: streamed chunk by chunk (Server-Sent Events), every `Set-Cookie`
 *   kept, client aborts reaching `request.signal`, errors mapped as there.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { fastifyGroundwork } from '@groundwork/core/fastify'
 *
 * const app = Fastify()
 * await app.register(fastifyGroundwork, { prefix: '/rest/v1', handler: rest.handler })
 * await app.register(fastifyGroundwork, { prefix: '/auth/v1', handler: auth.handler })
 * await app.listen({ port: 3000 })
 * ```
 * @see https://fastify.dev/docs/latest/Reference/Plugins/ for `prefix` and encapsulation
 * @see https://fastify.dev/docs/latest/Reference/Reply/#hijack
 */
export const fastifyGroundwork: FastifyPluginCallback<FastifyGroundworkOptions> = (
  instance: FastifyInstance,
  options: FastifyGroundworkOptions,
  done: (error?: Error) => void,
) => {
  let parsed: z.output<typeof fastifyOptionsSchema>
  try {
    parsed = parseOptions(fastifyOptionsSchema, options, 'fastifyGroundwork')
  } catch (error) {
    // A callback plugin reports failures through `done` (a throw would leave registration hanging).
    done(error as Error)
    return
  }
  const { handler, ...rest } = parsed
  const serveOptions: ServeNodeOptions = { ...rest, basePath: instance.prefix }
  // Leave the body stream untouched for the handler: no JSON/text parsing, any content type.
  instance.removeAllContentTypeParsers()
  instance.addContentTypeParser('*', (_request, _payload, parsed) => parsed(null))
  const route = (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack()
    void serveNode(handler, request.raw, reply.raw, { ...serveOptions, clientAddress: request.ip })
  }
  instance.all('/', route)
  instance.all('/*', route)
  done()
}

export default fastifyGroundwork
