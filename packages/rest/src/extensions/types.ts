/**
 * # Extending REST from another package
 *
 * A {@link RestExtension} contributes, without rest knowing what it is for:
 * - **filter operators** (`col=op.value`, `col=op(arg).value`, also under `not.` and inside
 *   `or=(…)`/`and=(…)`), parsed by rest's own grammar: the extension only parses its value;
 * - **order terms** (`order=col.name(arg)`), e.g. nearest-first by distance;
 * - **response media types** (`Accept: …`), with their own SQL turning the response rows into
 *   the body (JSON, GeoJSON, binary tiles);
 * - **column types** (by the type's name): how values are rendered into JSON and read from a
 *   write body.
 *
 * Everything an extension emits is SQL text over identifiers rest has already quoted and values
 * it passes through {@link SqlParameters} (never spliced); rest's planner, quoting, RLS
 * transaction and error rendering stay in charge. A `RestError` thrown from a hook is answered
 * in PostgREST's format like rest's own.
 *
 * `@groundwork/geo` is the first user (PostGIS).
 */
import type { RestError } from '../errors'
import type { Column, Relation } from '../schema-cache/types'

/** Adds a value as a query parameter and returns its placeholder (`$3`, or `$3::int4` with a cast). */
export interface SqlParameters {
  add(value: unknown, cast?: string): string
}

/** A filter operator contributed by an extension (`col=name.value` / `col=name(modifier).value`). */
export interface RestOperatorExtension<Argument = unknown> {
  /** The operator's name: lower-case letters, digits and `_`, e.g. `st_intersects`. */
  name: string
  /**
   * Parses the value (and the text in parentheses, `null` when none) when the query string is
   * parsed, before any connection is taken; throw `parseError(...)`-style `RestError`s (400) for
   * bad input. What it returns is handed to {@link sql}.
   */
  parse(value: string, modifier: string | null): Argument
  /**
   * The condition's SQL for the column (`column` is its SQL, `info` its catalog entry — `null`
   * for a computed field or a JSON path). `not.` wraps it in `NOT (…)` by itself.
   */
  sql(input: { column: string; info: Column | null; argument: Argument; params: SqlParameters }): string
}

/** An order term contributed by an extension: `order=col.name(argument)[.asc|.desc][.nullsfirst|.nullslast]`. */
export interface RestOrderExtension<Argument = unknown> {
  /** The word after the column, e.g. `nearest`. */
  name: string
  /** Parses the text between the parentheses (throw a `RestError` for bad input). */
  parse(argument: string): Argument
  /** The ORDER BY expression for the column (direction and nulls are appended by rest). */
  sql(input: { column: string; info: Column | null; argument: Argument; params: SqlParameters }): string
}

/** The media type negotiated for a request, as an extension accepted it. */
export interface NegotiatedExtension {
  mediaType: RestMediaTypeExtension
  /** The `Accept` parameters of the chosen range (lower-cased keys). */
  params: Readonly<Record<string, string>>
  /** The `Content-Type` to answer with. */
  contentType: string
}

/** A response media type contributed by an extension. */
export interface RestMediaTypeExtension {
  /** The media type matched against `Accept` (lower case), e.g. `application/geo+json`. */
  type: string
  /**
   * Whether a request can be answered in this type, given the `Accept` parameters: return the
   * `Content-Type` to answer with, or `null` to let negotiation go on (406 when nothing fits).
   */
  accept(params: Readonly<Record<string, string>>, target: { rpc: boolean }): string | null
  /**
   * `true` when the body is bytes (the SQL yields `bytea`): the response body is then a
   * `Uint8Array` and an empty one answers 204.
   */
  binary?: boolean
  /**
   * `true` keeps the root's columns as their own types (not rendered by column types, e.g. so
   * `ST_AsGeoJSON(row)` finds the geometry column); embedded resources are rendered as usual.
   */
  rawColumns?: boolean
  /**
   * The SQL of the response: `row` is the alias of one response row (a record whose fields are
   * the selected columns) in `FROM <source> AS <row>`; return the aggregate expression building the
   * body, and optionally a replacement `source` wrapping the given one (`SELECT … FROM (source) AS x`).
   */
  body(input: {
    source: string
    row: string
    params: SqlParameters
    accept: Readonly<Record<string, string>>
    relation: Relation | null
  }): { body: string; source?: string }
}

/** How values of one column type (by `pg_type.typname`) travel in JSON. */
export interface RestColumnType {
  /** `pg_type.typname` of the column, e.g. `geography`. */
  type: string
  /** JSON output: an expression over the column's SQL (e.g. `ST_AsGeoJSON(col)::json`). */
  render?(sql: string, info: Column): string
  /**
   * Write input: the value arrives as `json` (an object, a string, a number or null) under `sql`;
   * return an expression of the column's type.
   */
  input?(sql: string, info: Column): string
  /**
   * Checks a write body's value (not `null`) before any SQL runs; throw a `RestError` (400) to
   * refuse it with a clear message instead of the database's error.
   */
  check?(value: unknown, info: Column): void
}

/** What one package contributes to rest. Pass them with `createRest({ extensions: [...] })`. */
export interface RestExtension {
  /** For error messages and docs. */
  name: string
  operators?: RestOperatorExtension[]
  orders?: RestOrderExtension[]
  mediaTypes?: RestMediaTypeExtension[]
  columnTypes?: RestColumnType[]
  /**
   * Called before each request is parsed (awaited; keep it cheap once done, e.g. a cached
   * promise): detect what the database offers (an extension's schema) before SQL is emitted.
   */
  prepare?(): Promise<void>
  /**
   * Translates an error thrown while serving a request (typically a Postgres error raised by the
   * extension's SQL, e.g. PostGIS' `XX000` for bad WKT) into the answer it deserves; `null` leaves
   * it to rest's SQLSTATE table.
   */
  mapError?(error: unknown): RestError | null
}
