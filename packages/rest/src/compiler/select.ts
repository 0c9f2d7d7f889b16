import { pgrstError } from '../errors'
import { type ExtensionRegistry, NO_EXTENSIONS } from '../extensions/registry'
import type { OrderTerm } from '../parser/ast'
import type { Relationship, SchemaCache } from '../schema-cache/types'
import { castSql, fieldKey, fieldSql } from './expressions'
import { type EmbedNode, hasAggregates, type PlanNode } from './plan'
import { ident, qualified, type SqlParams } from './sql'
import { filterSql, logicSql } from './where'

/** The SQL pieces of one plan node over an already-chosen `FROM` source. */
export interface CompiledNode {
  /** The select list (`"t"."id" AS "id", "pgrst_1_j"."body" AS "client"`). */
  columns: string
  /** `LEFT JOIN LATERAL (…) AS "pgrst_1_j" ON TRUE …` for the embeds. */
  joins: string
  /** WHERE conditions (filters, logic trees, `!inner` and `rel=is.null` on embeds). */
  conditions: string[]
  /** Some condition refers to an embed's lateral join (`!inner`, `rel=is.null`, in trees too). */
  conditionsUseJoins: boolean
  /** `GROUP BY …` list when aggregates are selected, else `null`. */
  groupBy: string | null
  /** The ORDER BY list, or `''`. */
  orderBy: string
  /** The output column names (JSON keys) in order: what a spread lifts into its parent. */
  outputs: string[]
  /**
   * Aggregates of a to-one spread, exposed ungrouped under internal column names for the nearest
   * ancestor that is not a to-one spread to apply (PostgREST "hoists" them there).
   */
  hoisted: HoistedAggregate[]
  /** This level applies an aggregate (its own, or hoisted from to-one spreads below it). */
  aggregated: boolean
}

/**
 * How {@link compileNode} renders columns: extensions' column types apply to every level
 * (`all`), only to embedded resources (`embeds`, for media types that need the root's own types),
 * or nowhere (`none`, e.g. CSV).
 */
export interface CompileOptions {
  extensions: ExtensionRegistry
  render: 'all' | 'embeds' | 'none'
}

const DEFAULT_COMPILE: CompileOptions = { extensions: NO_EXTENSIONS, render: 'all' }

/** An aggregate a to-one spread leaves to its parent: `fn(<join>.<column>) AS <key>`. */
export interface HoistedAggregate {
  column: string
  fn: 'count' | 'sum' | 'avg' | 'min' | 'max'
  cast: string | null
  key: string
}

/**
 * Compiles the projection, embed joins, conditions and order of `node` whose relation is
 * available under `node.alias` (a table, or a CTE such as `pgrst_source` for writes). A node
 * compiled as a to-one `spread` does not apply its aggregates: it exposes their inputs for the
 * parent (see {@link HoistedAggregate}).
 *
 * @see https://docs.postgrest.org/en/v14/references/api/aggregate_functions.html
 */
