/**
 * One benchmark server in a worker thread: `kind` picks the bridge, the handler logic is the
 * same small JSON work in all of them. Posts the port to the parent once listening.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parentPort, workerData } from 'node:worker_threads'
import { createRequestListener } from '@remix-run/node-fetch-server'
import { toNodeHandler } from '../dist/node.js'

const ITEM = {
  id: 42,
  title: 'Groundwork',
  done: false,
  tags: ['a', 'b'],
  owner: '7f1c0d6e-2b1a-4c5e-9f00-0a1b2c3d4e5f',
}

/** The Fetch handler (toNodeHandler and the peer bridge run this). */
async function fetchHandler(request: Request): Promise<Response> {
  if (request.method === 'POST') {
    const body = (await request.json()) as Record<string, unknown>
    return Response.json({ ...ITEM, received: Object.keys(body).length }, { status: 201 })
  }
  const url = new URL(request.url)
  if (url.pathname !== '/items') return new Response('not found', { status: 404 })
  return Response.json({ ...ITEM, q: url.searchParams.get('id') })
}

/** The same work written directly against node:http (the baseline). */
function baseline(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'POST') {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>
      const json = JSON.stringify({ ...ITEM, received: Object.keys(body).length })
      res.writeHead(201, { 'content-type': 'application/json' })
      res.end(json)
    })
    return
  }
  const url = new URL(req.url ?? '/', 'http://localhost')
  if (url.pathname !== '/items') {
    res.writeHead(404)
    res.end('not found')
    return
  }
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ ...ITEM, q: url.searchParams.get('id') }))
}

const kind = workerData.kind as 'baseline' | 'groundwork' | 'peer'
const listener =
  kind === 'baseline'
    ? baseline
    : kind === 'groundwork'
      ? toNodeHandler(fetchHandler)
      : createRequestListener(fetchHandler)
const server = createServer({ keepAliveTimeout: 60_000 }, listener)
let requests = 0
server.on('request', () => requests++)
server.listen(0, '127.0.0.1', () => parentPort?.postMessage((server.address() as AddressInfo).port))

// The machine may be shared, so the parent also asks for this thread's CPU time per request.
let since = { cpu: process.threadCpuUsage(), requests: 0 }
parentPort?.on('message', (message: string) => {
  if (message !== 'stats') return
  const cpu = process.threadCpuUsage(since.cpu)
  parentPort?.postMessage({ cpuMicros: cpu.user + cpu.system, requests: requests - since.requests })
  since = { cpu: process.threadCpuUsage(), requests }
})
