import type {
  Column,
  ComputedField,
  FunctionArgument,
  FunctionInfo,
  QualifiedName,
  Relation,
  Relationship,
  SchemaCache,
} from './types'
import { qualifiedKey } from './types'

/** Raw rows of the catalog queries. */
export interface CatalogRows {
  relations: Array<{
    oid: string
    schema: string
    name: string
    kind: string
    description: string | null
    insertable: boolean
    updatable: boolean
    deletable: boolean
  }>
  columns: Array<{
    relid: string
    name: string
    position: number
    type: string
    udt_name: string
    nullable: boolean
    default: string | null
    generated: boolean
    description: string | null
    enum_values: string[] | null
    max_length: number | null
  }>
  constraints: Array<{
    name: string
    kind: 'p' | 'u' | 'f'
    relid: string
    ref_relid: string
    schema: string
    table: string
    ref_schema: string | null
    ref_table: string | null
    columns: string[]
    ref_columns: string[]
  }>
  /** View oid → column name → base `relid`/`attnum`. */
  viewOrigins: Map<string, Map<string, { relid: number; attnum: number }>>
  /** `relid:attnum` → attribute name, for relations behind views. */
  attributes: Map<string, string>
  functions: Array<{
    oid: string
    schema: string
    name: string
    volatility: 'i' | 's' | 'v'
    returns_set: boolean
    nargdefaults: number
    variadic: boolean
    rows: number
    return_type: string
    return_udt: string
    return_typtype: string
    return_rel_schema: string | null
    return_rel_name: string | null
    description: string | null
    args: Array<{ name: string; type: string; udt: string; mode: string; relid: string | number }>
    /** Attributes of a composite return type. */
    return_columns?: Array<{ name: string; type: string; udt: string }> | null
  }>
  schemas: Array<{ name: string; description: string | null }>
}

/** Types a single unnamed parameter may have for a request body to reach it (PostgREST's rule). */
const BODY_TYPES = new Set(['bytea', 'json', 'jsonb', 'text', 'xml'])

/**
 * PostgREST's `callable`: a function is exposed when it has no unnamed input parameter, or exactly
 * one and the first input parameter is of a body type (its catalog query checks the first type).
 */
function callable(inputs: ReadonlyArray<{ name: string; udt: string }>): boolean {
  const unnamed = inputs.filter((a) => a.name === '').length
  if (unnamed === 0) return true
  return unnamed === 1 && BODY_TYPES.has(inputs[0]?.udt ?? '')
}

const KINDS: Record<string, Relation['kind']> = {
  r: 'table',
  v: 'view',
  m: 'materialized_view',
  f: 'foreign_table',
  p: 'partitioned_table',
}