export function compileNode(
  cache: SchemaCache,
  node: PlanNode,
  params: SqlParams,
  mode: 'root' | 'spread' = 'root',
  compile: CompileOptions = DEFAULT_COMPILE,
): CompiledNode {
  const columns: string[] = []
  const groupable: string[] = []
  const outputs: string[] = []
  const hoisted: HoistedAggregate[] = []
  const hoisting = mode === 'spread'
  // Decided up front: embeds next to an aggregate become grouping keys (json has no equality).
  const aggregated = !hoisting && hasAggregates(node)
  const joins: string[] = []
  const alias = ident(node.alias)
  const internal = () => `pgrst_h_${node.alias}_${hoisted.length + 1}`
  const renderers = compile.render === 'all' ? compile.extensions.columnTypes : null
  const rendered = (field: { name: string; jsonPath: unknown[] }, sql: string): string => {
    if (!renderers || renderers.size === 0 || field.jsonPath.length > 0) return sql
    const info = node.relation.columnMap.get(field.name)
    const render = info && renderers.get(info.udtName)?.render
    return info && render ? render(sql, info) : sql
  }
  // Embedded levels always render (`embeds` only keeps the root's own types).
  const childCompile: CompileOptions = compile.render === 'embeds' ? { ...compile, render: 'all' } : compile

  for (const item of node.select) {
    switch (item.kind) {
      case 'star': {
        const custom =
          renderers !== null &&
          renderers.size > 0 &&
          node.relation.columns.some((c) => renderers.get(c.udtName)?.render)
        // `*` lists the columns when one of them is rendered by an extension's column type.
        if (custom) {
          for (const column of node.relation.columns) {
            const sql = rendered({ name: column.name, jsonPath: [] }, `${alias}.${ident(column.name)}`)
            columns.push(`${sql} AS ${ident(column.name)}`)
          }
        } else columns.push(`${alias}.*`)
        for (const column of node.relation.columns) {
          groupable.push(`${alias}.${ident(column.name)}`)
          outputs.push(column.name)
        }
        break
      }
      case 'field': {
        const key = fieldKey(item.field, item.alias)
        let sql = fieldSql(cache, node.relation, node.alias, item.field)
        if (item.aggregate && hoisting) {
          const column = internal()
          columns.push(`${castSql(sql, item.cast)} AS ${ident(column)}`)
          hoisted.push({
            column,
            fn: item.aggregate.fn,
            cast: item.aggregate.cast,
            key: item.alias ?? item.aggregate.fn,
          })
        } else if (item.aggregate) {
          sql = castSql(`${item.aggregate.fn}(${castSql(sql, item.cast)})`, item.aggregate.cast)
          columns.push(`${sql} AS ${ident(item.alias ?? item.aggregate.fn)}`)
          outputs.push(item.alias ?? item.aggregate.fn)
        } else {
          sql = castSql(sql, item.cast)
          groupable.push(sql)
          // Rendered (extensions' column types) only when not cast: a cast asks for that type.
          columns.push(`${item.cast === null ? rendered(item.field, sql) : sql} AS ${ident(key)}`)
          outputs.push(key)
        }
        break
      }
      case 'count':
        if (hoisting && !item.legacy) {
          // Counted by the parent: a row of this spread exists where the column is not null.
          const column = internal()
          columns.push(`TRUE AS ${ident(column)}`)
          hoisted.push({ column, fn: 'count', cast: item.cast, key: item.alias ?? 'count' })
        } else {
          columns.push(`${castSql('pg_catalog.count(*)', item.cast)} AS ${ident(item.alias ?? 'count')}`)
          outputs.push(item.alias ?? 'count')
        }
        break
      case 'embed':
        break
    }
  }

  const conditions: string[] = []
  for (const embed of node.embeds) {
    const join = ident(embed.joinAlias)
    const { sql, child } = embedSql(cache, node, embed, params, childCompile)
    joins.push(`LEFT JOIN LATERAL (${sql}) AS ${join} ON TRUE`)
    if (embed.node.select.length === 0) {
      // An empty embed (`rel()`) only filters (`rel=not.is.null`, `!inner`); it is not output.
    } else if (embed.spread) {
      for (const name of child.outputs) {
        // A to-many spread's columns are arrays (empty, not null, without rows).
        let value = embed.toOne ? `${join}.${ident(name)}` : `COALESCE(${join}.${ident(name)}, '[]')`
        if (!embed.toOne && aggregated) value = `(${value})::jsonb`
        columns.push(`${value} AS ${ident(name)}`)
        groupable.push(value)
        outputs.push(name)
      }
      for (const h of child.hoisted) {
        if (hoisting) {
          columns.push(`${join}.${ident(h.column)} AS ${ident(h.column)}`)
          hoisted.push(h)
        } else {
          columns.push(`${castSql(`${h.fn}(${join}.${ident(h.column)})`, h.cast)} AS ${ident(h.key)}`)
          outputs.push(h.key)
        }
      }
    } else {
      let value = embed.toOne ? `${join}.body` : `COALESCE(${join}.body, '[]')`
      if (aggregated) {
        value = `(${value})::jsonb`
        groupable.push(value)
      }
      columns.push(`${value} AS ${ident(embed.key)}`)
      outputs.push(embed.key)
    }
    if (embed.inner) conditions.push(`${join}.${embed.spread ? 'pgrst_found' : 'body'} IS NOT NULL`)
    for (const nullFilter of embed.nullFilters) {
      conditions.push(
        `${join}.${embed.spread ? 'pgrst_found' : 'body'} IS ${nullFilter === 'null' ? '' : 'NOT '}NULL`,
      )
    }
  }
  const embedNulls = new Map<string, string>()
  for (const embed of node.embeds) {
    const present = `${ident(embed.joinAlias)}.${embed.spread ? 'pgrst_found' : 'body'}`
    if (!embedNulls.has(embed.name)) embedNulls.set(embed.name, present)
    embedNulls.set(embed.key, present)
  }
  let conditionsUseJoins = conditions.length > 0
  const scope = {
    cache,
    relation: node.relation,
    alias: node.alias,
    embeds: embedNulls,
    onEmbed: () => {
      conditionsUseJoins = true
    },
    extensions: compile.extensions,
  }
  for (const filter of node.filters) conditions.push(filterSql(scope, filter, params))
  for (const tree of node.logic) conditions.push(logicSql(scope, tree, params))

  return {
    // Postgres allows an empty select list: rows of zero columns render as `{}`, like PostgREST.
    columns: columns.join(', '),
    joins: joins.join(' '),
    conditions,
    conditionsUseJoins,
    groupBy: aggregated && groupable.length > 0 ? groupable.join(', ') : null,
    orderBy: orderSql(cache, node, node.order, params, compile.extensions),
    outputs,
    hoisted,
    aggregated,
  }
}

