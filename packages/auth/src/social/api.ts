import * as oauth from 'oauth4webapi'
import type { AuthCallContext } from '../api/context'
import { AuthError, OAuthError } from '../errors'
import { parsePkce } from '../flows/pkce'
import type { AuthServices } from '../services'
import type { Session } from '../sessions/types'
import { stringParam } from '../users/validation'
import { accountForIdentity, unlinkIdentity } from './accounts'
import { createProviderRegistry, type ProviderRegistry } from './registry'
import { completeFlowState, startExternalFlow, takeExternalFlow } from './state'

/** What starts an external sign-in (`GET /authorize`) or a link (`GET /user/identities/authorize`). */
export interface AuthorizeInput {
  /** A configured provider's name (`github`, `google`, a generic provider's name). */
  provider: string
  /** Where the callback sends the user; must already be allow-listed (the handler resolves it). */
  redirectTo: string
  /** Space- or comma-separated extra scopes (auth-js `options.scopes`). */
  scopes?: string
  /** The client's PKCE challenge (auth-js sends it in the PKCE flow); without one: the implicit flow. */
  codeChallenge?: string
  codeChallengeMethod?: string
  /** Extra authorization request parameters forwarded to the provider (`prompt`, `login_hint`, …). */
  queryParams?: Record<string, string>
}

/** Where `GET /callback` sends the user: `redirect_to` with `?code=`, the session in the fragment, or an error. */
export interface CallbackResult {
  location: string
}

/** Input of `POST /token?grant_type=id_token`. */
export interface SignInWithIdTokenInput {
  provider: string
  idToken: string
  /** The raw nonce whose SHA-256 (hex) the id_token carries (or the nonce itself). */
  nonce?: string
  /** The provider's access token, answered back as `provider_token`. */
  accessToken?: string
}

/** A session from an external sign-in, with the provider's tokens as GoTrue answers them. */
export type ExternalSession = Session & { provider_token?: string; provider_refresh_token?: string }

/** `auth.api.social`: social sign-in and identity linking. */
export interface SocialApi {
  /**
   * Starts a sign-in with a provider (`GET /authorize`): returns the provider's authorization URL.
   * 400 `validation_failed` "Unsupported provider: provider is not enabled" for an unknown one.
   * @see https://supabase.com/docs/reference/javascript/auth-signinwithoauth
   */
  authorize(input: AuthorizeInput, ctx?: AuthCallContext): Promise<string>
  /**
   * Finishes it (`GET|POST /callback` with the provider's `code` and `state`): where to send the
   * browser — `redirect_to?code=` (PKCE; redeem with `exchangeCodeForSession`), `redirect_to#access_token=…`
   * (implicit), or `redirect_to?error=…&error_code=…&error_description=…` (also in the fragment).
   */
  callback(params: URLSearchParams, ctx?: AuthCallContext): Promise<CallbackResult>
  /**
   * Signs in with an id_token from a provider's native SDK (`POST /token?grant_type=id_token`).
   * @see https://supabase.com/docs/reference/javascript/auth-signinwithidtoken
   */
  signInWithIdToken(input: SignInWithIdTokenInput, ctx?: AuthCallContext): Promise<ExternalSession>
  /**
   * Starts linking a provider to the signed-in user (`GET /user/identities/authorize`); 404
   * `manual_linking_disabled` unless `social.manualLinking`.
   * @see https://supabase.com/docs/reference/javascript/auth-linkidentity
   */
  linkIdentity(accessToken: string, input: AuthorizeInput, ctx?: AuthCallContext): Promise<string>
  /**
   * Links the identity of a provider's id_token to the signed-in user (`POST
   * /token?grant_type=id_token` with `link_identity: true` and the user's access token, as auth-js
   * `linkIdentity({ provider, token })` sends it) and answers a new session of that user; 404
   * `manual_linking_disabled` unless `social.manualLinking`, 422 `identity_already_exists` when
   * another user has the identity.
   * @see https://supabase.com/docs/reference/javascript/auth-linkidentity
   */
  linkIdentityWithIdToken(
    accessToken: string,
    input: SignInWithIdTokenInput,
    ctx?: AuthCallContext,
  ): Promise<ExternalSession>
  /**
   * Removes an identity of the signed-in user (`DELETE /user/identities/{identity_id}`); never the last one.
   * @see https://supabase.com/docs/reference/javascript/auth-unlinkidentity
   */
  unlinkIdentity(accessToken: string, identityId: string, ctx?: AuthCallContext): Promise<void>
  /** The names of the enabled providers (what `GET /settings` reports as enabled). */
  providers(): Promise<string[]>
}

