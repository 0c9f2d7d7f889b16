import type { FunctionInfo, Relation, SchemaCache } from '../schema-cache/types'
import { columnSchema, jsonSchemaForType } from './types'

type Json = Record<string, unknown>

const ref = (kind: string, name: string) => ({ $ref: `#/components/${kind}/${encodeURIComponent(name)}` })

/** What the caller may use, for PostgREST's `openapi-mode = follow-privileges`; null shows everything. */
export interface OpenApiVisibility {
  relations: ReadonlySet<string>
  functions: ReadonlySet<string>
}

/**
 * The OpenAPI 3.1 description of the exposed schema, built from the schema cache (PostgREST only
 * offers Swagger 2.0): one path per table/view with its verbs, row filters per column, the shared
 * `select`/`order`/`limit`/`offset`/`Range`/`Prefer` parameters, and `/rpc/<fn>` per function.
 *
 * @see https://spec.openapis.org/oas/v3.1.0
 * @see https://docs.postgrest.org/en/v14/references/api/openapi.html
 */
export function openApiDocument(
  cache: SchemaCache,
  schema: string,
  _url: URL,
  visible: OpenApiVisibility | null = null,
): string {
  const paths: Json = {}
  const schemas: Json = {}
  const parameters: Json = {
    select: {
      name: 'select',
      in: 'query',
      description: 'Columns and embedded resources to return',
      schema: { type: 'string' },
    },
    order: {
      name: 'order',
      in: 'query',
      description: 'Ordering, e.g. `id.desc.nullslast`',
      schema: { type: 'string' },
    },
    limit: {
      name: 'limit',
      in: 'query',
      description: 'Maximum number of rows',
      schema: { type: 'integer', minimum: 0 },
    },
    offset: {
      name: 'offset',
      in: 'query',
      description: 'Rows to skip',
      schema: { type: 'integer', minimum: 0 },
    },
    on_conflict: {
      name: 'on_conflict',
      in: 'query',
      description: 'Columns of the unique key for upserts',
      schema: { type: 'string' },
    },
    columns: {
      name: 'columns',
      in: 'query',
      description: 'Columns to take from the body',
      schema: { type: 'string' },
    },
    range: { name: 'Range', in: 'header', description: 'Row range, e.g. `0-24`', schema: { type: 'string' } },
    rangeUnit: { name: 'Range-Unit', in: 'header', schema: { type: 'string', default: 'items' } },
    preferCount: {
      name: 'Prefer',
      in: 'header',
      description: 'Count the total rows',
      schema: { type: 'string', enum: ['count=exact', 'count=planned', 'count=estimated'] },
    },
    preferReturn: {
      name: 'Prefer',
      in: 'header',
      description: 'What a write returns',
      schema: { type: 'string', enum: ['return=representation', 'return=minimal', 'return=headers-only'] },
    },
    preferPost: {
      name: 'Prefer',
      in: 'header',
      description: 'Write preferences',
      schema: {
        type: 'string',
        enum: [
          'return=representation',
          'return=minimal',
          'return=headers-only',
          'resolution=merge-duplicates',
          'resolution=ignore-duplicates',
          'missing=default',
        ],
      },
    },
  }
  const error = {
    description: 'Error',
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: {
            code: { type: 'string' },
            message: { type: 'string' },
            details: {},
            hint: { type: ['string', 'null'] },
          },
        },
      },
    },
  }

  for (const relation of [...cache.relations.values()].filter(
    (r) => r.schema === schema && (visible === null || visible.relations.has(r.name)),
  )) {
    schemas[relation.name] = relationSchema(relation)
    const filters = relation.columns.map((column) => {
      const key = `rowFilter.${relation.name}.${column.name}`
      parameters[key] = {
        name: column.name,
        in: 'query',
        description: `Filter on ${column.name} (${column.type}), e.g. \`eq.value\``,
        schema: { type: 'string' },
      }
      return ref('parameters', key)
    })
    const rows = {
      'application/json': { schema: { type: 'array', items: ref('schemas', relation.name) } },
      'application/vnd.pgrst.object+json': { schema: ref('schemas', relation.name) },
      'text/csv': { schema: { type: 'string' } },
    }
    const item: Json = {
      get: {
        tags: [relation.name],
        summary: relation.description ?? undefined,
        parameters: [
          ...filters,
          ref('parameters', 'select'),
          ref('parameters', 'order'),
          ref('parameters', 'range'),
          ref('parameters', 'rangeUnit'),
          ref('parameters', 'offset'),
          ref('parameters', 'limit'),
          ref('parameters', 'preferCount'),
        ],
        responses: {
          '200': { description: 'OK', content: rows },
          '206': { description: 'Partial Content', content: rows },
          default: error,
        },
      },
    }
    const body = {
      content: {
        'application/json': {
          schema: {
            oneOf: [ref('schemas', relation.name), { type: 'array', items: ref('schemas', relation.name) }],
          },
        },
        'text/csv': { schema: { type: 'string' } },
      },
    }
    const written = {
      '200': { description: 'OK', content: rows },
      '201': { description: 'Created', content: rows },
      '204': { description: 'No Content' },
      default: error,
    }
    if (relation.insertable) {
      item.post = {
        tags: [relation.name],
        parameters: [
          ref('parameters', 'select'),
          ref('parameters', 'columns'),
          ref('parameters', 'on_conflict'),
          ref('parameters', 'preferPost'),
        ],
        requestBody: body,
        responses: written,
      }
    }
    if (relation.updatable) {
      item.patch = {
        tags: [relation.name],
        parameters: [...filters, ref('parameters', 'select'), ref('parameters', 'preferReturn')],
        requestBody: { content: { 'application/json': { schema: ref('schemas', relation.name) } } },
        responses: written,
      }
    }
    if (relation.insertable && relation.updatable && relation.primaryKey.length > 0) {
      item.put = {
        tags: [relation.name],
        parameters: [...filters, ref('parameters', 'select'), ref('parameters', 'preferReturn')],
        requestBody: { content: { 'application/json': { schema: ref('schemas', relation.name) } } },
        responses: written,
      }
    }
    if (relation.deletable) {
      item.delete = {
        tags: [relation.name],
        parameters: [...filters, ref('parameters', 'select'), ref('parameters', 'preferReturn')],
        responses: written,
      }
    }
    paths[`/${relation.name}`] = prune(item)
  }

  for (const [key, overloads] of cache.functions) {
    if (!key.startsWith(`${schema}.`)) continue
    const fn = overloads[0] as FunctionInfo
    if (visible !== null && !visible.functions.has(fn.name)) continue
    const args = fn.args.filter((a) => a.name !== '')
    const properties = Object.fromEntries(args.map((a) => [a.name, jsonSchemaForType(a.type, a.udtName)]))
    const required = args.filter((a) => !a.hasDefault).map((a) => a.name)
    const result = rpcResultSchema(fn)
    const responses = {
      '200': { description: 'OK', content: { 'application/json': { schema: result } } },
      '204': { description: 'No Content' },
      default: error,
    }
    const item: Json = {
      post: {
        tags: ['(rpc) functions'],
        summary: fn.description ?? undefined,
        requestBody: {
          content: { 'application/json': { schema: { type: 'object', properties, required } } },
        },
        responses,
      },
    }
    if (fn.volatility !== 'volatile') {
      item.get = {
        tags: ['(rpc) functions'],
        summary: fn.description ?? undefined,
        parameters: args.map((a) => ({
          name: a.name,
          in: 'query',
          required: !a.hasDefault,
          schema: jsonSchemaForType(a.type, a.udtName),
        })),
        responses,
      }
    }
    paths[`/rpc/${fn.name}`] = prune(item)
  }

  return JSON.stringify({
    openapi: '3.1.0',
    info: {
      title: cache.schemaDescriptions.get(schema)?.split('\n')[0] ?? 'Groundwork REST API',
      description:
        cache.schemaDescriptions.get(schema) ?? `PostgREST-compatible API over the \`${schema}\` schema.`,
      version: '12',
    },
    paths,
    // A JWT in Authorization (the role claim picks the Postgres role), or Supabase's apikey header;
    // neither means the anonymous role.
    security: [{ bearer: [] }, { apikey: [] }, {}],
    components: {
      schemas,
      parameters,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        apikey: { type: 'apiKey', in: 'header', name: 'apikey' },
      },
    },
  })
}

function relationSchema(relation: Relation): Json {
  const required = relation.columns
    .filter((c) => !c.nullable && c.default === null && !c.generated)
    .map((c) => c.name)
  return {
    type: 'object',
    ...(relation.description ? { description: relation.description } : {}),
    ...(required.length > 0 ? { required } : {}),
    properties: Object.fromEntries(relation.columns.map((c) => [c.name, columnSchema(c)])),
  }
}

function rpcResultSchema(fn: FunctionInfo): Json {
  let single: Json
  if (fn.returnShape === 'void') return {}
  if (fn.returnRelation) single = ref('schemas', fn.returnRelation.name)
  else if (fn.returnShape === 'record' || fn.returnShape === 'composite') single = { type: 'object' }
  else single = jsonSchemaForType(fn.returnType, '')
  return fn.returnsSet ? { type: 'array', items: single } : single
}

/** Drops `undefined` summaries so the document stays clean JSON. */
function prune(value: Json): Json {
  return JSON.parse(JSON.stringify(value)) as Json
}
