import { json } from '../response'
import type { Route } from '../route'

/** `GET /settings`, `GET /health` and `GET /.well-known/jwks.json`. */
export const serverRoutes: Route[] = [
  { method: 'GET', path: '/settings', handler: async (_req, { api }) => json(await api.getSettings()) },
  { method: 'GET', path: '/health', handler: async (_req, { api }) => json(await api.health()) },
  {
    method: 'GET',
    path: '/.well-known/jwks.json',
    handler: async (_req, { api }) => json(await api.jwks(), 200, { 'cache-control': 'public, max-age=600' }),
  },
]