/** `ORDER BY` terms; `rel(col)` orders by a column of a to-one embed (PGRST118 otherwise). */
export function orderSql(
  cache: SchemaCache,
  node: PlanNode,
  terms: OrderTerm[],
  params?: SqlParams,
  extensions: ExtensionRegistry = NO_EXTENSIONS,
): string {
  return terms
    .map((term) => {
      let sql: string
      if (term.extension) {
        const contributed = extensions.orders.get(term.extension.name)
        if (!contributed || !params || term.relation !== null) {
          throw pgrstError('PGRST100', `"failed to parse order (${term.field.name}.${term.extension.name})"`)
        }
        const column = fieldSql(cache, node.relation, node.alias, term.field)
        const info =
          term.field.jsonPath.length === 0 ? (node.relation.columnMap.get(term.field.name) ?? null) : null
        sql = contributed.sql({ column, info, argument: term.extension.argument, params })
      } else if (term.relation !== null) {
        const embed =
          node.embeds.find((e) => e.key === term.relation) ??
          node.embeds.find((e) => e.name === term.relation)
        if (!embed?.toOne) {
          throw pgrstError(
            'PGRST118',
            `A related order on '${term.relation}' is not possible`,
            `'${node.relation.name}' and '${term.relation}' do not form a many-to-one or one-to-one relationship`,
          )
        }
        const inner = `${embed.joinAlias}_o`
        const column = fieldSql(cache, embed.node.relation, inner, term.field)
        const computed = embed.relationship.computed
        sql = computed
          ? `(SELECT ${column} FROM ${qualified(computed.schema, computed.name)}(${ident(node.alias)}) AS ${ident(inner)} LIMIT 1)`
          : `(SELECT ${column} FROM ${qualified(embed.node.relation.schema, embed.node.relation.name)} AS ${ident(inner)} WHERE ${joinCondition(embed.relationship, node.alias, inner)} LIMIT 1)`
      } else {
        sql = fieldSql(cache, node.relation, node.alias, term.field)
      }
      const direction = term.direction === 'desc' ? ' DESC' : term.direction === 'asc' ? ' ASC' : ''
      const nulls = term.nulls === 'first' ? ' NULLS FIRST' : term.nulls === 'last' ? ' NULLS LAST' : ''
      return `${sql}${direction}${nulls}`
    })
    .join(', ')
}

