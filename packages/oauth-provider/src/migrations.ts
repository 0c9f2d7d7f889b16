import { defineMigrations, type MigrationSet } from '@groundwork/core'
import initial from '../migrations/0001_oauth.sql?raw'
import replayedCodes from '../migrations/0002_replayed_codes.sql?raw'

/**
 * The `oauth` MigrationSet: schema `oauth` with `clients` (on auth's apps, secrets hashed),
 * `authorizations` (pending requests and their hashed single-use codes, `replayed` once presented
 * again), `consents`,
 * `signing_keys` (id_token keys), `used_assertions` and `rate_limits`. Apply it after auth's set
 * (which adds the grant columns to `auth.sessions`): `migrate(db, [core, auth.migrations, oauth.migrations])`.
 */
export const migrations: MigrationSet = defineMigrations('oauth', {
  '0001_oauth.sql': initial,
  '0002_replayed_codes.sql': replayedCodes,
})
