import { pgrstError } from '../errors'
import type { OrderTerm } from '../parser/ast'
import type { Relationship, SchemaCache } from '../schema-cache/types'
import { castSql, fieldKey, fieldSql } from './expressions'
import type { EmbedNode, PlanNode } from './plan'
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
}

/**
 * Compiles the projection, embed joins, conditions and order of `node` whose relation is
 * available under `node.alias` (a table, or a CTE such as `pgrst_source` for writes).
 */
export function compileNode(cache: SchemaCache, node: PlanNode, params: SqlParams): CompiledNode {
  const columns: string[] = []
  const groupable: string[] = []
  let aggregated = false
  const joins: string[] = []
  const alias = ident(node.alias)

  for (const item of node.select) {
    switch (item.kind) {
      case 'star':
        columns.push(`${alias}.*`)
        for (const column of node.relation.columns) groupable.push(`${alias}.${ident(column.name)}`)
        break
      case 'field': {
        const key = fieldKey(item.field, item.alias)
        let sql = fieldSql(cache, node.relation, node.alias, item.field)
        if (item.aggregate) {
          aggregated = true
          sql = castSql(`${item.aggregate.fn}(${castSql(sql, item.cast)})`, item.aggregate.cast)
          columns.push(`${sql} AS ${ident(item.alias ?? item.aggregate.fn)}`)
        } else {
          sql = castSql(sql, item.cast)
          groupable.push(sql)
          columns.push(`${sql} AS ${ident(key)}`)
        }
        break
      }
      case 'count':
        aggregated = true
        columns.push(`${castSql('pg_catalog.count(*)', item.cast)} AS ${ident(item.alias ?? 'count')}`)
        break
      case 'embed':
        break
    }
  }

  const conditions: string[] = []
  for (const embed of node.embeds) {
    const join = ident(embed.joinAlias)
    joins.push(`LEFT JOIN LATERAL (${embedSql(cache, node, embed, params)}) AS ${join} ON TRUE`)
    if (embed.node.select.length === 0) {
      // An empty embed (`rel()`) only filters (`rel=not.is.null`, `!inner`); it is not output.
    } else if (embed.spread) {
      for (const name of outputNames(embed.node)) {
        columns.push(`${join}.${ident(name)} AS ${ident(name)}`)
        groupable.push(`${join}.${ident(name)}`)
      }
    } else {
      let value = embed.toOne ? `${join}.body` : `COALESCE(${join}.body, '[]')`
      if (aggregated) {
        // Next to an aggregate the embed is a grouping key; json has no equality, jsonb does.
        value = `(${value})::jsonb`
        groupable.push(value)
      }
      columns.push(`${value} AS ${ident(embed.key)}`)
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
    orderBy: orderSql(cache, node, node.order),
  }
}

/** The column names a node's projection produces (to lift a spread embed's columns). */
export function outputNames(node: PlanNode): string[] {
  const names: string[] = []
  for (const item of node.select) {
    if (item.kind === 'star') names.push(...node.relation.columns.map((c) => c.name))
    else if (item.kind === 'field')
      names.push(item.aggregate ? (item.alias ?? item.aggregate.fn) : fieldKey(item.field, item.alias))
    else if (item.kind === 'count') names.push(item.alias ?? 'count')
  }
  for (const embed of node.embeds) {
    if (embed.node.select.length === 0) continue
    if (embed.spread) names.push(...outputNames(embed.node))
    else names.push(embed.key)
  }
  return names
}

/** `ORDER BY` terms; `rel(col)` orders by a column of a to-one embed (PGRST118 otherwise). */
export function orderSql(cache: SchemaCache, node: PlanNode, terms: OrderTerm[]): string {
  return terms
    .map((term) => {
      let sql: string
      if (term.relation !== null) {
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

/** The lateral subquery producing an embed's `body` (object, array, or spread columns). */
function embedSql(cache: SchemaCache, parent: PlanNode, embed: EmbedNode, params: SqlParams): string {
  const child = embed.node
  const compiled = compileNode(cache, child, params)
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
    `SELECT ${embed.spread ? [compiled.columns, 'TRUE AS pgrst_found'].filter(Boolean).join(', ') : compiled.columns} FROM ${from} ${compiled.joins}` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    (compiled.groupBy ? ` GROUP BY ${compiled.groupBy}` : '') +
    (compiled.orderBy ? ` ORDER BY ${compiled.orderBy}` : '') +
    (child.limit !== null ? ` LIMIT ${child.limit}` : '') +
    (child.offset !== null ? ` OFFSET ${child.offset}` : '')
  if (embed.spread) return inner
  if (embed.toOne) return `SELECT row_to_json(pgrst_row) AS body FROM (${inner}) AS pgrst_row`
  return `SELECT json_agg(pgrst_row) AS body FROM (${inner}) AS pgrst_row`
}
