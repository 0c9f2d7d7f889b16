import type { Column } from '../schema-cache/types'

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses) for a Postgres type name (`format_type` output). */
export function jsonSchemaForType(type: string, udtName: string): Record<string, unknown> {
  if (type.endsWith('[]')) {
    return { type: 'array', items: jsonSchemaForType(type.slice(0, -2), udtName.replace(/^_/, '')) }
  }
  const base = type.replace(/\(.*\)/, '').trim()
  switch (base) {
    case 'smallint':
    case 'integer':
      return { type: 'integer', format: 'int32' }
    case 'bigint':
      return { type: 'integer', format: 'int64' }
    case 'real':
      return { type: 'number', format: 'float' }
    case 'double precision':
      return { type: 'number', format: 'double' }
    case 'numeric':
      return { type: 'number' }
    case 'boolean':
      return { type: 'boolean' }
    case 'json':
    case 'jsonb':
      return {}
    case 'uuid':
      return { type: 'string', format: 'uuid' }
    case 'date':
      return { type: 'string', format: 'date' }
    case 'timestamp with time zone':
    case 'timestamp without time zone':
      return { type: 'string', format: 'date-time' }
    case 'time with time zone':
    case 'time without time zone':
      return { type: 'string', format: 'time' }
    case 'interval':
      return { type: 'string', format: 'duration' }
    case 'bytea':
      return { type: 'string', contentEncoding: 'base64' }
    default:
      return { type: 'string', ...(udtName && udtName !== base ? { format: base } : {}) }
  }
}

/** The schema of one column, with nullability, enum labels, length and description. */
export function columnSchema(column: Column): Record<string, unknown> {
  const schema: Record<string, unknown> = jsonSchemaForType(column.type, column.udtName)
  if (column.enumValues) {
    schema.type = 'string'
    schema.enum = column.enumValues
  }
  if (column.maxLength !== null) schema.maxLength = column.maxLength
  if (column.nullable && typeof schema.type === 'string') schema.type = [schema.type, 'null']
  const notes: string[] = []
  if (column.description) notes.push(column.description)
  if (column.primaryKey) notes.push('Note: This is a Primary Key.<pk/>')
  if (notes.length > 0) schema.description = notes.join('\n\n')
  if (column.default !== null) schema['x-default'] = column.default
  if (column.generated) schema.readOnly = true
  return schema
}
