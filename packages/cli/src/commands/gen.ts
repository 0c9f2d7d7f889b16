import { writeFile } from 'node:fs/promises'
import { createRest } from '@groundwork/rest'
import { stringFlag } from '../args'
import { defineGroup } from '../command'
import { UsageError } from '../context'
import { readTypeCatalog } from '../gen-types/catalog'
import { renderTypes } from '../gen-types/render'

/** A schema name as Postgres prints it unquoted or as the user typed it: letters, digits, `_`, `$`, `-`. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/

/**
 * `groundwork gen types [--schema public,api] [--output database.types.ts]`: the TypeScript
 * `Database` type of the exposed schemas, from the REST service's own schema cache, in the shape
 * `supabase gen types typescript` prints (so `createClient<Database>()` types every query).
 * Schemas default to `PGRST_DB_SCHEMAS` (as the demo reads it), else `public`.
 */
export const genGroup = defineGroup({
  name: 'gen',
  summary: 'Generate code from the database (TypeScript types for @groundwork/client)',
  commands: [
    {
      name: 'types',
      summary: 'Print the Database type of the exposed schemas (supabase gen types typescript shape)',
      usage: '[--schema public,api] [--output database.types.ts]',
      options: { schema: { type: 'string', multiple: true }, output: { type: 'string', short: 'o' } },
      async run(context, args) {
        if (args.positionals.length > 0) throw new UsageError(`Unexpected argument "${args.positionals[0]}"`)
        const flags = args.values.schema as unknown as string[] | undefined
        const fromEnv = context.io.env.PGRST_DB_SCHEMAS ?? context.io.env.PGRST_DB_SCHEMA
        const schemas = (flags && flags.length > 0 ? flags.join(',') : (fromEnv ?? 'public'))
          .split(',')
          .map((schema) => schema.trim())
          .filter(Boolean)
        if (schemas.length === 0) throw new UsageError('--schema: name at least one schema')
        for (const schema of schemas) {
          if (!SCHEMA_NAME.test(schema)) throw new UsageError(`--schema: not a schema name: "${schema}"`)
        }
        const db = context.database()
        // The REST service's schema cache: the same view of tables, views, functions and
        // relationships that /rest/v1 serves. No listener: a one-shot read.
        const rest = createRest({ db, schemas, listen: false })
        try {
          const cache = await rest.schemaCache()
          const missing = schemas.filter(
            (schema) =>
              ![...cache.relations.values()].some((r) => r.schema === schema) &&
              ![...cache.functions.keys()].some((name) => name.startsWith(`${schema}.`)),
          )
          if (missing.length > 0) context.info(`note: nothing exposed in schema(s) ${missing.join(', ')}`)
          const text = renderTypes(cache, await readTypeCatalog(db, schemas))
          const output = stringFlag(args.values.output)
          if (output) {
            await writeFile(output, text)
            context.info(`Wrote ${output}`)
          } else context.io.stdout(text)
        } finally {
          await rest.close()
        }
      },
    },
  ],
})
