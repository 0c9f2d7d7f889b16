/**
 * # How a request flows (read this before adding a route module)
 *
 * `http/handler.ts` (HTTP: body, CORS, rendering) and `http/pipeline.ts` (routing, negotiation)
 * do everything that is not specific to one verb, then hands a
 * {@link RestContext} to exactly one executor and turns its {@link RestResult} into a `Response`:
 *
 * 1. strip `basePath`, answer CORS preflights, route `/` (OpenAPI), `/rpc/<fn>`, `/<relation>`;
 * 2. pick the schema (`Accept-Profile` for GET/HEAD, `Content-Profile` otherwise → PGRST106);
 * 3. resolve the target in the schema cache (PGRST205 / PGRST202), answer `OPTIONS`;
 * 4. parse the query string into a {@link ParsedQuery} (PGRST100), the `Prefer` header into
 *    {@link Preferences}, negotiate the response media type from `Accept` (406 PGRST107), parse
 *    `Range`, read the body as text (before any connection is taken);
 * 5. `authenticate(request)` → Principal; then `db.withClaims(principal.claims, fn, { method, path,
 *    headers, readOnly })` — ONE transaction, role and claims set in one statement — and inside it:
 *    - GET/HEAD on a relation → `executeRead(ctx)` (read/execute-read.ts)
 *    - POST/PATCH/PUT/DELETE on a relation → `executeWrite(ctx)` (write/index.ts, REST-B)
 *    - any verb on `/rpc/<fn>` → `executeRpc(ctx)` (rpc/index.ts, REST-B)
 * 6. if the result asks for it (`Prefer: tx=rollback` allowed by `txEnd`, or `txEnd: 'rollback'`)
 *    the transaction is rolled back but the result still answered; any thrown error rolls back and
 *    is rendered by `errors.ts` as PostgREST JSON (SQLSTATE → HTTP status table).
 *
 * Executors build SQL with the shared compilers:
 * - `compiler/sql.ts`      `SqlParams` (values → `$n`), identifiers via core's `quoteIdent`
 * - `compiler/where.ts`    `compileConditions(...)` for root filters + `or`/`and` trees
 * - `compiler/select.ts`   `compileProjection(...)` select list + embed lateral joins over any source
 *                          alias (e.g. a `pgrst_source` CTE holding `INSERT … RETURNING *`)
 * - `compiler/response.ts` `compileResponse(...)` wraps a row source into the single response row:
 *                          `{ total, page_total, body, response_headers, response_status }` with the
 *                          body already JSON/CSV text built by Postgres (`json_agg`/`row_to_json`)
 *                          and `http/response.ts` `resultFromRow(...)` turns that row into a
 *                          {@link RestResult} (singular object 406 PGRST116, GUC headers/status).
 * Errors: throw `RestError` / `pgrstError('PGRSTxxx', …)` from errors.ts; Postgres errors are mapped
 * automatically.
 */
import type { Principal, Transaction } from '@groundwork/core'
import type { StatementNames } from './execution/statement-names'
import type { ExtensionRegistry } from './extensions/registry'
import type { NegotiatedExtension } from './extensions/types'
import type { ResolvedRestOptions } from './options'
import type { ParsedQuery } from './parser/ast'
import type { FunctionInfo, Relation, SchemaCache } from './schema-cache/types'

/** HTTP verbs the API serves. */
export type RestMethod = 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'

/**
 * The parsed `Prefer` header.
 *
 * @see https://docs.postgrest.org/en/v14/references/api/preferences.html
 */
export interface Preferences {
  return: 'minimal' | 'headers-only' | 'representation' | null
  count: 'exact' | 'planned' | 'estimated' | null
  resolution: 'merge-duplicates' | 'ignore-duplicates' | null
  missing: 'default' | 'null' | null
  handling: 'strict' | 'lenient' | null
  tx: 'commit' | 'rollback' | null
  /** `max-affected=n`. */
  maxAffected: number | null
  /** `timezone=Area/City` (applied with `set_config('timezone', …)`). */
  timezone: string | null
  /** Legacy `params=single-object`. */
  params: 'single-object' | null
  /** Preferences not understood (an error under `handling=strict`, PGRST122). */
  invalid: string[]
}