const RESERVED_PARAMS = new Set([
  'provider',
  'scopes',
  'redirect_to',
  'code_challenge',
  'code_challenge_method',
  'skip_http_redirect',
  'client_id',
  'redirect_uri',
  'response_type',
  'scope',
  'state',
  'nonce',
  'response_mode',
])

/** GoTrue's `oauthErrorMap`: the OAuth `error` of an error redirect, by status. */
const OAUTH_ERROR: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized_client',
  403: 'access_denied',
  404: 'invalid_request',
  422: 'invalid_request',
  429: 'invalid_request',
  500: 'server_error',
}

/** GoTrue's error redirect: `error`, `error_code`, `error_description` in the query and the fragment. */
export function errorLocation(redirectTo: string, error: AuthError): string {
  const url = new URL(redirectTo)
  const params = new URLSearchParams({
    error: OAUTH_ERROR[error.status] ?? 'server_error',
    error_code: error.errorCode,
    error_description: error.status >= 500 ? 'Unexpected failure' : error.message,
  })
  for (const [name, value] of params) url.searchParams.set(name, value)
  url.hash = params.toString()
  return url.toString()
}

/** Builds {@link SocialApi}; resolves every configured provider now, so a bad one fails `createAuth`. */
export function createSocialApi(services: AuthServices): SocialApi {
  const registry: ProviderRegistry = createProviderRegistry(services.options.social, services.externalUrl)
  const social = services.options.social

  async function start(input: AuthorizeInput, linkUserId: string | null): Promise<string> {
    const entry = registry.get(stringParam(input.provider))
    if (!entry) {
      throw new AuthError('validation_failed', 'Unsupported provider: provider is not enabled', {
        status: 400,
      })
    }
    const pkce = parsePkce({
      codeChallenge: input.codeChallenge,
      codeChallengeMethod: input.codeChallengeMethod,
    })
    const codeVerifier = oauth.generateRandomCodeVerifier()
    const nonce = entry.client.definition.kind === 'oidc' ? oauth.generateRandomNonce() : null
    // One statement: autocommit, no explicit transaction needed.
    const state = await startExternalFlow(services.db, {
      provider: entry.name,
      codeVerifier,
      nonce,
      redirectTo: input.redirectTo,
      pkce,
      linkUserId,
    })
    const extra: Record<string, string> = {}
    for (const [key, value] of Object.entries(input.queryParams ?? {})) {
      if (!RESERVED_PARAMS.has(key) && typeof value === 'string') extra[key] = value
    }
    const scopes = (input.scopes ?? '').split(/[\s,]+/).filter(Boolean)
    const url = await entry.client.authorizationUrl({
      redirectUri: entry.redirectUri,
      state,
      codeVerifier,
      nonce,
      scopes,
      extra,
    })
    return url.toString()
  }

  /** The id_token grant: verify the token, find (or link `linkUserId` to) the account, open a session. */
  async function idTokenSession(
    input: SignInWithIdTokenInput,
    linkUserId: string | null,
    ctx: AuthCallContext,
  ): Promise<ExternalSession> {
    const name = stringParam(input.provider)
    const idToken = stringParam(input.idToken)
    if (!name || !idToken) {
      throw new OAuthError('invalid_request', 'provider or client_id and issuer required')
    }
    const entry = registry.get(name)
    if (!entry) {
      throw new OAuthError('invalid_request', `Custom OIDC provider "${name}" not allowed`)
    }
    const nonce = typeof input.nonce === 'string' ? input.nonce : undefined
    const profile = await entry.client.verifyIdToken(idToken, nonce)
    const session = await services.transact(async (tx) => {
      const user = await accountForIdentity(
        services,
        tx,
        {
          provider: entry.name,
          issuer: entry.client.definition.issuer,
          profile,
          linkUserId,
          redirectTo: services.options.siteUrl,
        },
        ctx,
      )
      return services.sessions.issue(tx, user, { amr: 'oauth', ip: ctx.ip, userAgent: ctx.userAgent })
    })
    const accessToken =
      typeof input.accessToken === 'string' && input.accessToken ? input.accessToken : undefined
    return accessToken ? { ...session, provider_token: accessToken } : session
  }

  return {
    providers: async () => registry.names(),

    authorize: (input) => start(input, null),

    async linkIdentity(accessToken, input) {
      if (!social.manualLinking) {
        throw new AuthError('manual_linking_disabled', 'Manual linking is disabled', { status: 404 })
      }
      const { user } = await services.tokens.accountUser(accessToken)
      return start(input, user.id)
    },

    async unlinkIdentity(accessToken, identityId, ctx = {}) {
      if (!social.manualLinking) {
        throw new AuthError('manual_linking_disabled', 'Manual linking is disabled', { status: 404 })
      }
      const { user: signedIn } = await services.tokens.accountUser(accessToken)
      await services.transact(async (tx) => {
        const user = await services.users.findById(tx, signedIn.id, { forUpdate: true })
        if (!user) throw new AuthError('user_not_found', 'User not found', { status: 404 })
        await unlinkIdentity(tx, user, stringParam(identityId))
        await services.audit(tx, 'identity_unlinked', user, {
          ip: ctx.ip,
          traits: { identity_id: identityId },
        })
      })
    },

    async callback(params, ctx = {}) {
      const flow = await takeExternalFlow(services.db, params.get('state') ?? '', social.stateTtl)
      if (!flow || flow.expired) {
        // Without a valid state nothing tells where the user came from: GoTrue redirects to the site URL.
        const error = new AuthError('bad_oauth_state', 'OAuth state is invalid or has expired', {
          status: 400,
        })
        return { location: errorLocation(services.options.siteUrl, error) }
      }
      const entry = registry.get(flow.provider)
      try {
        if (!entry) {
          throw new AuthError('validation_failed', 'Unsupported provider: provider is not enabled', {
            status: 400,
          })
        }
        const exchanged = await entry.client.exchange({
          redirectUri: entry.redirectUri,
          callback: params,
          state: params.get('state') ?? '',
          codeVerifier: flow.codeVerifier,
          nonce: flow.nonce,
        })
        return await services.transact(async (tx) => {
          const user = await accountForIdentity(
            services,
            tx,
            {
              provider: entry.name,
              issuer: entry.client.definition.issuer,
              profile: exchanged.profile,
              linkUserId: flow.linkUserId,
              redirectTo: flow.redirectTo,
            },
            ctx,
          )
          if (flow.flowStateId) {
            const code = await completeFlowState(tx, flow.flowStateId, {
              userId: user.id,
              providerAccessToken: exchanged.accessToken,
              providerRefreshToken: exchanged.refreshToken,
            })
            if (!code)
              throw new AuthError('flow_state_not_found', 'No valid flow state found for user.', {
                status: 422,
              })
            const url = new URL(flow.redirectTo)
            url.searchParams.set('code', code)
            return { location: url.toString() }
          }
          const session = await services.sessions.issue(tx, user, {
            amr: 'oauth',
            ip: ctx.ip,
            userAgent: ctx.userAgent,
          })
          const fragment = new URLSearchParams({
            access_token: session.access_token,
            expires_at: String(session.expires_at),
            expires_in: String(session.expires_in),
            provider_token: exchanged.accessToken,
            ...(exchanged.refreshToken ? { provider_refresh_token: exchanged.refreshToken } : {}),
            refresh_token: session.refresh_token,
            token_type: session.token_type,
          })
          const url = new URL(flow.redirectTo)
          url.hash = fragment.toString()
          return { location: url.toString() }
        })
      } catch (error) {
        if (error instanceof AuthError && error.status < 500)
          return { location: errorLocation(flow.redirectTo, error) }
        throw error
      }
    },

    signInWithIdToken: (input, ctx = {}) => idTokenSession(input, null, ctx),

    async linkIdentityWithIdToken(accessToken, input, ctx = {}) {
      if (!social.manualLinking) {
        throw new AuthError('manual_linking_disabled', 'Manual linking is disabled', { status: 404 })
      }
      const { user } = await services.tokens.accountUser(accessToken)
      return idTokenSession(input, user.id, ctx)
    },
  }
}