/** Builds the immutable {@link SchemaCache} from catalog rows. */
export function buildSchemaCache(
  rows: CatalogRows,
  schemas: readonly string[],
  version: number,
): SchemaCache {
  const relations = new Map<string, Relation>()
  const byOid = new Map<string, Relation>()
  for (const r of rows.relations) {
    const relation: Relation = {
      schema: r.schema,
      name: r.name,
      kind: KINDS[r.kind] ?? 'table',
      columns: [],
      columnMap: new Map(),
      primaryKey: [],
      insertable: r.insertable,
      updatable: r.updatable,
      deletable: r.deletable,
      description: r.description,
    }
    relations.set(qualifiedKey(r.schema, r.name), relation)
    byOid.set(String(r.oid), relation)
  }
  for (const c of rows.columns) {
    const relation = byOid.get(String(c.relid))
    if (!relation) continue
    const column: Column = {
      name: c.name,
      type: c.type,
      udtName: c.udt_name,
      nullable: c.nullable,
      default: c.default,
      generated: c.generated,
      primaryKey: false,
      enumValues: c.enum_values,
      maxLength: c.max_length,
      description: c.description,
      position: c.position,
    }
    relation.columns.push(column)
    relation.columnMap.set(c.name, column)
  }

  // Keys of base tables (by oid), including tables outside the exposed schemas.
  const uniqueKeys = new Map<string, string[][]>()
  const primaryKeys = new Map<string, string[]>()
  for (const k of rows.constraints) {
    if (k.kind === 'f') continue
    const list = uniqueKeys.get(String(k.relid)) ?? []
    list.push(k.columns)
    uniqueKeys.set(String(k.relid), list)
    if (k.kind === 'p') primaryKeys.set(String(k.relid), k.columns)
  }
  for (const [oid, pk] of primaryKeys) {
    const relation = byOid.get(oid)
    if (!relation) continue
    relation.primaryKey = pk
    for (const name of pk) {
      const column = relation.columnMap.get(name)
      if (column) column.primaryKey = true
    }
  }

  // A view (or the table itself) "represents" a base table's column set when it exposes every
  // one of those columns unchanged; views then take part in the table's relationships.
  // Follow views over views down to base table columns (a view's origin may be another view).
  for (const origins of rows.viewOrigins.values()) {
    for (const [column, origin] of origins) {
      let current = origin
      for (let depth = 0; depth < 16; depth++) {
        const inner = rows.viewOrigins.get(String(current.relid))
        if (!inner) break
        const name = rows.attributes.get(`${current.relid}:${current.attnum}`)
        const next = name === undefined ? undefined : inner.get(name)
        if (!next) break
        current = next
      }
      origins.set(column, current)
    }
  }

  type Representation = { relation: Relation; columns: string[] }
  const representations = (relid: string, columns: string[]): Representation[] => {
    const out: Representation[] = []
    const self = byOid.get(relid)
    if (self && self.kind !== 'view' && self.kind !== 'materialized_view')
      out.push({ relation: self, columns })
    for (const [viewOid, origins] of rows.viewOrigins) {
      const view = byOid.get(viewOid)
      if (!view) continue
      const mapped: string[] = []
      for (const column of columns) {
        let found: string | null = null
        for (const [viewColumn, origin] of origins) {
          const baseName = rows.attributes.get(`${origin.relid}:${origin.attnum}`)
          if (String(origin.relid) === relid && baseName === column) {
            found = viewColumn
            break
          }
        }
        if (found === null) break
        mapped.push(found)
      }
      if (mapped.length === columns.length) out.push({ relation: view, columns: mapped })
    }
    return out
  }
  const isUnique = (relid: string, columns: string[]) =>
    (uniqueKeys.get(relid) ?? []).some(
      (key) => key.length === columns.length && key.every((c) => columns.includes(c)),
    )

  // Views inherit the primary key of the table they expose.
  for (const [viewOid] of rows.viewOrigins) {
    const view = byOid.get(viewOid)
    if (!view || view.primaryKey.length > 0) continue
    for (const [tableOid, pk] of primaryKeys) {
      const rep = representations(tableOid, pk).find((r) => r.relation === view)
      if (rep) {
        view.primaryKey = rep.columns
        break
      }
    }
  }

  const relationships = new Map<string, Relationship[]>()
  const add = (relationship: Relationship) => {
    const key = qualifiedKey(relationship.source.schema, relationship.source.name)
    const list = relationships.get(key) ?? []
    list.push(relationship)
    relationships.set(key, list)
  }
  const qn = (r: Relation): QualifiedName => ({ schema: r.schema, name: r.name })

  const foreignKeys = rows.constraints.filter((k) => k.kind === 'f')
  for (const fk of foreignKeys) {
    const childReps = representations(String(fk.relid), fk.columns)
    const parentReps = representations(String(fk.ref_relid), fk.ref_columns)
    const oneToOne = isUnique(String(fk.relid), fk.columns)
    for (const child of childReps) {
      for (const parent of parentReps) {
        add({
          cardinality: oneToOne ? 'one-to-one' : 'many-to-one',
          source: qn(child.relation),
          target: qn(parent.relation),
          constraint: fk.name,
          sourceColumns: child.columns,
          targetColumns: parent.columns,
          junction: null,
        })
        add({
          cardinality: oneToOne ? 'one-to-one' : 'one-to-many',
          source: qn(parent.relation),
          target: qn(child.relation),
          constraint: fk.name,
          sourceColumns: parent.columns,
          targetColumns: child.columns,
          junction: null,
        })
      }
    }
  }

  // Many-to-many: a junction table with FKs to both sides whose columns are all part of one of
  // its unique keys (its primary key, typically).
  const fksByTable = new Map<string, typeof foreignKeys>()
  for (const fk of foreignKeys) {
    const list = fksByTable.get(String(fk.relid)) ?? []
    list.push(fk)
    fksByTable.set(String(fk.relid), list)
  }
  for (const [junctionOid, fks] of fksByTable) {
    if (fks.length < 2) continue
    const keys = uniqueKeys.get(junctionOid) ?? []
    for (const a of fks) {
      for (const b of fks) {
        if (a === b) continue
        const covered = keys.some((key) => [...a.columns, ...b.columns].every((c) => key.includes(c)))
        if (!covered) continue
        for (const junction of representations(junctionOid, [...a.columns, ...b.columns])) {
          const jA = junction.columns.slice(0, a.columns.length)
          const jB = junction.columns.slice(a.columns.length)
          for (const source of representations(String(a.ref_relid), a.ref_columns)) {
            for (const target of representations(String(b.ref_relid), b.ref_columns)) {
              add({
                cardinality: 'many-to-many',
                source: qn(source.relation),
                target: qn(target.relation),
                constraint: a.name,
                sourceColumns: source.columns,
                targetColumns: target.columns,
                junction: {
                  table: qn(junction.relation),
                  sourceConstraint: a.name,
                  sourceColumns: source.columns,
                  junctionSourceColumns: jA,
                  targetConstraint: b.name,
                  targetColumns: target.columns,
                  junctionTargetColumns: jB,
                },
              })
            }
          }
        }
      }
    }
  }

  const functions = new Map<string, FunctionInfo[]>()
  const computedFields = new Map<string, Map<string, ComputedField>>()
  for (const f of rows.functions) {
    const inputs = f.args.filter((a) => a.mode === 'i' || a.mode === 'b' || a.mode === 'v')
    const outputs = f.args.filter((a) => a.mode === 'o' || a.mode === 't' || a.mode === 'b')
    const firstDefault = inputs.length - f.nargdefaults
    const args: FunctionArgument[] = inputs.map((a, i) => ({
      name: a.name,
      type: a.type,
      udtName: a.udt,
      mode: a.mode === 'b' ? 'inout' : a.mode === 'v' ? 'variadic' : 'in',
      hasDefault: i >= firstDefault,
    }))
    // PostgREST's classification (its catalog query): any OUT/INOUT/TABLE parameter makes the
    // result rows, even a single one; a plain `SETOF record` stays a scalar.
    const returnShape: FunctionInfo['returnShape'] =
      f.return_type === 'void'
        ? 'void'
        : outputs.length > 0
          ? 'record'
          : f.return_typtype === 'c'
            ? 'composite'
            : 'scalar'
    const columns =
      returnShape === 'record'
        ? outputs.map((a) => ({ name: a.name, type: a.type, udtName: a.udt }))
        : returnShape === 'composite'
          ? (f.return_columns ?? []).map((a) => ({ name: a.name, type: a.type, udtName: a.udt }))
          : []
    const info: FunctionInfo = {
      schema: f.schema,
      name: f.name,
      oid: Number(f.oid),
      args,
      returnType: f.return_type,
      returnsSet: f.returns_set,
      returnShape,
      returnRelation:
        f.return_rel_schema && f.return_rel_name
          ? { schema: f.return_rel_schema, name: f.return_rel_name }
          : null,
      columns,
      volatility: f.volatility === 'i' ? 'immutable' : f.volatility === 's' ? 'stable' : 'volatile',
      variadic: f.variadic,
      description: f.description,
    }
    // Only functions a request can pass arguments to get an endpoint, as in PostgREST: no unnamed
    // input parameter, or exactly one whose (first) type is a body type.
    if (callable(inputs)) {
      const key = qualifiedKey(f.schema, f.name)
      const list = functions.get(key) ?? []
      list.push(info)
      functions.set(key, list)
    }

    // Computed fields: fn(row_type) with no other required argument.
    const first = inputs[0]
    const table = first ? byOid.get(String(first.relid)) : undefined
    if (table && inputs.slice(1).every((_, i) => i + 1 >= firstDefault)) {
      const tableKey = qualifiedKey(table.schema, table.name)
      const fields = computedFields.get(tableKey) ?? new Map<string, ComputedField>()
      fields.set(f.name, {
        function: { schema: f.schema, name: f.name },
        relation: { schema: table.schema, name: table.name },
        name: f.name,
        returnsSet: f.returns_set,
        returnType: f.return_type,
        returnRelation: info.returnRelation,
        rows: Number(f.rows),
      })
      computedFields.set(tableKey, fields)
    }
  }

  return {
    schemas,
    version,
    loadedAt: new Date(),
    relations,
    functions,
    relationships,
    computedFields,
    schemaDescriptions: new Map(
      rows.schemas.filter((s) => s.description).map((s) => [s.name, s.description as string]),
    ),
  }
}
