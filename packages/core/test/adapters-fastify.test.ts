/**
 * The Fastify 5 plugin registered in a real Fastify app listening on a random port: the shared
 * adapter contract, raw bodies (no Fastify parsing) and encapsulation of the parser change.
 */
import { ConfigError } from '@groundwork/core'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { fastifyGroundwork } from '../src/fastify'
import { adapterContract, createProbe, type Probe } from './adapters-harness'

let probe: Probe
let app: FastifyInstance
let origin: string

beforeAll(async () => {
  app = Fastify()
  await app.register(fastifyGroundwork, {
    prefix: '/rest/v1',
    handler: (request) => probe.handler(request),
    onError: (error) => probe.onError(error),
  })
  await app.register(
    async (scope) => {
      await scope.register(fastifyGroundwork, {
        prefix: '/inner',
        handler: (request) => probe.handler(request),
      })
    },
    { prefix: '/outer' },
  )
  // A sibling route keeps Fastify's own JSON parser (the plugin's change is encapsulated).
  app.post('/native', async (request) => ({ parsed: request.body }))
  origin = await app.listen({ port: 0, host: '127.0.0.1' })
})

afterAll(async () => {
  await app.close()
})

beforeEach(() => {
  probe = createProbe()
})

describe('Fastify 5: app.register(fastifyGroundwork, { prefix, handler })', () => {
  adapterContract(
    () => ({ base: `${origin}/rest/v1`, mount: '/rest/v1' }),
    () => probe,
  )

  it('passes a JSON body through unparsed, byte for byte', async () => {
    const raw = '{ "title" : "milk",\n "n": 1.50 }'
    const response = await fetch(`${origin}/rest/v1/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: raw,
    })
    expect(await response.json()).toMatchObject({ body: raw, contentType: 'application/json' })
  })

  it('accepts content types Fastify has no parser for, and invalid JSON (the handler decides)', async () => {
    for (const [type, body] of [
      ['application/xml', '<x/>'],
      ['application/json', '{not json'],
      ['text/csv', 'a,b\n1,2'],
    ]) {
      const response = await fetch(`${origin}/rest/v1/echo`, {
        method: 'PUT',
        headers: { 'content-type': type as string },
        body: body as string,
      })
      expect(response.status).toBe(200)
      expect(await response.json()).toMatchObject({ method: 'PUT', body })
    }
  })

  it('accepts a body without a content type', async () => {
    const response = await fetch(`${origin}/rest/v1/echo`, {
      method: 'POST',
      body: new Uint8Array([111, 107]),
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ contentType: null, body: 'ok' })
  })

  it('answers the prefix itself as "/"', async () => {
    const response = await fetch(`${origin}/rest/v1?select=id`)
    expect(await response.json()).toEqual({ code: 'NOT_FOUND', path: '/' })
  })

  it('strips nested prefixes', async () => {
    const response = await fetch(`${origin}/outer/inner/echo?a=1`)
    expect(await response.json()).toMatchObject({ path: '/echo?a=1' })
    const prefix = await (await fetch(`${origin}/outer/inner/prefix`)).json()
    expect(prefix).toEqual({ prefix: '/outer/inner' })
  })

  it('keeps Fastify’s own JSON parsing outside the plugin', async () => {
    const response = await fetch(`${origin}/native`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    })
    expect(await response.json()).toEqual({ parsed: { a: 1 } })
  })
})

describe('fastifyGroundwork options', () => {
  it('fails registration with a ConfigError naming a missing handler', async () => {
    const broken = Fastify()
    // @ts-expect-error: handler is required
    broken.register(fastifyGroundwork, { prefix: '/x' })
    const error = await broken.ready().then(
      () => undefined,
      (reason: unknown) => reason,
    )
    expect(error).toBeInstanceOf(ConfigError)
    expect(String((error as Error).message)).toContain('fastifyGroundwork.handler')
    await broken.close()
  })
})
