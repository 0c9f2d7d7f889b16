import { z } from 'zod'

/** Names of the three request roles; Supabase's by default so its policies run unchanged. */
export interface RoleNames {
  /** Role for requests without a token. @default 'anon' */
  anon: string
  /** Role for signed-in users. @default 'authenticated' */
  authenticated: string
  /** Role for trusted servers; has BYPASSRLS where the connecting user may grant it. @default 'service_role' */
  service: string
}

export const DEFAULT_ROLES: RoleNames = {
  anon: 'anon',
  authenticated: 'authenticated',
  service: 'service_role',
}

const roleName = z.string().min(1).max(63)

export const roleNamesSchema = z
  .object({ anon: roleName.optional(), authenticated: roleName.optional(), service: roleName.optional() })
  .optional()
  .transform(
    (roles): RoleNames => ({
      ...DEFAULT_ROLES,
      ...Object.fromEntries(Object.entries(roles ?? {}).filter(([, v]) => v !== undefined)),
    }),
  )
