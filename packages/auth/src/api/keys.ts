import type { CreateUserApiKeyInput } from '../keys/inputs'
import type { ApiKey, CreatedApiKey } from '../keys/model'
import type { AuthServices } from '../services'
import type { AuthCallContext } from './context'

/**
 * `auth.api.userKeys`: a signed-in user's own app keys, like personal access tokens
 * (`GET|POST /user/api-keys`, `DELETE /user/api-keys/{id}`). Each call takes the user's access
 * token (a session's JWT: an API key cannot mint or revoke keys) and checks it as `GET /user` does.
 */
export interface UserApiKeysApi {
  /** The user's app keys, newest first, revoked ones included. */
  list(accessToken: string): Promise<ApiKey[]>
  /**
   * Creates an `app` key acting as the user (scopes default to `['read']`), optionally of one of
   * the user's own apps (404 `app_not_found` for anyone else's). `key` is shown this once.
   */
  create(accessToken: string, input: CreateUserApiKeyInput, ctx?: AuthCallContext): Promise<CreatedApiKey>
  /** Revokes one of the user's keys; 404 `api_key_not_found` for anyone else's. */
  revoke(accessToken: string, id: string, ctx?: AuthCallContext): Promise<void>
}

/** Builds {@link UserApiKeysApi}. */
export function createUserKeysApi(services: AuthServices): UserApiKeysApi {
  const { keyStore, tokens } = services
  const actorOf = async (accessToken: string) => {
    const { user } = await tokens.accountUser(accessToken)
    return { id: user.id, email: user.email, phone: user.phone }
  }
  return {
    async list(accessToken) {
      return keyStore.user.list((await actorOf(accessToken)).id)
    },
    async create(accessToken, input, ctx = {}) {
      const actor = await actorOf(accessToken)
      return keyStore.user.create(actor.id, input, { ...ctx, actor })
    },
    async revoke(accessToken, id, ctx = {}) {
      const actor = await actorOf(accessToken)
      await keyStore.user.revoke(actor.id, id, { ...ctx, actor })
    },
  }
}
