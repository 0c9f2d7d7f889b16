import type { Route } from './route'
import { accountRoutes } from './routes/accounts'
import { adminRoutes } from './routes/admin'
import { apiKeyRoutes } from './routes/api-keys'
import { emailRoutes } from './routes/email'
import { mfaRoutes } from './routes/mfa'
import { serverRoutes } from './routes/server'
import { socialRoutes } from './routes/social'
import { tokenRoute } from './routes/token'
import { verifyLinkRoute } from './routes/verify-link'

/**
 * The GoTrue routes this handler serves, relative to where it is mounted, and Groundwork's apps
 * and API keys (`/admin/apps`, `/admin/api-keys`, `/user/api-keys`).
 *
 * @see https://github.com/supabase/auth#endpoints
 */
export const ROUTES: readonly Route[] = [
  ...accountRoutes,
  tokenRoute,
  ...emailRoutes,
  verifyLinkRoute,
  ...adminRoutes,
  ...apiKeyRoutes,
  ...serverRoutes,
  ...socialRoutes,
  ...mfaRoutes,
]
