import { migrate } from '@groundwork/core'
import { defineGroup } from '../command'
import { MIGRATION_SETS } from '../migration-sets'

/** `groundwork migrate`: applies core's and every known package's pending migrations. */
export const migrateGroup = defineGroup({
  name: 'migrate',
  summary: 'Apply pending migrations of core and the installed packages',
  run: {
    name: 'migrate',
    summary: 'Apply pending migrations of core and the installed packages',
    async run(context) {
      const db = context.database()
      context.info(`groundwork: migrating ${MIGRATION_SETS.map((set) => set.name).join(', ')}`)
      const applied = await migrate(db, MIGRATION_SETS, {
        onProgress: ({ set, name, index, total }) => context.info(`  [${index + 1}/${total}] ${set}/${name}`),
      })
      if (context.json) {
        context.result({ applied })
        return
      }
      if (applied.length === 0) context.result(null, 'Already up to date.')
      else context.result(null, `Applied ${applied.length} migration(s).`)
    },
  },
})
