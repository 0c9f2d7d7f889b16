/**
 * PostgreSQL type → TypeScript type, as `supabase gen types typescript` (postgres-meta's
 * typegen) maps them: JSON numbers for every numeric type (int8 and numeric included), strings
 * for text, dates, times and uuids, `Json` for json/jsonb, arrays of the element type, enums
 * and composite types by reference into `Database`.
 *
 * @see https://supabase.com/docs/guides/api/rest/generating-types
 */

const NUMBER = new Set(['int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'oid'])
const STRING = new Set([
  'bytea',
  'bpchar',
  'char',
  'varchar',
  'date',
  'text',
  'citext',
  'name',
  'time',
  'timetz',
  'timestamp',
  'timestamptz',
  'uuid',
  'vector',
  'interval',
  'inet',
  'cidr',
  'macaddr',
  'money',
  'tsvector',
  'xml',
])

/** `format_type()` spellings (what function return types carry) → type names. */
const FORMAT_NAMES: Record<string, string> = {
  smallint: 'int2',
  integer: 'int4',
  bigint: 'int8',
  real: 'float4',
  'double precision': 'float8',
  boolean: 'bool',
  'character varying': 'varchar',
  character: 'bpchar',
  'timestamp without time zone': 'timestamp',
  'timestamp with time zone': 'timestamptz',
  'time without time zone': 'time',
  'time with time zone': 'timetz',
}

/** A named type the generated `Database` refers to (enum, composite type, table or view row). */
export interface NamedType {
  schema: string
  name: string
  kind: 'enum' | 'composite' | 'table' | 'view'
  /** Enum labels (for enums outside the exposed schemas, which are inlined). */
  labels?: readonly string[]
}

/** Turns a `format_type()` string (`integer[]`, `character varying(20)`, `public.mood`) into a type name. */
export function typeNameOfFormat(format: string): string {
  let text = format.trim().replace(/^SETOF\s+/i, '')
  let arrays = 0
  while (text.endsWith('[]')) {
    text = text.slice(0, -2)
    arrays++
  }
  text = text.replace(/\(.*\)$/, '').replaceAll('"', '')
  // `timestamp(3) with time zone`: modifiers in the middle.
  text = text.replace(/\(\d+(,\d+)?\)/, '').replace(/\s+/g, ' ')
  const base = FORMAT_NAMES[text] ?? text
  return `${'_'.repeat(Math.min(arrays, 1))}${base}`
}

/**
 * The TypeScript type of a PostgreSQL type name (`int4`, `_text`, `mood`, `public.mood`).
 * `lookup` finds enums, composite types and row types; `exposed` says which schemas `Database` has.
 */
export function tsType(
  typeName: string,
  lookup: (schema: string | null, name: string) => NamedType | undefined,
  exposed: ReadonlySet<string>,
): string {
  if (typeName === 'bool') return 'boolean'
  if (NUMBER.has(typeName)) return 'number'
  if (STRING.has(typeName)) return 'string'
  if (typeName === 'json' || typeName === 'jsonb') return 'Json'
  if (typeName === 'void') return 'undefined'
  if (typeName === 'record') return 'Record<string, unknown>'
  if (typeName.startsWith('_')) return `(${tsType(typeName.slice(1), lookup, exposed)})[]`
  const dot = typeName.indexOf('.')
  const named = dot > 0 ? lookup(typeName.slice(0, dot), typeName.slice(dot + 1)) : lookup(null, typeName)
  if (!named) return 'unknown'
  if (!exposed.has(named.schema)) {
    return named.kind === 'enum' && named.labels
      ? named.labels.map((label) => JSON.stringify(label)).join(' | ')
      : 'unknown'
  }
  const schema = JSON.stringify(named.schema)
  const name = JSON.stringify(named.name)
  switch (named.kind) {
    case 'enum':
      return `Database[${schema}]["Enums"][${name}]`
    case 'composite':
      return `Database[${schema}]["CompositeTypes"][${name}]`
    case 'table':
      return `Database[${schema}]["Tables"][${name}]["Row"]`
    case 'view':
      return `Database[${schema}]["Views"][${name}]["Row"]`
  }
}
