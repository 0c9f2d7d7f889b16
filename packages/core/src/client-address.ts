/**
 * The network address of the client that sent a request, as the adapter that built the `Request`
 * saw it. The Fetch `Request` has no such field, so the Node and Fastify adapters record it here;
 * handlers read it with {@link clientAddress} for rate limits and audit logs.
 */
const addresses = new WeakMap<Request, string>()

/**
 * The client address recorded for `request` by `@groundwork/core/node` or `/fastify`:
 * Express's `req.ip` and Fastify's `request.ip` (so their `trust proxy` settings apply), else the
 * socket's remote address, else — only with the adapter's `trustProxy: true` — the first
 * `X-Forwarded-For` hop. `undefined` for requests no adapter built (tests, Next.js route handlers:
 * pass your platform's address to the package's `clientIp` option there).
 *
 * Never derive a rate-limit key from `X-Forwarded-For` yourself unless a proxy you control
 * overwrites it: any client can send one.
 *
 * @see https://expressjs.com/en/guide/behind-proxies.html
 */
export function clientAddress(request: Request): string | undefined {
  return addresses.get(request)
}

/** Records the client address of a request built by an adapter (internal to core's adapters). */
export function recordClientAddress(request: Request, address: string | undefined): void {
  if (address) addresses.set(request, address)
}
