import bootstrap from '../migrations/0001_bootstrap.sql?raw'
import { defineMigrations } from './migrations'

/** Core's migrations: the request roles, `BYPASSRLS` for the service role, and `auth.uid()`/`auth.role()`/`auth.jwt()`. */
export const migrations = defineMigrations('core', { '0001_bootstrap.sql': bootstrap })
