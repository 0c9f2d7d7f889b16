/**
 * `toNodeHandler` mounted in a real Express 5 app listening on a random port: the shared adapter
 * contract, plus bodies that express.json()/urlencoded()/text()/raw() already consumed.
 */

import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { toNodeHandler } from '../src/node'
import { type AdapterServer, adapterContract, createProbe, type Probe } from './adapters-harness'

let probe: Probe
let server: Server
let origin: string

beforeAll(async () => {
  const app = express()
  // Middleware headers and cookies set before the adapter survive it.
  app.use('/rest/v1', (_req, res, next) => {
    res.setHeader('x-middleware', 'kept')
    next()
  })
  app.use(
    '/rest/v1',
    toNodeHandler((request) => probe.handler(request), { onError: (e) => probe.onError(e) }),
  )
  app.use('/parsed', express.json({ type: ['application/json', 'application/*+json'] }))
  app.use('/parsed', express.urlencoded({ extended: true }))
  app.use('/parsed', express.text())
  app.use('/parsed', express.raw({ type: 'application/octet-stream' }))
  app.use(
    '/parsed',
    toNodeHandler((request) => probe.handler(request)),
  )
  app.use('/cookie-first', (_req, res, next) => {
    res.cookie('session', 'from-middleware')
    next()
  })
  app.use(
    '/cookie-first',
    toNodeHandler((request) => probe.handler(request)),
  )
  server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

beforeEach(() => {
  probe = createProbe()
})

describe('Express 5: app.use(mount, toNodeHandler(handler))', () => {
  adapterContract(
    (): AdapterServer => ({ base: `${origin}/rest/v1`, mount: '/rest/v1' }),
    () => probe,
  )

  it('keeps headers middleware set before the handler', async () => {
    const response = await fetch(`${origin}/rest/v1/echo`)
    expect(response.headers.get('x-middleware')).toBe('kept')
    expect(await response.json()).toMatchObject({ path: '/echo' })
  })

  it('keeps a cookie middleware set next to the handler’s own', async () => {
    const response = await fetch(`${origin}/cookie-first/cookies`)
    expect(response.headers.getSetCookie()).toEqual([
      'session=from-middleware; Path=/',
      'a=1; Path=/; HttpOnly',
      'b=2; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT',
    ])
  })

  it('answers the mount point itself as "/"', async () => {
    const response = await fetch(`${origin}/rest/v1?select=id`)
    expect(await response.json()).toEqual({ code: 'NOT_FOUND', path: '/' })
  })
})

describe('Express 5: bodies a parser already consumed are re-serialised', () => {
  async function echo(body: BodyInit, contentType: string) {
    const response = await fetch(`${origin}/parsed/echo`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    })
    expect(response.status).toBe(200)
    return (await response.json()) as { body: string; contentType: string; contentLength: string }
  }

  it('express.json()', async () => {
    const result = await echo(JSON.stringify({ title: 'milk', tags: ['a', 'b'], n: 1.5 }), 'application/json')
    expect(JSON.parse(result.body)).toEqual({ title: 'milk', tags: ['a', 'b'], n: 1.5 })
    expect(result.contentType).toBe('application/json')
    expect(result.contentLength).toBe(String(Buffer.byteLength(result.body)))
  })

  it('express.json() with a +json media type and a non-ASCII body', async () => {
    const result = await echo(
      JSON.stringify([{ name: 'Zoë ✓' }]),
      'application/vnd.pgrst.object+json; charset=utf-8',
    )
    expect(JSON.parse(result.body)).toEqual([{ name: 'Zoë ✓' }])
    expect(result.contentLength).toBe(String(Buffer.byteLength(result.body)))
  })

  it('express.urlencoded({ extended: true })', async () => {
    const result = await echo(
      'grant_type=password&email=a%40b.c&scope[]=x&scope[]=y',
      'application/x-www-form-urlencoded',
    )
    const form = new URLSearchParams(result.body)
    expect(form.get('grant_type')).toBe('password')
    expect(form.get('email')).toBe('a@b.c')
    // qs reads `scope[]=x&scope[]=y` and `scope=x&scope=y` alike; arrays come back as repeated keys.
    expect(form.getAll('scope')).toEqual(['x', 'y'])
  })

  it('express.urlencoded() with nested fields (qs bracket syntax)', async () => {
    const result = await echo('user[name]=ann&user[meta][age]=3', 'application/x-www-form-urlencoded')
    const form = new URLSearchParams(result.body)
    expect(form.get('user[name]')).toBe('ann')
    expect(form.get('user[meta][age]')).toBe('3')
  })

  it('express.text()', async () => {
    const result = await echo('plain text ✓', 'text/plain')
    expect(result.body).toBe('plain text ✓')
  })

  it('express.raw()', async () => {
    const result = await echo(new Uint8Array([104, 105]), 'application/octet-stream')
    expect(result.body).toBe('hi')
  })

  it('a body no parser claimed still streams', async () => {
    const result = await echo('<x/>', 'application/xml')
    expect(result.body).toBe('<x/>')
  })
})
