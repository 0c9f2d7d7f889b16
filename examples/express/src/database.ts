import { createHash } from 'node:crypto'
import { createDatabase, type Database, migrate, setupConnectingRole } from '@groundwork/core'
import type { Demo } from './app'

/** The login role the demo's services connect as: not a superuser, member of the request roles only. */
export const APP_ROLE = 'groundwork_app'

/** The schemas of Groundwork's own tables, owned by the connecting role. */
export const GROUNDWORK_SCHEMAS = [
  'groundwork',
  'auth',
  'jobs',
  'graphile_worker',
  'mail',
  'realtime',
  'storage',
  'push',
  'oauth',
  'webhooks',
]

/** The connecting role's password: stable for one JWT secret, so several instances agree. */
export function appRolePassword(jwtSecret: string): string {
  return createHash('sha256').update(`groundwork-app-role:${jwtSecret}`).digest('base64url')
}

/** `adminUrl` with the connecting role's credentials. */
export function appRoleUrl(adminUrl: string, password: string): string {
  const url = new URL(adminUrl)
  url.username = APP_ROLE
  url.password = password
  return url.toString()
}

/** Whether `db` connects as a role that may create roles and hand over ownership (a superuser). */
export async function isSuperuser(db: Database): Promise<boolean> {
  const { rows } = await db.query<{ rolsuper: boolean }>(
    'select rolsuper from pg_catalog.pg_roles where rolname = current_user',
  )
  return rows[0]?.rolsuper === true
}

/**
 * Where the services run: as {@link APP_ROLE} when `admin` is a superuser (the production setup,
 * docs/security.md), else as `admin` itself (a host that already connects as its own
 * non-superuser role).
 */
export async function runtimeDatabase(
  admin: Database,
  adminUrl: string,
  jwtSecret: string,
): Promise<{ db: Database; role: string }> {
  if (!(await isSuperuser(admin))) {
    const { rows } = await admin.query<{ user: string }>('select current_user as user')
    return { db: admin, role: rows[0]?.user ?? '' }
  }
  const url = appRoleUrl(adminUrl, appRolePassword(jwtSecret))
  return { db: createDatabase({ connectionString: url, logger: admin.logger }), role: APP_ROLE }
}

/**
 * Applies every migration as the migrating role, then (as a superuser) makes {@link APP_ROLE}
 * the owner of Groundwork's own objects — again after each run, so new migrations' objects follow.
 */
export async function prepareDatabase(
  admin: Database,
  demo: Demo,
  options: { jwtSecret: string; onProgress?: (line: string) => void },
): Promise<number> {
  const applied = await migrate(admin, demo.migrationSets, {
    onProgress: ({ set, name, index, total }) =>
      options.onProgress?.(`  [${index + 1}/${total}] ${set}/${name}`),
  })
  if (await isSuperuser(admin)) {
    await setupConnectingRole(admin, {
      role: APP_ROLE,
      password: appRolePassword(options.jwtSecret),
      schemas: GROUNDWORK_SCHEMAS,
    })
  }
  return applied.length
}
