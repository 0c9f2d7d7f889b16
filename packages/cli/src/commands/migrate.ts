import { applySupabaseGrants, migrate } from '@groundwork/core'
import { stringFlag } from '../args'
import { defineGroup } from '../command'
import { MIGRATION_SETS } from '../migration-sets'

/**
 * `groundwork migrate`: applies core's and every known package's pending migrations; with
 * `--supabase-grants`, then gives the API roles Supabase's privileges on `public` (or the schemas
 * of `--supabase-grants-schemas a,b`) — see `applySupabaseGrants` and docs/migrating-from-supabase.md.
 */
export const migrateGroup = defineGroup({
  name: 'migrate',
  summary: 'Apply pending migrations of core and the installed packages',
  run: {
    name: 'migrate',
    summary: 'Apply pending migrations of core and the installed packages',
    usage: '[--supabase-grants [--supabase-grants-schemas public,api]]',
    options: {
      'supabase-grants': { type: 'boolean' },
      'supabase-grants-schemas': { type: 'string' },
    },
    async run(context, { values }) {
      const db = context.database()
      context.info(`groundwork: migrating ${MIGRATION_SETS.map((set) => set.name).join(', ')}`)
      const applied = await migrate(db, MIGRATION_SETS, {
        onProgress: ({ set, name, index, total }) => context.info(`  [${index + 1}/${total}] ${set}/${name}`),
      })
      let granted: string[] | undefined
      if (values['supabase-grants'] === true) {
        granted = (stringFlag(values['supabase-grants-schemas']) ?? 'public')
          .split(',')
          .map((schema) => schema.trim())
        await applySupabaseGrants(db, { schemas: granted })
        context.info(`groundwork: Supabase grants for the API roles on ${granted.join(', ')}`)
      }
      if (context.json) {
        context.result(granted ? { applied, supabaseGrants: granted } : { applied })
        return
      }
      if (applied.length === 0) context.result(null, 'Already up to date.')
      else context.result(null, `Applied ${applied.length} migration(s).`)
    },
  },
})
