/**
 * `@groundwork/client`: the SDK for Groundwork servers, in browsers and Node. REST, auth and
 * storage are the Supabase clients (`@supabase/postgrest-js`, `@supabase/auth-js`,
 * `@supabase/storage-js`) pointed at Groundwork's compatible endpoints; realtime (SSE), push
 * devices, API keys and OAuth consent and grants are Groundwork's own. `createClient` composes
 * them all; every module is also its own entry (`@groundwork/client/rest`, `/auth`, `/storage`,
 * `/realtime`, `/push`, `/keys`, `/oauth`) over a shared `createConnection`, so a bundle carries
 * only what it uses.
 *
 * @see https://github.com/groundwork/groundwork/blob/main/docs/client.md
 */

export type { AuthClientOptions, GroundworkAuthClient } from './auth'
export { createAuthClient } from './auth'
export type {
  AccessTokenSource,
  ConnectionOptions,
  GroundworkConnection,
  ServicePaths,
  TokenChange,
} from './connection'
export { createConnection } from './connection'
export type { ClientOptions, GroundworkClient } from './create-client'
export { createClient } from './create-client'
export type { ClientErrorCode, ClientResult } from './errors'
export { GroundworkClientError } from './errors'
export type {
  ApiKeyScope,
  CreatedUserApiKey,
  CreateUserApiKeyInput,
  KeysClient,
  UserApiKey,
} from './keys'
export { createKeysClient } from './keys'
export type {
  GroundworkOAuthClient,
  OAuthAuthorizationClient,
  OAuthAuthorizationDetails,
  OAuthGrant,
  OAuthRedirect,
} from './oauth'
export { createOAuthClient } from './oauth'
export type { PushClient, PushDevice, RegisterDeviceInput } from './push'
export { createPushClient } from './push'
export type {
  ChannelSubscription,
  RealtimeBroadcast,
  RealtimeChange,
  RealtimeClient,
  RealtimeClientOptions,
  RealtimeOptions,
  RealtimePresence,
  RealtimeStatus,
  RealtimeSubscription,
  SubscribeHandlers,
  TableSubscription,
} from './realtime/index'
export { createRealtime, createRealtimeClient, RealtimeClientError } from './realtime/index'
export type {
  DefaultSchemaNameOf,
  GroundworkRestClient,
  RestClientOptions,
  SchemaNameOf,
  ServerOptionsOf,
} from './rest'
export { createRestClient } from './rest'
export type { GroundworkStorageClient } from './storage'
export { createStorageClient } from './storage'
