/** A column of a table or view, as introspected. */
export interface Column {
  name: string
  /** `format_type()` of the column, e.g. `integer`, `character varying(20)`, `text[]`. */
  type: string
  /** The base type name (no modifiers), e.g. `int4`, `varchar`, `_text`. */
  udtName: string
  nullable: boolean
  /** The default expression, if any. */
  default: string | null
  /** `GENERATED ALWAYS AS (…) STORED` or identity `ALWAYS`: not writable. */
  generated: boolean
  /** Part of the primary key. */
  primaryKey: boolean
  /** Labels when the type is an enum. */
  enumValues: string[] | null
  /** Maximum length of `varchar(n)`/`char(n)`. */
  maxLength: number | null
  /** Column comment. */
  description: string | null
  position: number
}

/** A table, view, materialized view, foreign or partitioned table in an exposed schema. */
export interface Relation {
  schema: string
  name: string
  kind: 'table' | 'view' | 'materialized_view' | 'foreign_table' | 'partitioned_table'
  columns: Column[]
  columnMap: Map<string, Column>
  primaryKey: string[]
  insertable: boolean
  updatable: boolean
  deletable: boolean
  description: string | null
}

/** A qualified name. */
export interface QualifiedName {
  schema: string
  name: string
}

/**
 * An edge usable for embedding, seen from `source`.
 * - `many-to-one`: source holds the FK (`sourceColumns`) to target's key (`targetColumns`);
 * - `one-to-many`: target holds the FK; `one-to-one` is either direction with a unique FK;
 * - `many-to-many`: through `junction`.
 */
export interface Relationship {
  cardinality: 'many-to-one' | 'one-to-many' | 'one-to-one' | 'many-to-many'
  source: QualifiedName
  target: QualifiedName
  /** The FK constraint name (for m2m: the junction's FK to the source). */
  constraint: string
  sourceColumns: string[]
  targetColumns: string[]
  junction: {
    table: QualifiedName
    /** FK from junction to source: junction columns ↔ source columns. */
    sourceConstraint: string
    sourceColumns: string[]
    junctionSourceColumns: string[]
    /** FK from junction to target. */
    targetConstraint: string
    targetColumns: string[]
    junctionTargetColumns: string[]
  } | null
  /**
   * A computed relationship: a function `fn(source_row) returns [setof] target` used as the
   * embed's source instead of a foreign-key join.
   */
  computed?: QualifiedName
}

/** A function argument. */
export interface FunctionArgument {
  /** Empty for unnamed arguments. */
  name: string
  /** `format_type()` of the argument type. */
  type: string
  /** Argument type oid's name (`int4`, `json`, `_text`…). */
  udtName: string
  mode: 'in' | 'inout' | 'variadic'
  hasDefault: boolean
}

/** An output column of a function: an OUT/INOUT/TABLE parameter, or an attribute of its composite type. */
export interface FunctionColumn {
  name: string
  /** `format_type()` of the column type. */
  type: string
  /** The type's name (`int4`, `text`…). */
  udtName: string
}

/** A function callable through `/rpc/<name>` (and, taking a row type, as a computed field). */
export interface FunctionInfo {
  schema: string
  name: string
  oid: number
  /** Input arguments in order (IN, INOUT, VARIADIC). */
  args: FunctionArgument[]
  /** `format_type()` of the return type. */
  returnType: string
  returnsSet: boolean
  /**
   * What a call returns, as PostgREST classifies it: `scalar` (a base, domain or array type, and a
   * plain `SETOF record`), `composite` (a row type — a table's, a view's or a named composite
   * type), `record` (`RETURNS TABLE`, one or more OUT/INOUT parameters, `SETOF record` with OUT
   * parameters: PostgREST treats any function with such parameters as returning rows), or `void`.
   */
  returnShape: 'scalar' | 'composite' | 'record' | 'void'
  /** The table/view/composite type returned, for composite shapes. */
  returnRelation: QualifiedName | null
  /**
   * The columns of a `record` or `composite` return (OUT/INOUT/TABLE parameters in order, or the
   * composite type's attributes), so a call's result can be selected, filtered and ordered.
   */
  columns: FunctionColumn[]
  volatility: 'immutable' | 'stable' | 'volatile'
  variadic: boolean
  description: string | null
}

/** A computed field: a function `fn(tbl) returns …` callable as a column of `tbl`. */
export interface ComputedField {
  function: QualifiedName
  relation: QualifiedName
  name: string
  returnsSet: boolean
  returnType: string
  /** Returns a row type (embeddable like a relationship) rather than a scalar. */
  returnRelation: QualifiedName | null
  /** The function's `ROWS` estimate; `1` makes a set-returning computed relationship to-one. */
  rows: number
}

/** Everything the request path reads; built once per (re)load, never queried per request. */
export interface SchemaCache {
  /** Exposed schemas, first is the default. */
  readonly schemas: readonly string[]
  /** Incremented on every reload (compiled-SQL caches key on it). */
  readonly version: number
  readonly loadedAt: Date
  /** `schema.name` → relation. */
  readonly relations: ReadonlyMap<string, Relation>
  /** `schema.name` → overloads. */
  readonly functions: ReadonlyMap<string, FunctionInfo[]>
  /** `schema.name` of a relation → relationships starting at it. */
  readonly relationships: ReadonlyMap<string, Relationship[]>
  /** `schema.name` of a relation → computed fields by name. */
  readonly computedFields: ReadonlyMap<string, ReadonlyMap<string, ComputedField>>
  /** Schema comments (`COMMENT ON SCHEMA`), for the OpenAPI document. */
  readonly schemaDescriptions: ReadonlyMap<string, string>
}

/** `schema.name` key used by the cache maps. */
export function qualifiedKey(schema: string, name: string): string {
  return `${schema}.${name}`
}
