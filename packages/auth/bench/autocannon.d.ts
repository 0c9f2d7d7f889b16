// The part of autocannon's API the bench uses (the package ships no types). Declared with the same
// interface names as packages/rest/bench/autocannon.d.ts so the two ambient declarations merge.
declare module 'autocannon' {
  export interface Request {
    method?: string
    path?: string
    headers?: Record<string, string>
    body?: string
    setupRequest?: (request: Request, context: Record<string, unknown>) => Request
    onResponse?: (status: number, body: string, context: Record<string, unknown>) => void
  }
  export interface Options {
    url: string
    method?: string
    headers?: Record<string, string>
    body?: string
    connections?: number
    duration?: number
    /** Seconds before a request counts as timed out. */
    timeout?: number
    requests?: Request[]
  }
  export interface Histogram {
    average: number
    p50: number
    p99: number
    /** Only on `requests`: how many completed. */
    total: number
  }
  export interface Result {
    requests: Histogram
    latency: Histogram
    errors: number
    non2xx: number
    timeouts: number
  }
  export default function autocannon(options: Options): Promise<Result>
}
