/** The part of autocannon's API the benchmark uses (the package ships no type declarations). */
declare module 'autocannon' {
  export interface Options {
    url: string
    method?: string
    headers?: Record<string, string>
    body?: string
    connections?: number
    duration?: number
    /** Requests cycled through by each connection. */
    requests?: Array<{ method?: string; path: string }>
  }
  export interface Histogram {
    average: number
    p50: number
    p99: number
  }
  export interface Result {
    requests: Histogram
    latency: Histogram
    errors: number
    non2xx: number
  }
  export default function autocannon(options: Options): Promise<Result>
}
