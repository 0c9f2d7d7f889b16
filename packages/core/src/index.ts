export type { AccessErrorCode, AccessRequest } from './access'
export { assertAccess, canAdminister, rateLimitHeaders } from './access'
export type { JwtClaims, RequestContext } from './claims'
export { clientAddress } from './client-address'
export { composeHandlers } from './compose'
export type { ConnectingRoleOptions } from './connecting-role'
export { setupConnectingRole } from './connecting-role'
export { migrations } from './core-migrations'
export type { Database, DatabaseOptions, Transaction, WithClaimsOptions } from './database'
export { createDatabase, isDatabase, transactionOn } from './database'
export type { CoreErrorCode, GroundworkErrorOptions, OnError } from './errors'
export { ConfigError, GroundworkError, isGroundworkError, toGroundworkError } from './errors'
export { quoteIdent, quoteLiteral, quoteQualified } from './identifiers'
export type { JwtAuthenticatorOptions } from './jwt-authenticator'
export { createJwtAuthenticator, JWT_ERROR_CODES } from './jwt-authenticator'
export type { Logger } from './logger'
export { SILENT_LOGGER } from './logger'
export type { AppliedMigration, Migratable, MigrateOptions, Migration, MigrationSet } from './migrations'
export { defineMigrations, migrate, migrationChecksum, renderMigration } from './migrations'
export type {
  AuditEntry,
  Health,
  HealthCheck,
  HealthOptions,
  Metrics,
  MetricsOptions,
  ObserveOptions,
  OtelModule,
  PinoLike,
  RequestSample,
  RequestScope,
} from './observability/index'
export {
  createHealth,
  createMetrics,
  currentRequest,
  loadOpenTelemetry,
  observe,
  recordAudit,
  redact,
  redactText,
  structuredLogger,
  traceSql,
} from './observability/index'
export type { Authenticate, Principal, PrincipalCheck, RateLimitState } from './principal'
export type { RoleNames } from './roles'
export { DEFAULT_ROLES } from './roles'
export type { SealedColumn, SecretBox } from './secret-box'
export { createSecretBox, encryptionKeyOption, encryptionKeysOption, resealSecrets } from './secret-box'
export type { GroundworkService, ServiceHandler } from './service'
export { applySupabaseGrants, type SupabaseGrantsOptions } from './supabase-grants'
export type { AnyTaskDefinition, TaskContext, TaskDefinition, TaskName, TaskPayload } from './tasks'
export { defineTask } from './tasks'
