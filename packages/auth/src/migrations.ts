import { defineMigrations, type MigrationSet } from '@groundwork/core'
import initial from '../migrations/0001_auth.sql?raw'
import importColumns from '../migrations/0002_supabase_import_columns.sql?raw'
import revocationNotify from '../migrations/0003_revocation_notify.sql?raw'
import emailCanonicalForm from '../migrations/0004_email_canonical_form.sql?raw'
import appsKeys from '../migrations/0005_apps_keys.sql?raw'
import socialMfa from '../migrations/0006_social_mfa.sql?raw'
import oauthGrants from '../migrations/0007_oauth_grants.sql?raw'

/**
 * The `auth` MigrationSet: GoTrue-shaped `auth.users`, identities, sessions, hashed refresh and
 * one-time tokens, PKCE flow state, audit log and rate-limit counters; 0002 adds GoTrue's unused
 * token columns so a Supabase `auth.users` export loads unchanged (their contents are blanked); 0005 adds apps, API
 * keys and their request budgets; 0006 external sign-in states and MFA factors/challenges; 0007 OAuth grants on sessions (`oauth_client_id`, `scope`) and revoked client-credentials token ids. Needs core's migrations
 * first (schema `auth`, the request roles). Apply with core's `migrate(db, [...])`.
 */
export const migrations: MigrationSet = defineMigrations('auth', {
  '0001_auth.sql': initial,
  '0002_supabase_import_columns.sql': importColumns,
  '0003_revocation_notify.sql': revocationNotify,
  '0004_email_canonical_form.sql': emailCanonicalForm,
  '0005_apps_keys.sql': appsKeys,
  '0006_social_mfa.sql': socialMfa,
  '0007_oauth_grants.sql': oauthGrants,
})
