export type { SignInWithPasswordInput, SignInWithPasswordResult } from './accounts/sign-in'
export type { SignUpInput, SignUpResult } from './accounts/sign-up'
export type { UserAttributes } from './accounts/update-user'
export type { AdminUserAttributes } from './admin/attributes'
export type { AuditLogEntry, AuditLogPage, AuditLogParams } from './admin/audit-log'
export type { GenerateLinkParams, GenerateLinkResult, GenerateLinkType } from './admin/generate-link'
export type { InviteOptions } from './admin/invite'
export type { PageInfo, PageParams } from './admin/pagination'
export type { ListUsersParams, UserList } from './admin/users'
export type { AccountsApi, VerifiedAccessToken } from './api/accounts'
export type { AuthAdminApi } from './api/admin'
export type { AuditActor, AuthCallContext } from './api/context'
export type { EmailApi } from './api/email'
export type { AuthApi } from './api/index'
export type { UserApiKeysApi } from './api/keys'
export type { AuthHealth, AuthSettings, ServerApi } from './api/server'
export type { CleanupResult } from './cleanup'
export { AUTH_CLEANUP_TASK } from './cleanup'
export type { Auth } from './create-auth'
export { createAuth } from './create-auth'
export type { AuthErrorCode, AuthErrorOptions, GoTrueErrorCode, OAuthErrorName } from './errors'
export { AuthError, authError, OAuthError, weakPasswordError } from './errors'
export type { EmailVerifyType } from './flows/one-time-tokens'
export type { SignInWithOtpInput } from './flows/otp'
export type { ResetPasswordOptions } from './flows/recover'
export type { ResendInput } from './flows/resend'
export type { VerifyLinkResult, VerifyOtpInput, VerifyOtpResult } from './flows/verify'
export type { AuthHooks, BeforeSignUpEvent, BeforeSignUpResult, CustomAccessTokenClaimsEvent } from './hooks'
export type { AppsApi } from './keys/apps'
export type { ApiKeyType } from './keys/format'
export { API_KEY_TYPES } from './keys/format'
export type {
  CreateApiKeyInput,
  CreateAppInput,
  CreateUserApiKeyInput,
  ListApiKeysParams,
  ListAppsParams,
  UpdateAppInput,
} from './keys/inputs'
export type { ApiKeysApi } from './keys/keys'
export type { ApiKey, ApiKeyScope, ApiRateLimit, App, CreatedApiKey } from './keys/model'
export type { KeyAdmin, KeyAdminOptions } from './keys/store'
export { createKeyAdmin } from './keys/store'
export type { AuthMailer, AuthMailMessage, AuthMailTemplate, AuthMailVariables } from './mailer'
export type {
  EnrolledFactor,
  EnrollFactorInput,
  FactorChallenge,
  MfaAdminApi,
  MfaApi,
} from './mfa/api'
export type { Factor } from './mfa/factors'
export { authSealedColumns } from './mfa/sealed-columns'
export { migrations } from './migrations'
export type {
  ClientCredentialsTokenInput,
  IntrospectedToken,
  IssueGrantInput,
  OAuthGrantsApi,
} from './oauth-grants/grants'
export type {
  ApiKeysOptions,
  AuthOptions,
  JwtOptions,
  PasswordPolicy,
  RateLimit,
  RateLimitOptions,
  ResolvedAuthOptions,
  SigningJwk,
} from './options'
export type { AccessTokenClaims, AmrEntry } from './sessions/jwt'
export type { SignOutScope } from './sessions/sessions'
export type { AuthenticationMethod, Session } from './sessions/types'
export type {
  AuthorizeInput,
  CallbackResult,
  ExternalSession,
  SignInWithIdTokenInput,
  SocialApi,
} from './social/api'
export type { Env } from './social/env'
export { socialOptionsFromEnv } from './social/env'
export type { ExternalProviderOptions, MfaOptions, SocialOptions } from './social/options'
export { PRESET_PROVIDERS } from './social/presets'
export type { ExternalProfile } from './social/profile'
export type { User, UserAppMetadata, UserIdentity, UserMetadata } from './users/json'
export { toUser } from './users/json'
export type { PasswordCheck, ScryptParams, WeakPassword } from './users/passwords'
export { DEFAULT_SCRYPT_PARAMS, hashPassword, verifyPassword } from './users/passwords'
export type { IdentityRow, UserRecord, UserRow } from './users/record'
