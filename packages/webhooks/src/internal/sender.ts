import http from 'node:http'
import https from 'node:https'
import { guardedLookup, type OutboundPolicy, outboundHostAllowed } from '@groundwork/core/kit'

/** What one POST to a receiver came to. */
export interface SendResult {
  /** The HTTP status, or null when no response arrived (network error, timeout, refused target). */
  status: number | null
  /** The first bytes of the response body (for the delivery log). */
  body: string | null
  /** `Retry-After` as sent. */
  retryAfter: string | null
  /** Why no response arrived. */
  error: string | null
}

/** Bytes of a response body kept for the delivery log. */
const KEPT_BODY_BYTES = 1024

/**
 * Posts webhook messages over keep-alive connections (one agent per protocol), resolving host
 * names through the SSRF guard, so the address checked is the address connected to. Redirects are
 * not followed (a 3xx is a failed attempt, as the spec asks).
 */
export class Sender {
  readonly #http: http.Agent
  readonly #https: https.Agent
  readonly #policy: OutboundPolicy
  readonly #timeoutMs: number

  constructor(policy: OutboundPolicy, timeoutMs: number, maxSockets: number) {
    const lookup = guardedLookup(policy)
    this.#http = new http.Agent({ keepAlive: true, maxSockets, lookup } as http.AgentOptions)
    this.#https = new https.Agent({ keepAlive: true, maxSockets, lookup } as https.AgentOptions)
    this.#policy = policy
    this.#timeoutMs = timeoutMs
  }

  send(url: string, headers: Record<string, string>, body: string): Promise<SendResult> {
    let target: URL
    try {
      target = new URL(url)
    } catch {
      return Promise.resolve({ status: null, body: null, retryAfter: null, error: 'invalid URL' })
    }
    if (!outboundHostAllowed(target.hostname, this.#policy)) {
      return Promise.resolve({
        status: null,
        body: null,
        retryAfter: null,
        error: `refused: ${target.hostname} is a private, loopback or link-local address`,
      })
    }
    const secure = target.protocol === 'https:'
    const payload = Buffer.from(body)
    return new Promise((resolve) => {
      let settled = false
      const done = (result: SendResult) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resolve(result)
      }
      const request = (secure ? https : http).request(
        target,
        {
          method: 'POST',
          agent: secure ? this.#https : this.#http,
          headers: { ...headers, 'content-length': String(payload.length) },
        },
        (response) => {
          const chunks: Buffer[] = []
          let kept = 0
          response.on('data', (chunk: Buffer) => {
            if (kept < KEPT_BODY_BYTES) {
              chunks.push(chunk)
              kept += chunk.length
            }
          })
          response.on('end', () =>
            done({
              status: response.statusCode ?? null,
              body: Buffer.concat(chunks).subarray(0, KEPT_BODY_BYTES).toString('utf8'),
              retryAfter: headerValue(response.headers['retry-after']),
              error: null,
            }),
          )
          response.on('error', (error) =>
            done({ status: response.statusCode ?? null, body: null, retryAfter: null, error: error.message }),
          )
        },
      )
      const timer = setTimeout(() => {
        request.destroy(new Error(`timed out after ${this.#timeoutMs} ms`))
      }, this.#timeoutMs)
      request.on('error', (error) =>
        done({ status: null, body: null, retryAfter: null, error: error.message || String(error) }),
      )
      request.end(payload)
    })
  }

  close(): void {
    this.#http.destroy()
    this.#https.destroy()
  }
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null
  return Array.isArray(value) ? (value[0] ?? null) : value
}
