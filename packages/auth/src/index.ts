export type { AdminUserAttributes, ApiCall, ApiCallOptions, AuthAdminApi, AuthApi, UserJson } from './api'
export type { AuditAction } from './audit'
export type { CleanupResult } from './cleanup'
export { AUTH_CLEANUP_TASK } from './cleanup'
export type { Route, RouteContext, RouteHandler, RouteMethod } from './context'
export type { Auth } from './create-auth'
export { createAuth } from './create-auth'
export type { GoTrueErrorCode } from './errors'
export { AuthError, authError, OAuthError, weakPasswordError } from './errors'
export type { AuthHooks, BeforeSignUpEvent, BeforeSignUpResult, CustomAccessTokenClaimsEvent } from './hooks'
export type { AccessTokenClaims, AmrEntry } from './jwt'
export type { AuthMailer, AuthMailMessage, AuthMailTemplate, AuthMailVariables } from './mailer'
export { migrations } from './migrations'
export type { OneTimeTokenType } from './one-time-tokens'
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
export type { AuthServices, PasswordService } from './services'
export type { AuthenticationMethod, IssueSessionOptions, SessionResponse } from './sessions'
export { hashToken } from './tokens'
export type { NewUser, User, UsersRepository } from './users'
export { toUserJson } from './users'
