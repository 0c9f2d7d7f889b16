import type { SchemaCache } from '../schema-cache/types'

/** Placeholder replaced below by the full generator. */
export function openApiDocument(cache: SchemaCache, schema: string, _url: URL): string {
  return JSON.stringify({
    openapi: '3.1.0',
    info: { title: schema, version: String(cache.version) },
    paths: {},
  })
}
