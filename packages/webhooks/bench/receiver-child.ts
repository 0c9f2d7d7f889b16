// The bench's webhook receiver, in its own process so it does not share the event loop being
// measured: answers 204 to every POST and reports when the expected count has arrived.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

let expected = 0
let count = 0
let firstAt = 0
const server = createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    res.writeHead(204).end()
    if (count === 0) firstAt = performance.timeOrigin + performance.now()
    count++
    if (count === expected) {
      process.send?.({ type: 'done', firstAt, lastAt: performance.timeOrigin + performance.now() })
    }
  })
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` })
})
process.on('message', (message: { type: string; count?: number }) => {
  if (message.type === 'expect') {
    expected = message.count ?? 0
    count = 0
  } else if (message.type === 'stop') {
    server.closeAllConnections()
    server.close(() => process.exit(0))
  }
})
