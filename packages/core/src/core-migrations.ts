import bootstrap from '../migrations/0001_bootstrap.sql?raw'
import authEmail from '../migrations/0002_auth_email.sql?raw'
import { defineMigrations } from './migrations'

/**
 * Core's migrations: the request roles, `BYPASSRLS` for the service role, and Supabase's
 * `auth.uid()`, `auth.role()`, `auth.jwt()` and `auth.email()`.
 */
export const migrations = defineMigrations('core', {
  '0001_bootstrap.sql': bootstrap,
  '0002_auth_email.sql': authEmail,
})
