import { pgrstError, RestError } from '../errors'
import type { EmbedPath, Filter, LogicTree, OrderTerm, ParsedQuery, SelectItem } from '../parser/ast'
import { fuzzyBest } from '../schema-cache/fuzzy'
import type { QualifiedName, Relation, Relationship, SchemaCache } from '../schema-cache/types'
import { qualifiedKey } from '../schema-cache/types'

/** One relation of a read: the root or an embed, with what applies to it. */
export interface PlanNode {
  relation: Relation
  /** Its SQL alias (unquoted). */
  alias: string
  select: SelectItem[]
  embeds: EmbedNode[]
  filters: Filter[]
  logic: LogicTree[]
  order: OrderTerm[]
  limit: number | null
  offset: number | null
}

/** An embedded relation under its parent. */
export interface EmbedNode {
  /** The JSON key (alias, else the name as written). */
  key: string
  name: string
  relationship: Relationship
  /** Many-to-one / one-to-one: an object (or null) rather than an array; a to-many spread gives arrays. */
  toOne: boolean
  inner: boolean
  spread: boolean
  /** `rel=is.null` / `rel=not.is.null` filters on the parent. */
  nullFilters: Array<'null' | 'not_null'>
  node: PlanNode
  /** The SQL alias of the lateral join holding the embed's JSON (`body`). */
  joinAlias: string
}

/** Options of {@link buildPlan}. */
export interface PlanOptions {
  rootAlias?: string
  aggregates: boolean
  /** Called with every embedded relation (throw to refuse it: allowed tables). */
  authorize?: ((relation: Relation) => void) | undefined
}

/** Builds the plan of a read over `relation` from the parsed query, resolving relationships. */
export function buildPlan(
  cache: SchemaCache,
  relation: Relation,
  query: ParsedQuery,
  options: PlanOptions,
): PlanNode {
  let counter = 0
  const nextAlias = () => `pgrst_${++counter}`
  const root = node(cache, relation, query.select, options.rootAlias ?? relation.name, nextAlias, options, 0)

  const find = (path: EmbedPath): PlanNode => {
    let current = root
    for (const segment of path) {
      const embed =
        current.embeds.find((e) => e.key === segment) ?? current.embeds.find((e) => e.name === segment)
      if (!embed) {
        throw pgrstError(
          'PGRST108',
          `'${segment}' is not an embedded resource in this request`,
          null,
          `Verify that '${segment}' is included in the 'select' query parameter.`,
        )
      }
      current = embed.node
    }
    return current
  }

  for (const { path, filter } of query.filters) {
    const target = find(path)
    const embed =
      filter.field.jsonPath.length === 0 && !target.relation.columnMap.has(filter.field.name)
        ? (target.embeds.find((e) => e.key === filter.field.name) ??
          target.embeds.find((e) => e.name === filter.field.name))
        : undefined
    if (embed) {
      const op = filter.operation
      if (op.kind !== 'is' || (op.value !== 'null' && op.value !== 'not_null')) {
        throw pgrstError(
          'PGRST120',
          `Bad operator on the '${embed.key}' embedded resource`,
          'Only is null or not is null filters are allowed on embedded resources',
        )
      }
      const isNull = (op.value === 'null') !== filter.negated
      embed.nullFilters.push(isNull ? 'null' : 'not_null')
      continue
    }
    target.filters.push(filter)
  }
  for (const { path, tree } of query.logic) find(path).logic.push(tree)
  for (const { path, terms } of query.order) find(path).order.push(...terms)
  for (const { path, limit, offset } of query.limits) {
    if (path.length === 0) continue
    const target = find(path)
    if (limit !== null) target.limit = limit
    if (offset !== null) target.offset = offset
  }
  return root
}

