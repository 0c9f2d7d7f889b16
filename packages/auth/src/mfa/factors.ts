/** A row of `auth.mfa_factors` (the secret never leaves the server). */
export interface FactorRow {
  id: string
  user_id: string
  friendly_name: string | null
  factor_type: 'totp'
  status: 'unverified' | 'verified'
  created_at: Date | string
  updated_at: Date | string
  last_challenged_at: Date | string | null
}

/**
 * A factor as GoTrue answers it (`models.Factor`; auth-js' `Factor`), in `user.factors` and the
 * admin factor list.
 *
 * @see https://github.com/supabase/auth/blob/master/internal/models/factor.go
 */
export interface Factor {
  id: string
  friendly_name?: string
  factor_type: 'totp'
  status: 'unverified' | 'verified'
  created_at: string
  updated_at: string
  last_challenged_at?: string
}

const iso = (value: Date | string): string => (value instanceof Date ? value : new Date(value)).toISOString()

/** Renders a factor row as GoTrue's JSON. */
export function toFactor(row: FactorRow): Factor {
  return {
    id: row.id,
    ...(row.friendly_name ? { friendly_name: row.friendly_name } : {}),
    factor_type: row.factor_type,
    status: row.status,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    ...(row.last_challenged_at ? { last_challenged_at: iso(row.last_challenged_at) } : {}),
  }
}

/** The columns of a {@link FactorRow}. */
export const FACTOR_COLUMNS =
  'id, user_id, friendly_name, factor_type, status, created_at, updated_at, last_challenged_at'
