import type { Column, FunctionInfo, Relation, Relationship, SchemaCache } from '@groundwork/rest'
import type { TypeCatalog } from './catalog'
import { type NamedType, tsType, typeNameOfFormat } from './pg-types'

/** The PostgREST version the generated `Database` declares (postgrest-js picks its features by it). */
const POSTGREST_VERSION = '12'

const key = JSON.stringify
const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name)

/**
 * Renders the `Database` type of `supabase gen types typescript` from rest's schema cache: per
 * exposed schema `Tables` / `Views` (`Row`, `Insert`, `Update`, `Relationships`), `Functions`
 * (`Args`, `Returns`), `Enums` and `CompositeTypes`, then the helper types (`Tables<'todos'>`,
 * `TablesInsert`, `TablesUpdate`, `Enums`, `CompositeTypes`) and `Constants`. So
 * `createClient<Database>()` types every query, exactly as with Supabase.
 *
 * @see https://supabase.com/docs/guides/api/rest/generating-types
 * @see https://github.com/supabase/postgres-meta/blob/master/src/server/templates/typescript.ts
 */
export function renderTypes(cache: SchemaCache, catalog: TypeCatalog): string {
  const schemas = [...cache.schemas].sort()
  const exposed = new Set(schemas)
  const relations = [...cache.relations.values()]
  const named: NamedType[] = [
    ...catalog.enums.map((e) => ({
      schema: e.schema,
      name: e.name,
      kind: 'enum' as const,
      labels: e.labels,
    })),
    ...catalog.composites.map((c) => ({ schema: c.schema, name: c.name, kind: 'composite' as const })),
    ...relations.map((r) => ({
      schema: r.schema,
      name: r.name,
      kind: r.kind === 'view' || r.kind === 'materialized_view' ? ('view' as const) : ('table' as const),
    })),
  ]
  // An unqualified name (a column's udt name) resolves in the exposed schemas first, in order.
  const lookup = (schema: string | null, name: string) =>
    schema !== null
      ? named.find((t) => t.schema === schema && t.name === name)
      : (cache.schemas.map((s) => named.find((t) => t.schema === s && t.name === name)).find(Boolean) ??
        named.find((t) => t.name === name))
  const typeOf = (typeName: string) => tsType(typeName, lookup, exposed)
  const columnType = (column: Column) => `${typeOf(column.udtName)}${column.nullable ? ' | null' : ''}`
  const sortedColumns = (relation: Relation) => [...relation.columns].sort(byName)

  const lines: string[] = []
  const out = (indent: number, text: string) => lines.push(`${'  '.repeat(indent)}${text}`)
  const block = (indent: number, name: string, entries: readonly string[] | null, body?: () => void) => {
    if (entries !== null && entries.length === 0) {
      out(indent, `${name}: {`)
      out(indent + 1, '[_ in never]: never')
      out(indent, '}')
      return
    }
    out(indent, `${name}: {`)
    if (entries) for (const entry of entries) out(indent + 1, entry)
    body?.()
    out(indent, '}')
  }

  const relationshipsOf = (relation: Relation): Relationship[] =>
    (cache.relationships.get(`${relation.schema}.${relation.name}`) ?? [])
      .filter((r) => r.junction === null && r.computed === undefined && r.target.schema === relation.schema)
      .filter(
        (r) =>
          r.cardinality === 'many-to-one' ||
          (r.cardinality === 'one-to-one' &&
            catalog.foreignKeyHolders.has(`${relation.schema}.${relation.name}.${r.constraint}`)),
      )
      .sort(
        (a, b) =>
          a.constraint.localeCompare(b.constraint) ||
          a.target.name.localeCompare(b.target.name) ||
          key(a.targetColumns).localeCompare(key(b.targetColumns)),
      )

  const renderRelationships = (indent: number, relation: Relation) => {
    const relationships = relationshipsOf(relation)
    if (relationships.length === 0) {
      out(indent, 'Relationships: []')
      return
    }
    out(indent, 'Relationships: [')
    for (const r of relationships) {
      out(indent + 1, '{')
      out(indent + 2, `foreignKeyName: ${key(r.constraint)}`)
      out(indent + 2, `columns: ${key(r.sourceColumns)}`)
      out(indent + 2, `isOneToOne: ${r.cardinality === 'one-to-one'}`)
      out(indent + 2, `referencedRelation: ${key(r.target.name)}`)
      out(indent + 2, `referencedColumns: ${key(r.targetColumns)}`)
      out(indent + 1, '},')
    }
    out(indent, ']')
  }

  const computedColumns = (relation: Relation): string[] =>
    [...(cache.computedFields.get(`${relation.schema}.${relation.name}`)?.values() ?? [])]
      .filter((field) => field.returnRelation === null)
      .sort(byName)
      .map((field) => {
        const type = typeOf(typeNameOfFormat(field.returnType))
        return `${key(field.name)}: ${field.returnsSet ? `(${type})[]` : type} | null`
      })

  const renderTable = (indent: number, relation: Relation) => {
    const columns = sortedColumns(relation)
    out(indent, `${key(relation.name)}: {`)
    block(indent + 1, 'Row', [
      ...columns.map((c) => `${key(c.name)}: ${columnType(c)}`),
      ...computedColumns(relation),
    ])
    const identity = (c: Column) =>
      catalog.identityByDefault.has(`${relation.schema}.${relation.name}.${c.name}`)
    block(
      indent + 1,
      'Insert',
      columns.map((c) =>
        c.generated
          ? `${key(c.name)}?: never`
          : `${key(c.name)}${c.nullable || c.default !== null || identity(c) ? '?' : ''}: ${columnType(c)}`,
      ),
    )
    block(
      indent + 1,
      'Update',
      columns.map((c) => (c.generated ? `${key(c.name)}?: never` : `${key(c.name)}?: ${columnType(c)}`)),
    )
    renderRelationships(indent + 1, relation)
    out(indent, '}')
  }

  const renderView = (indent: number, relation: Relation) => {
    const columns = sortedColumns(relation)
    out(indent, `${key(relation.name)}: {`)
    block(indent + 1, 'Row', [
      ...columns.map((c) => `${key(c.name)}: ${columnType(c)}`),
      ...computedColumns(relation),
    ])
    if (relation.kind === 'view' && (relation.insertable || relation.updatable)) {
      const writable = columns.map((c) =>
        c.generated ? `${key(c.name)}?: never` : `${key(c.name)}?: ${typeOf(c.udtName)} | null`,
      )
      block(indent + 1, 'Insert', writable)
      block(indent + 1, 'Update', writable)
    }
    renderRelationships(indent + 1, relation)
    out(indent, '}')
  }

  const returnsOf = (fn: FunctionInfo): string => {
    let type: string
    const fields = (columns: readonly { name: string; udtName: string; nullable?: boolean }[]) =>
      `{ ${columns.map((c) => `${key(c.name)}: ${typeOf(c.udtName)}${c.nullable ? ' | null' : ''}`).join('; ')} }`
    const returned = fn.returnRelation
      ? cache.relations.get(`${fn.returnRelation.schema}.${fn.returnRelation.name}`)
      : undefined
    if (fn.returnShape === 'void') type = 'undefined'
    else if (returned) type = fields(sortedColumns(returned))
    else if ((fn.returnShape === 'record' || fn.returnShape === 'composite') && fn.columns.length > 0) {
      type = fields(fn.columns)
    } else type = typeOf(typeNameOfFormat(fn.returnType))
    return fn.returnsSet ? `${type}[]` : type
  }

  const argsOf = (fn: FunctionInfo): string => {
    if (fn.args.length === 0) return 'Record<PropertyKey, never>'
    return `{ ${fn.args
      .map((a) => `${key(a.name)}${a.hasDefault ? '?' : ''}: ${typeOf(a.udtName)}`)
      .join('; ')} }`
  }

  out(0, '// Generated by `groundwork gen types` from the REST schema cache, in the shape of')
  out(0, '// `supabase gen types typescript`. Do not edit: run the command again after a migration.')
  out(0, '')
  out(0, 'export type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[]')
  out(0, '')
  out(0, 'export type Database = {')
  out(1, '// Lets createClient<Database>() pick the PostgREST features the server speaks.')
  out(1, '__InternalSupabase: {')
  out(2, `PostgrestVersion: ${key(POSTGREST_VERSION)}`)
  out(1, '}')
  for (const schema of schemas) {
    const inSchema = relations.filter((r) => r.schema === schema).sort(byName)
    const tables = inSchema.filter((r) => r.kind !== 'view' && r.kind !== 'materialized_view')
    const views = inSchema.filter((r) => r.kind === 'view' || r.kind === 'materialized_view')
    // As postgres-meta: functions whose arguments are all named, or with one unnamed argument.
    const functions = [...cache.functions.entries()]
      .filter(([qualified]) => qualified.startsWith(`${schema}.`))
      .map(([, overloads]) =>
        overloads.filter((fn) => fn.args.every((a) => a.name !== '') || fn.args.length === 1),
      )
      .filter((overloads) => overloads.length > 0)
      .sort((a, b) => (a[0] as FunctionInfo).name.localeCompare((b[0] as FunctionInfo).name))
    const enums = catalog.enums.filter((e) => e.schema === schema)
    const composites = catalog.composites.filter((c) => c.schema === schema)

    out(1, `${key(schema)}: {`)
    block(2, 'Tables', tables.length === 0 ? [] : null, () => {
      for (const table of tables) renderTable(3, table)
    })
    block(2, 'Views', views.length === 0 ? [] : null, () => {
      for (const view of views) renderView(3, view)
    })
    block(2, 'Functions', functions.length === 0 ? [] : null, () => {
      for (const overloads of functions) {
        const first = overloads[0] as FunctionInfo
        out(3, `${key(first.name)}: {`)
        // Overloads: the arguments are a union; the return type is the first's, as postgres-meta.
        out(4, `Args: ${overloads.map(argsOf).join(' | ')}`)
        out(4, `Returns: ${returnsOf(first)}`)
        out(3, '}')
      }
    })
    block(
      2,
      'Enums',
      enums.map((e) => `${key(e.name)}: ${e.labels.map((label) => key(label)).join(' | ')}`),
    )
    block(2, 'CompositeTypes', composites.length === 0 ? [] : null, () => {
      for (const composite of composites) {
        block(
          3,
          key(composite.name),
          composite.attributes.map((a) => `${key(a.name)}: ${typeOf(a.type)} | null`),
        )
      }
    })
    out(1, '}')
  }
  out(0, '}')
  lines.push(helpers(schemas.includes('public') ? 'public' : (schemas[0] ?? 'public')))
  out(0, 'export const Constants = {')
  for (const schema of schemas) {
    out(1, `${key(schema)}: {`)
    out(2, 'Enums: {')
    for (const e of catalog.enums.filter((candidate) => candidate.schema === schema)) {
      out(3, `${key(e.name)}: [${e.labels.map((label) => key(label)).join(', ')}],`)
    }
    out(2, '},')
    out(1, '},')
  }
  out(0, '} as const')
  return `${lines.join('\n')}\n`
}

/** The helper types supabase's generator appends, for the default schema. */
function helpers(defaultSchema: string): string {
  return `
type DatabaseWithoutInternals = Omit<Database, "__InternalSupabase">

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, ${JSON.stringify(defaultSchema)}>]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
    ? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never = never,
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends { Row: infer R }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    ? (DefaultSchema["Tables"] & DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends { Row: infer R }
      ? R
      : never
    : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"] | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never,
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends { Insert: infer I }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends { Insert: infer I }
      ? I
      : never
    : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"] | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never,
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends { Update: infer U }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends { Update: infer U }
      ? U
      : never
    : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"] | { schema: keyof DatabaseWithoutInternals },
  EnumName extends DefaultSchemaEnumNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
    ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never = never,
> = DefaultSchemaEnumNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
    ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
    : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends PublicCompositeTypeNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
    ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never = never,
> = PublicCompositeTypeNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
    ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
    : never
`
}
