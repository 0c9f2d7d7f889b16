/**
 * The one input-fuzz driver every package's fuzz test uses: a seedable PRNG, cases drawn up front
 * (so a seed reproduces the same requests whatever the timing), a few requests in flight, and a
 * failure for any 5xx or any error body that is not in the protocol's own shape. Prints the seed;
 * `FUZZ_SEED=<seed>` replays a run and `FUZZ_RUNS=<n>` changes its length.
 */

/** mulberry32: small, fast, seedable. */
export function prng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T
  const chance = (p: number) => next() < p
  return { next, int, pick, chance }
}

/** The random source handed to case generators. */
export type Rng = ReturnType<typeof prng>

/** One request of a fuzz run. */
export interface FuzzCase {
  method: string
  /** Path and query, relative to where the handler is mounted. */
  path: string
  headers?: Record<string, string>
  body?: string | undefined
}

/** A request that broke the contract. */
export interface FuzzFailure {
  why: string
  case: FuzzCase
  status: number
  body: string
}

/**
 * Checks an error body's shape; answers why it is wrong, or null. One per wire protocol:
 * {@link ERROR_SHAPES}.
 */
export type ErrorShapeCheck = (body: Record<string, unknown>) => string | null

/** The error body shapes of Groundwork's wire protocols. */
export const ERROR_SHAPES = {
  /** Groundwork's admin APIs: `{ code, message }`. */
  groundwork: (b) =>
    typeof b.code === 'string' && typeof b.message === 'string' ? null : 'error body without code/message',
  /** PostgREST: `{ code, details, hint, message }`. */
  postgrest: (b) =>
    typeof b.code === 'string' && typeof b.message === 'string' && 'details' in b && 'hint' in b
      ? null
      : 'error body is not PostgREST-shaped',
  /** GoTrue (`{ code, message }` or the legacy `{ code, error_code, msg }`) or an OAuth error. */
  gotrue: (b) => {
    if (typeof b.error === 'string') return null
    const coded = typeof b.code === 'string' || typeof b.error_code === 'string'
    const said = typeof b.msg === 'string' || typeof b.message === 'string'
    return coded && said ? null : 'error body is not GoTrue-shaped'
  },
  /** OAuth 2.0 (RFC 6749 §5.2): `{ error, error_description? }`. */
  oauth: (b) => (typeof b.error === 'string' ? null : 'error body is not an OAuth error'),
  /** Supabase Storage: `{ statusCode, error, message }`. */
  storage: (b) =>
    typeof b.statusCode === 'string' && typeof b.error === 'string' && typeof b.message === 'string'
      ? null
      : 'error body is not Storage-shaped',
} satisfies Record<string, ErrorShapeCheck>

/** Options of {@link runFuzz}. */
export interface FuzzOptions {
  /** Printed with the seed (`auth fuzz: seed …`). */
  name: string
  /** Requests per run when `FUZZ_RUNS` is unset. */
  runs: number
  /** Requests in flight. @default 4 */
  concurrency?: number
  /** Draws one case. */
  makeCase: (r: Rng) => FuzzCase
  /** Sends a case: to a handler in-process, or over HTTP. */
  send: (c: FuzzCase) => Promise<Response>
  /** The protocol's error shape. */
  errorShape: ErrorShapeCheck
  /** More checks on every answer; a string fails the case. */
  check?: (response: Response, body: string, c: FuzzCase) => string | null
}

/** What {@link runFuzz} found. */
export interface FuzzResult {
  seed: number
  failures: FuzzFailure[]
  statuses: Map<number, number>
}

/** The seed of this run: `FUZZ_SEED`, else a fresh one. */
export function fuzzSeed(): number {
  return Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31)
}

/** Runs a fuzz: never a 5xx, every error in `errorShape`. Print the result's seed when it fails. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzResult> {
  const seed = fuzzSeed()
  const runs = Number(process.env.FUZZ_RUNS ?? options.runs)
  const r = prng(seed)
  const cases = Array.from({ length: runs }, () => options.makeCase(r))
  const failures: FuzzFailure[] = []
  const statuses = new Map<number, number>()
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: options.concurrency ?? 4 }, async () => {
      while (next < cases.length) {
        const c = cases[next++] as FuzzCase
        const response = await options.send(c)
        const raw = await response.text()
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
        const why = judge(response, raw, c, options)
        if (why) failures.push({ why, case: c, status: response.status, body: raw.slice(0, 500) })
      }
    }),
  )
  const summary = [...statuses]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${status}×${n}`)
    .join(' ')
  console.log(
    `${options.name} fuzz: seed ${seed} (FUZZ_SEED=${seed} to reproduce), ${runs} requests in ${Math.round(performance.now() - started)} ms; statuses ${summary}`,
  )
  return { seed, failures, statuses }
}

function judge(response: Response, raw: string, c: FuzzCase, options: FuzzOptions): string | null {
  if (response.status >= 500) return '5xx'
  // HEAD answers carry no body, errors included.
  if (response.status >= 400 && c.method !== 'HEAD') {
    let parsed: unknown
    try {
      parsed = JSON.parse(raw)
    } catch {
      return 'error body is not JSON'
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return 'error body is not an object'
    const why = options.errorShape(parsed as Record<string, unknown>)
    if (why) return why
  }
  return options.check?.(response, raw, c) ?? null
}

/** Payloads every fuzz mixes in: what past attacks used. */
export const HOSTILE = {
  /** JSON nested `levels` deep (a stack overflow for recursive walkers). */
  deepJson: (levels = 100_000) => `${'['.repeat(levels)}${']'.repeat(levels)}`,
  /** Redirect targets that smuggle another host past a naive allow-list. */
  redirectUrls: [
    'http://localhost:x@[2001:db8::1]/steal',
    'http://localhost:x@intranet/',
    'http://localhost:3000@evil.test/',
    'http://localhost:3000\\@evil.test/',
    'http://localhost:3000%2F@evil.test/',
    '//evil.test/',
    'javascript:alert(1)//localhost:3000/',
    'http://xn--localhst-r2a.test/',
    'http://evil.test#@localhost:3000/',
  ],
  /** `role` claims a token must not be able to switch to. */
  roleClaims: ['postgres', 'none', 'pg_read_server_files', 'authenticator', '', 42, null, ['service_role']],
  /** Strings that break naive parsers and quoting. */
  strings: [
    '',
    '\u0000nul',
    "'; drop table x; --",
    '%zz',
    '%2F..%2F',
    '../../etc/passwd',
    '😀 ünïcødé',
    '<script>alert(1)</script>',
    '\uFFFD',
    'ｆｕｌｌ＠ｅｘａｍｐｌｅ．ｃｏｍ',
  ],
} as const
