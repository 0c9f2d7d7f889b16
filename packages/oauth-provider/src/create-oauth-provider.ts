import {
  type AnyTaskDefinition,
  createSecretBox,
  type GroundworkService,
  type MigrationSet,
} from '@groundwork/core'
import { json, parseOptions } from '@groundwork/core/kit'
import { createProviderApi, type OAuthProviderApi } from './api'
import { createAuthorizations } from './authorize/authorizations'
import { createCleanupTask } from './cleanup'
import { createClientAuthenticator } from './clients/authenticate'
import { createClientStore } from './clients/store'
import { createHandler } from './http/handler'
import { createRateLimiter } from './internal/rate-limit'
import { authorizationServerMetadata, protectedResourceMetadata } from './metadata'
import { migrations } from './migrations'
import { createIdTokens } from './oidc/id-token'
import { createSigningKeys } from './oidc/keys'
import type { OAuthProviderOptions } from './options'
import { oauthProviderOptionsSchema, type ResolvedOAuthProviderOptions } from './options-schema'
import { createGrants } from './tokens/grants'

/** What {@link createOAuthProvider} returns. */
export interface OAuthProvider extends GroundworkService<OAuthProviderApi> {
  readonly name: 'oauth'
  /**
   * The provider's endpoints, relative to where it is mounted (the issuer): `/oauth/*`,
   * `/admin/oauth/clients*`, `/user/oauth/grants`, `/.well-known/*`. Compose it in front of auth's:
   * `composeHandlers(oauth.handler, auth.handler)`.
   */
  readonly handler: (request: Request) => Promise<Response>
  /**
   * The metadata a host serves at its root (RFC 8414 §3.1 inserts the well-known segment before
   * the issuer's path; RFC 9728 §3.1 likewise for resources): mount it at `/` —
   * `/.well-known/oauth-authorization-server<issuer path>`, `/.well-known/openid-configuration<issuer path>`
   * and `/.well-known/oauth-protected-resource<resource path>` for each of `resources`.
   */
  wellKnownHandler(resources?: readonly string[]): (request: Request) => Promise<Response>
  readonly options: ResolvedOAuthProviderOptions
}

/**
 * Creates the OAuth 2.1 / OpenID Connect authorization server on auth: clients on apps, the
 * authorization code grant with PKCE, refresh rotation with reuse detection, client credentials,
 * revocation (RFC 7009), introspection (RFC 7662), dynamic registration (RFC 7591), id_tokens,
 * userinfo and metadata (RFC 8414, OIDC Discovery, RFC 9728).
 *
 * @example
 * ```ts
 * const oauth = createOAuthProvider({ db, auth, issuer: 'https://app.example/auth/v1' })
 * await migrate(db, [coreMigrations, auth.migrations, oauth.migrations])
 * app.use('/auth/v1', toNodeHandler(composeHandlers(oauth.handler, auth.handler)))
 * app.use(toNodeHandler(oauth.wellKnownHandler(['https://app.example/rest/v1'])))
 * const client = await oauth.api.clients.create({ client_name: 'CLI', redirect_uris: ['http://127.0.0.1/callback'], token_endpoint_auth_method: 'none' })
 * ```
 * @see https://datatracker.ietf.org/doc/draft-ietf-oauth-v2-1/
 * @see https://openid.net/specs/openid-connect-core-1_0.html
 */
export function createOAuthProvider(input: OAuthProviderOptions): OAuthProvider {
  const options = parseOptions(oauthProviderOptionsSchema, input, 'createOAuthProvider')
  const { db, auth } = options
  const clients = createClientStore({ db, auth, scopes: options.scopes })
  const authenticateClient = createClientAuthenticator({
    db,
    clients,
    audiences: [
      options.issuer,
      `${options.issuer}/oauth/token`,
      `${options.issuer}/oauth/revoke`,
      `${options.issuer}/oauth/introspect`,
    ],
  })
  const authorizations = createAuthorizations({ db, auth, clients, options })
  const keys = createSigningKeys(db, options.idTokenAlgorithm, createSecretBox(options.encryptionKeys))
  const idToken = createIdTokens({ keys, issuer: options.issuer, lifetime: options.idTokenLifetime })
  const grants = createGrants({ auth, authorizations, idToken, options })
  const api = createProviderApi({
    db,
    auth,
    options,
    clients,
    authenticateClient,
    authorizations,
    grants,
    keys,
    limit: createRateLimiter(db),
  })
  const tasks: AnyTaskDefinition[] = [createCleanupTask(db)]
  const issuerPath = new URL(options.issuer).pathname.replace(/\/$/, '')

  return {
    name: 'oauth',
    handler: createHandler({ api, auth, db, options }),
    api,
    migrations: migrations as MigrationSet,
    tasks,
    options,
    start: async () => {},
    close: async () => {},
    wellKnownHandler(resources = []) {
      const byPath = new Map<string, Record<string, unknown>>()
      const server = authorizationServerMetadata(options)
      byPath.set(`/.well-known/oauth-authorization-server${issuerPath}`, server)
      byPath.set(`/.well-known/openid-configuration${issuerPath}`, server)
      for (const resource of resources) {
        const path = new URL(resource).pathname.replace(/\/$/, '')
        byPath.set(
          `/.well-known/oauth-protected-resource${path}`,
          protectedResourceMetadata(options, resource),
        )
      }
      return async (request) => {
        const found = byPath.get(new URL(request.url).pathname.replace(/\/$/, ''))
        if (!found || (request.method !== 'GET' && request.method !== 'HEAD')) {
          return json({ error: 'not_found', error_description: 'No such metadata' }, 404)
        }
        return json(found, 200, {
          'cache-control': 'public, max-age=300',
          'access-control-allow-origin': '*',
        })
      }
    },
  }
}
