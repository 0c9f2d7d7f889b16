/**
 * The query-string AST: what `parse*` produce and the SQL compilers consume. Nothing here knows
 * SQL or the schema; names are exactly as the client wrote them (resolved later against the
 * schema cache).
 *
 * @see https://docs.postgrest.org/en/v14/references/api/tables_views.html
 */

/** One `->`/`->>` step of a JSON path. A key that is an integer indexes an array. */
export interface JsonPathStep {
  arrow: '->' | '->>'
  key: string
}

/** A column, optionally followed by a JSON path: `data->a->>b`. */
export interface Field {
  name: string
  jsonPath: JsonPathStep[]
}

/** Operators taking one value (`col=op.value`), optionally quantified `op(any)`/`op(all)`. */
export type SimpleOperator =
  | 'eq'
  | 'neq'
  | 'gt'
  | 'gte'
  | 'lt'
  | 'lte'
  | 'like'
  | 'ilike'
  | 'match'
  | 'imatch'
  | 'isdistinct'
  | 'cs'
  | 'cd'
  | 'ov'
  | 'sl'
  | 'sr'
  | 'nxr'
  | 'nxl'
  | 'adj'

/** PostgREST's comparison operators (`col=op.value`). */
export const SIMPLE_OPERATORS: ReadonlySet<string> = new Set<SimpleOperator>([
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'like',
  'ilike',
  'match',
  'imatch',
  'isdistinct',
  'cs',
  'cd',
  'ov',
  'sl',
  'sr',
  'nxr',
  'nxl',
  'adj',
])
/** PostgREST's full-text operators. */
export const FTS_OPERATORS: ReadonlySet<string> = new Set<FtsOperator>(['fts', 'plfts', 'phfts', 'wfts'])
/** Operators accepting `(any)`/`(all)`. */
export const QUANTIFIABLE_OPERATORS: ReadonlySet<SimpleOperator> = new Set([
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'like',
  'ilike',
  'match',
  'imatch',
])

/** Full-text search operators. */
export type FtsOperator = 'fts' | 'plfts' | 'phfts' | 'wfts'

/** The right-hand side of a filter. */
export type Operation =
  | { kind: 'simple'; op: SimpleOperator; value: string }
  /** `op(any).{a,b}` / `op(all).{a,b}`: `value` is the Postgres array literal, sent as one parameter. */
  | { kind: 'quantified'; op: SimpleOperator; quantifier: 'any' | 'all'; value: string }
  | { kind: 'in'; values: string[] }
  | { kind: 'is'; value: 'null' | 'not_null' | 'true' | 'false' | 'unknown' }
  | { kind: 'fts'; op: FtsOperator; config: string | null; value: string }
  /** An operator contributed by a rest extension; `argument` is what its `parse` returned. */
  | { kind: 'extension'; op: string; modifier: string | null; value: string; argument: unknown }

/** `field=[not.]operation`. */
export interface Filter {
  field: Field
  negated: boolean
  operation: Operation
}

/** A node of an `or=(…)`/`and=(…)` tree. */
export type LogicNode = LogicTree | { kind: 'filter'; filter: Filter }

/** `[not.]or(…)` / `[not.]and(…)`. */
export interface LogicTree {
  kind: 'logic'
  op: 'and' | 'or'
  negated: boolean
  children: LogicNode[]
}

/** Aggregate functions PostgREST supports in `select`. */
export type AggregateFunction = 'count' | 'sum' | 'avg' | 'min' | 'max'

/** One item of `select=`. */
export type SelectItem =
  | { kind: 'star' }
  | {
      kind: 'field'
      field: Field
      alias: string | null
      cast: string | null
      aggregate: { fn: AggregateFunction; cast: string | null } | null
    }
  /** `count()` with no column (`legacy`: a bare `count` inside an embed, `rel(count)`). */
  | { kind: 'count'; alias: string | null; cast: string | null; legacy?: boolean }
  | {
      kind: 'embed'
      /** The relation (table/view) or FK/column name used to find the relationship. */
      name: string
      alias: string | null
      /** `!hint`: a FK constraint name, a column, or a junction table. */
      hint: string | null
      /** `!inner` / `!left`. */
      joinType: 'inner' | 'left' | null
      /** `...rel(…)`: the embedded columns are merged into the parent row. */
      spread: boolean
      select: SelectItem[]
    }

/** One term of `order=`. */
export interface OrderTerm {
  /** For `order=rel(col)`: the to-one embed whose column orders the parent. */
  relation: string | null
  field: Field
  direction: 'asc' | 'desc' | null
  nulls: 'first' | 'last' | null
  /** `col.name(argument)`: an order term contributed by a rest extension (e.g. `nearest`). */
  extension?: { name: string; argument: unknown }
}

/** A path of embed names (aliases or relation names) from the root; `[]` is the root. */
export type EmbedPath = readonly string[]

/** The whole parsed query string of a request. */
export interface ParsedQuery {
  select: SelectItem[]
  /** `true` when the client sent no `select=` (PostgREST then returns `*`, and writes default to no body). */
  selectDefault: boolean
  filters: Array<{ path: EmbedPath; filter: Filter }>
  logic: Array<{ path: EmbedPath; tree: LogicTree }>
  order: Array<{ path: EmbedPath; terms: OrderTerm[] }>
  limits: Array<{ path: EmbedPath; limit: number | null; offset: number | null }>
  /** `on_conflict=a,b` (writes). */
  onConflict: string[] | null
  /** `columns=a,b` (writes and RPC). */
  columns: string[] | null
  /** Parameters that were not reserved words nor filters (RPC GET arguments). */
  rest: Array<[string, string]>
}
