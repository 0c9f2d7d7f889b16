import type { Route } from '../context'
import { logoutRoute } from './logout'
import { reauthenticateRoute } from './reauthenticate'
import { healthRoute, jwksRoute, settingsRoute } from './settings'
import { signupRoute } from './signup'
import { tokenRoute } from './token'
import { getUserRoute, updateUserRoute } from './user'

/** The accounts-and-sessions routes. */
export const coreRoutes: Route[] = [
  signupRoute,
  tokenRoute,
  getUserRoute,
  updateUserRoute,
  logoutRoute,
  reauthenticateRoute,
  settingsRoute,
  healthRoute,
  jwksRoute,
]