function node(
  cache: SchemaCache,
  relation: Relation,
  select: SelectItem[],
  alias: string,
  nextAlias: () => string,
  options: PlanOptions,
  depth: number,
): PlanNode {
  if (depth > 0) select = select.map((item) => legacyCount(cache, relation, item))
  const plan: PlanNode = {
    relation,
    alias,
    select,
    embeds: [],
    filters: [],
    logic: [],
    order: [],
    limit: null,
    offset: null,
  }
  for (const item of select) {
    const aggregate = item.kind === 'count' ? !item.legacy : item.kind === 'field' && item.aggregate !== null
    if (aggregate && !options.aggregates) {
      throw pgrstError('PGRST123', 'Use of aggregate functions is not allowed')
    }
    if (item.kind !== 'embed') continue
    const relationship = resolveRelationship(cache, relation, item.name, item.hint)
    const target = cache.relations.get(qualifiedKey(relationship.target.schema, relationship.target.name))
    if (!target) {
      throw pgrstError(
        'PGRST200',
        `Could not find a relationship between '${relation.name}' and '${item.name}' in the schema cache`,
      )
    }
    options.authorize?.(target)
    const key = item.alias ?? item.name
    // PostgREST names each embed's lateral join `<table>_<embed>_<depth>`: the same name twice at
    // one level is Postgres' duplicate-alias error, which it answers as such.
    if (plan.embeds.some((e) => e.key === key)) {
      throw new RestError(
        '42712',
        `table name "${relation.name}_${key}_${depth + 1}" specified more than once`,
        {
          status: 400,
        },
      )
    }
    const toOne = relationship.cardinality === 'many-to-one' || relationship.cardinality === 'one-to-one'
    const embedAlias = nextAlias()
    const child = node(cache, target, item.select, embedAlias, nextAlias, options, depth + 1)
    // A to-many spread (PostgREST 13) turns each column into an array; aggregates cannot apply there.
    if (item.spread && !toOne && hasAggregates(child)) {
      throw pgrstError(
        'PGRST127',
        'Feature not implemented',
        'Aggregates are not implemented for one-to-many or many-to-many spreads.',
      )
    }
    plan.embeds.push({
      key,
      name: item.name,
      relationship,
      toOne,
      inner: item.joinType === 'inner',
      spread: item.spread,
      nullFilters: [],
      node: child,
      joinAlias: `${embedAlias}_j`,
    })
  }
  return plan
}

/**
 * Whether a node aggregates (so its other columns group), itself — `count()`, the legacy
 * `rel(count)` included — or through the to-one spreads whose aggregates it takes.
 */
export function hasAggregates(node: PlanNode): boolean {
  return (
    node.select.some((item) => item.kind === 'count' || (item.kind === 'field' && item.aggregate !== null)) ||
    node.embeds.some((e) => e.spread && e.toOne && hasAggregates(e.node))
  )
}

/**
 * `rel(count)`: a bare `count` that is not a column of the embedded relation counts its rows
 * (`[{"count": 3}]`), the form supabase-js documents; it works even with aggregates disabled.
 */
function legacyCount(cache: SchemaCache, relation: Relation, item: SelectItem): SelectItem {
  if (
    item.kind !== 'field' ||
    item.field.name !== 'count' ||
    item.field.jsonPath.length > 0 ||
    item.aggregate !== null ||
    relation.columnMap.has('count') ||
    cache.computedFields.get(qualifiedKey(relation.schema, relation.name))?.has('count')
  ) {
    return item
  }
  return { kind: 'count', alias: item.alias, cast: item.cast, legacy: true }
}

/**
 * Finds the one relationship `rel[!hint]` names from `source`, the way PostgREST does: by target
 * table/view name, by FK constraint name, or by FK column; the hint narrows by constraint,
 * column or junction. None → PGRST200; several → 300 PGRST201 listing them.
 *
 * @see https://docs.postgrest.org/en/v14/references/api/resource_embedding.html#disambiguation
 */
