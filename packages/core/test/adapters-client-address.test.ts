import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { fastifyGroundwork } from '../src/fastify'
import { clientAddress } from '../src/index'
import { toNodeHandler } from '../src/node'

const echo = async (request: Request) => Response.json({ address: clientAddress(request) ?? null })
const servers: Server[] = []

async function listen(server: Server): Promise<string> {
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function addressSeen(url: string, forwardedFor?: string): Promise<unknown> {
  const response = await fetch(url, { headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} })
  return ((await response.json()) as { address: unknown }).address
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    server.close()
  }
})

describe('clientAddress(request)', () => {
  it('is the socket address under node:http, and ignores a forged X-Forwarded-For by default', async () => {
    const url = await listen(createServer(toNodeHandler(echo)))
    expect(await addressSeen(url)).toBe('127.0.0.1')
    expect(await addressSeen(url, '203.0.113.7')).toBe('127.0.0.1')
  })

  it('takes the first X-Forwarded-For hop with trustProxy: true', async () => {
    const url = await listen(createServer(toNodeHandler(echo, { trustProxy: true })))
    expect(await addressSeen(url, '203.0.113.7, 10.0.0.1')).toBe('203.0.113.7')
    expect(await addressSeen(url)).toBe('127.0.0.1')
  })

  it("follows Express's trust proxy setting through req.ip", async () => {
    const strict = express().use('/api', toNodeHandler(echo))
    const strictUrl = await listen(createServer(strict))
    expect(await addressSeen(`${strictUrl}/api`, '203.0.113.7')).toBe('127.0.0.1')

    const trusting = express().set('trust proxy', true).use('/api', toNodeHandler(echo))
    const trustingUrl = await listen(createServer(trusting))
    expect(await addressSeen(`${trustingUrl}/api`, '203.0.113.8')).toBe('203.0.113.8')
  })

  it("follows Fastify's trustProxy setting through request.ip", async () => {
    for (const [trustProxy, expected] of [
      [false, '127.0.0.1'],
      [true, '203.0.113.9'],
    ] as const) {
      const app = Fastify({ trustProxy })
      await app.register(fastifyGroundwork, { prefix: '/api', handler: echo })
      const url = await app.listen({ port: 0, host: '127.0.0.1' })
      try {
        expect(await addressSeen(`${url}/api`, '203.0.113.9')).toBe(expected)
      } finally {
        await app.close()
      }
    }
  })

  it('is undefined for a Request no adapter built', () => {
    expect(clientAddress(new Request('http://localhost/'))).toBeUndefined()
  })
})
