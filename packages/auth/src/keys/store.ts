import type { Database } from '@groundwork/core'
import { databaseOption, optionsSchema, parseOptions } from '@groundwork/core/kit'
import { z } from 'zod'
import { guarded } from '../api/guarded'
import { type AppsApi, createApps } from './apps'
import { type ApiKeysApi, createApiKeys, type UserKeyStore } from './keys'
import type { KeyChangeListener } from './queries'

/** What {@link createKeyAdmin} returns: the apps and keys API over a database. */
export interface KeyAdmin {
  readonly apps: AppsApi
  readonly keys: ApiKeysApi
}

/** The store behind {@link KeyAdmin} and the self-service routes. */
export interface KeyStore extends KeyAdmin {
  readonly user: UserKeyStore
}

/**
 * Builds the apps and keys store on `db` (queries as the connecting role, which owns `auth.*`).
 * `listener` hears about changes this instance makes, so its key cache drops them at once.
 */
export function createKeyStore(db: Database, listener?: KeyChangeListener): KeyStore {
  return { apps: createApps(db, listener), ...createApiKeys(db, listener) }
}

/**
 * The apps and keys API on a database, without the rest of auth: for scripts and the
 * `groundwork apps|keys` CLI, which have a database but no JWT secret. `auth.api.apps` and
 * `auth.api.keys` are the same API (and also drop the changed entries from their key cache).
 *
 * @example
 * ```ts
 * const { apps, keys } = createKeyAdmin({ db })
 * const app = await apps.create({ name: 'Partner', owner_id, rate_limit: { requests: 1000, window_seconds: 60 } })
 * const { key } = await keys.create({ name: 'partner read', type: 'app', app_id: app.id })
 * ```
 */
export function createKeyAdmin(options: KeyAdminOptions): KeyAdmin {
  const { db } = parseOptions(keyAdminOptionsSchema, options, 'createKeyAdmin')
  const { apps, keys } = createKeyStore(db)
  return { apps: guarded(apps), keys: guarded(keys) }
}

/** Options of {@link createKeyAdmin}. */
export interface KeyAdminOptions {
  /** The core database holding the `auth` schema (migrated). Required. */
  db: Database
}

const keyAdminOptionsSchema = optionsSchema<KeyAdminOptions>()(z.object({ db: databaseOption }))