export function resolveRelationship(
  cache: SchemaCache,
  source: Relation,
  name: string,
  hint: string | null,
): Relationship {
  const all = cache.relationships.get(qualifiedKey(source.schema, source.name)) ?? []
  // A computed relationship (a function taking the row) named like the embed wins, as in PostgREST.
  const computed = cache.computedFields.get(qualifiedKey(source.schema, source.name))?.get(name)
  if (computed?.returnRelation && (hint === null || hint === computed.returnRelation.name)) {
    const toMany = computed.returnsSet && computed.rows !== 1
    return {
      cardinality: toMany ? 'one-to-many' : 'many-to-one',
      source: { schema: source.schema, name: source.name },
      target: computed.returnRelation,
      constraint: computed.name,
      sourceColumns: [],
      targetColumns: [],
      junction: null,
      computed: computed.function,
    }
  }
  // PostgREST's findRel: the target is the related table or view, or — for tables only, never
  // views exposing them — a FK constraint name or FK column; a hint names a constraint, a column
  // on either side of a single-column FK, or (many-to-many) the junction table.
  const single = (columns: string[]) => (columns.length === 1 ? columns[0] : undefined)
  const isView = (target: QualifiedName) => {
    const kind = cache.relations.get(qualifiedKey(target.schema, target.name))?.kind
    return kind === 'view' || kind === 'materialized_view'
  }
  const candidates = all.filter((r) => {
    const isTarget = r.target.name === name && r.target.schema === source.schema
    const self = !r.junction && r.target.schema === source.schema && r.target.name === source.name
    if (self) {
      // One FK, two directions: `rel(*)` / `rel!fk_column(*)` is one-to-many, `fk_column(*)` many-to-one.
      if (hint === null) {
        return (
          (isTarget && r.cardinality === 'one-to-many') ||
          (r.cardinality === 'many-to-one' && single(r.sourceColumns) === name)
        )
      }
      return isTarget && r.cardinality === 'one-to-many' && single(r.targetColumns) === hint
    }
    if (hint === null) {
      return (
        isTarget ||
        (!r.junction && !isView(r.target) && (r.constraint === name || single(r.sourceColumns) === name))
      )
    }
    if (!isTarget) return false
    if (r.junction) return r.junction.table.name === hint
    return r.constraint === hint || single(r.sourceColumns) === hint || single(r.targetColumns) === hint
  })
  if (candidates.length === 1) return candidates[0] as Relationship
  if (candidates.length === 0) {
    throw new RestError(
      'PGRST200',
      `Could not find a relationship between '${source.name}' and '${name}' in the schema cache`,
      {
        details: `Searched for a foreign key relationship between '${source.name}' and '${name}'${hint ? ` using the hint '${hint}'` : ''} in the schema '${source.schema}', but no matches were found.`,
        hint: noRelationshipHint(cache, source, name),
      },
    )
  }
  throw new RestError(
    'PGRST201',
    `Could not embed because more than one relationship was found for '${source.name}' and '${name}'`,
    {
      status: 300,
      details: candidates.map((r) => ({
        cardinality: r.cardinality,
        embedding: `${source.name} with ${r.target.name}`,
        relationship: r.junction
          ? `${r.junction.table.name} using ${r.junction.sourceConstraint}(${r.junction.junctionSourceColumns.join(', ')}) and ${r.junction.targetConstraint}(${r.junction.junctionTargetColumns.join(', ')})`
          : `${r.constraint} using ${source.name}(${r.sourceColumns.join(', ')}) and ${r.target.name}(${r.targetColumns.join(', ')})`,
      })),
      // The hint names the target table, whatever the request wrote (a FK column, a constraint).
      hint: `Try changing '${name}' to one of the following: ${candidates
        .map((r) => `'${r.target.name}!${r.junction ? r.junction.table.name : r.constraint}'`)
        .join(', ')}. Find the desired relationship in the 'details' key.`,
    },
  )
}

/**
 * PGRST200's hint, as PostgREST's `noRelBetweenHint`: when the parent has relationships, the
 * closest related table to the name written (none when it names one exactly — then the hint was
 * wrong); otherwise the closest relation that has relationships, in place of the parent.
 */
function noRelationshipHint(cache: SchemaCache, source: Relation, name: string): string | null {
  const own = cache.relationships.get(qualifiedKey(source.schema, source.name)) ?? []
  const computed = [...(cache.computedFields.get(qualifiedKey(source.schema, source.name))?.values() ?? [])]
  const children = [
    ...own.map((r) => r.target.name),
    ...computed.flatMap((c) => (c.returnRelation ? [c.returnRelation.name] : [])),
  ]
  if (children.length > 0) {
    if (children.some((child) => child.toLowerCase() === name.toLowerCase())) return null
    const best = fuzzyBest(children, name)
    return best === null ? null : `Perhaps you meant '${best}' instead of '${name}'.`
  }
  const parents: string[] = []
  for (const list of cache.relationships.values()) {
    const origin = list[0]?.source
    if (origin?.schema === source.schema) parents.push(origin.name)
  }
  const best = fuzzyBest(parents, source.name)
  return best === null ? null : `Perhaps you meant '${best}' instead of '${source.name}'.`
}