/** The condition tying a (non-junction) embed aliased `target` to its parent aliased `source`. */
export function joinCondition(relationship: Relationship, source: string, target: string): string {
  return relationship.sourceColumns
    .map(
      (column, i) =>
        `${ident(target)}.${ident(relationship.targetColumns[i] as string)} = ${ident(source)}.${ident(column)}`,
    )
    .join(' AND ')
}

/**
 * The lateral subquery of an embed: its `body` (an object or an array of objects), or a spread's
 * columns — as they are for a to-one spread, each aggregated into an array (`json_agg`) for a
 * to-many spread (PostgREST 13) — with `pgrst_found` telling whether a row matched.
 */
function embedSql(
  cache: SchemaCache,
  parent: PlanNode,
  embed: EmbedNode,
  params: SqlParams,
  compile: CompileOptions,
): { sql: string; child: CompiledNode } {
  const child = embed.node
  const toOneSpread = embed.spread && embed.toOne
  const compiled = compileNode(cache, child, params, toOneSpread ? 'spread' : 'root', compile)
  const table = `${qualified(child.relation.schema, child.relation.name)} AS ${ident(child.alias)}`
  const relationship = embed.relationship
  let from: string
  const where = [...compiled.conditions]
  if (relationship.computed) {
    const fn = relationship.computed
    from = `${qualified(fn.schema, fn.name)}(${ident(parent.alias)}) AS ${ident(child.alias)}`
  } else if (relationship.junction) {
    const j = relationship.junction
    const junctionAlias = ident(`${child.alias}_jt`)
    from = `${table} INNER JOIN ${qualified(j.table.schema, j.table.name)} AS ${junctionAlias} ON ${j.junctionTargetColumns
      .map(
        (c, i) =>
          `${junctionAlias}.${ident(c)} = ${ident(child.alias)}.${ident(j.targetColumns[i] as string)}`,
      )
      .join(' AND ')}`
    where.unshift(
      j.junctionSourceColumns
        .map(
          (c, i) =>
            `${junctionAlias}.${ident(c)} = ${ident(parent.alias)}.${ident(j.sourceColumns[i] as string)}`,
        )
        .join(' AND '),
    )
  } else {
    from = table
    where.unshift(joinCondition(relationship, parent.alias, child.alias))
  }
  const inner =
    `SELECT ${toOneSpread ? [compiled.columns, 'TRUE AS pgrst_found'].filter(Boolean).join(', ') : compiled.columns} FROM ${from} ${compiled.joins}` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    (compiled.groupBy ? ` GROUP BY ${compiled.groupBy}` : '') +
    (compiled.orderBy ? ` ORDER BY ${compiled.orderBy}` : '') +
    (child.limit !== null ? ` LIMIT ${child.limit}` : '') +
    (child.offset !== null ? ` OFFSET ${child.offset}` : '')
  let sql: string
  if (toOneSpread) {
    sql = inner
  } else if (embed.spread) {
    const arrays = compiled.outputs.map((name) => `json_agg(pgrst_row.${ident(name)}) AS ${ident(name)}`)
    sql = `SELECT ${[...arrays, 'CASE WHEN count(*) > 0 THEN TRUE END AS pgrst_found'].join(', ')} FROM (${inner}) AS pgrst_row`
  } else if (embed.toOne) {
    sql = `SELECT row_to_json(pgrst_row) AS body FROM (${inner}) AS pgrst_row`
  } else {
    sql = `SELECT json_agg(pgrst_row) AS body FROM (${inner}) AS pgrst_row`
  }
  return { sql, child: compiled }
}
