export type {
  AdminUserAttributes,
  ApiCall,
  ApiCallOptions,
  AuditLogEntryJson,
  AuthAdminApi,
  AuthApi,
  UserJson,
} from './api'
export type { CleanupResult } from './cleanup'
export { AUTH_CLEANUP_TASK } from './cleanup'
export type { Auth } from './create-auth'
export { createAuth } from './create-auth'
export type { GoTrueErrorCode } from './errors'
export { AuthError, authError, OAuthError, weakPasswordError } from './errors'
export type { AuthHooks, BeforeSignUpEvent, BeforeSignUpResult, CustomAccessTokenClaimsEvent } from './hooks'
export type { AccessTokenClaims, AmrEntry } from './jwt'
export type { AuthMailer, AuthMailMessage, AuthMailTemplate, AuthMailVariables } from './mailer'
export { migrations } from './migrations'
export type {
  AuthOptions,
  JwtOptions,
  PasswordPolicy,
  RateLimit,
  RateLimitOptions,
  ResolvedAuthOptions,
  SigningJwk,
} from './options'
export type { PasswordCheck, ScryptParams } from './passwords'
export { DEFAULT_SCRYPT_PARAMS, hashPassword, verifyPassword } from './passwords'
export type { AuthenticationMethod, SessionResponse } from './sessions'
export type { IdentityRow, User, UserRow } from './users'
export { toUserJson } from './users'