/**
 * The negotiated response media type.
 * - `json`: `application/json` (arrays) — also what `*\/*` and a missing `Accept` mean;
 * - `object`: `application/vnd.pgrst.object+json` (one object, else 406 PGRST116);
 * - `array`: `application/vnd.pgrst.array+json`;
 * - `csv`: `text/csv`; `text`/`xml`/`octet`: scalar RPC outputs;
 * - `plan`: `application/vnd.pgrst.plan[+json|+text]` (only with `planEnabled`);
 * - `extension`: a media type contributed by a rest extension (see `extension`).
 */
export interface MediaType {
  kind: 'json' | 'object' | 'array' | 'csv' | 'text' | 'xml' | 'octet' | 'plan' | 'extension'
  /** `;nulls=stripped` on the JSON types. */
  stripNulls: boolean
  /** For `plan`: `text` or `json` output and the options (`analyze|verbose|settings|buffers|wal`). */
  plan: { format: 'text' | 'json'; for: MediaType['kind'] | null; options: string[] } | null
  /** The `Content-Type` to answer with. */
  contentType: string
  /** For `extension`: the contributed media type and the `Accept` parameters it accepted. */
  extension?: NegotiatedExtension
}

/** A range requested with `Range: 0-9` (GET only) and/or `limit`/`offset` on the root. */
export interface RequestRange {
  offset: number
  /** Number of rows, `null` for open-ended. */
  limit: number | null
}

/** Everything an executor needs; built by the handler, one per request. */
export interface RestContext {
  method: RestMethod
  /** Mount-relative path, e.g. `/todos` or `/rpc/add`. */
  path: string
  url: URL
  headers: Headers
  /** The schema chosen by `Accept-Profile`/`Content-Profile` (or the default). */
  schema: string
  /** Whether the client chose the schema explicitly (PostgREST then echoes `Content-Profile`). */
  profileExplicit: boolean
  /** The target relation for `/<relation>` routes; `null` for RPC. */
  relation: Relation | null
  /** For `/rpc/<fn>`: the function name and its overloads (non-empty). */
  rpc: { name: string; overloads: FunctionInfo[] } | null
  query: ParsedQuery
  /** The raw query parameters, in order. */
  params: URLSearchParams
  prefer: Preferences
  media: MediaType
  /** The request `Content-Type` media type, lower-cased without parameters (`application/json` if absent). */
  contentType: string
  /** The request body as text (`''` when none); read before the transaction opened. */
  body: string
  /** Top-level range (Range header combined with `limit`/`offset`). */
  range: RequestRange
  /** The caller. */
  principal: Principal
  /** The open transaction, already running as the caller's role with claims set. */
  tx: Transaction
  cache: SchemaCache
  /** Refuses a relation the caller may not touch (allowed tables); called for every embed. */
  authorize: (relation: Relation) => void
  /** This `createRest` instance's prepared-statement names (reset when `cache` changes). */
  statements: StatementNames
  options: ResolvedRestOptions
  /** Preferences honoured, for `Preference-Applied` (executors push to it). */
  applied: string[]
  /** What extensions contribute (operators, order terms, media types, column types). */
  extensions: ExtensionRegistry
}

/** What an executor answers; the handler adds CORS, `Preference-Applied` and `Content-Profile`. */
export interface RestResult {
  status: number
  headers: Record<string, string>
  /**
   * The response body, already encoded (JSON/CSV text built by Postgres; bytes for a binary
   * media type contributed by an extension), or `null` for none.
   */
  body: string | Uint8Array | null
}

/** An executor: `executeRead`, `executeWrite`, `executeRpc`. */
export type Executor = (ctx: RestContext) => Promise<RestResult>
