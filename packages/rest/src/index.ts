/**
 * `@groundwork/rest`: a PostgREST-compatible REST API over the host's own Postgres.
 *
 * @see https://docs.postgrest.org/en/v14/references/api.html
 */

export type { Environment, PoolEnvOptions, RestEnvOptions } from './config-from-env'
export { poolOptionsFromEnv, restOptionsFromEnv } from './config-from-env'
export type {
  Executor,
  MediaType,
  Preferences,
  RequestRange,
  RestContext,
  RestMethod,
  RestResult,
} from './context'
export type { ApiQueryInput, ApiQueryOptions, ApiQueryResult, Rest, RestApi } from './create-rest'
export { createRest } from './create-rest'
export type { PgrstCode, PostgrestErrorBody, RestErrorCode } from './errors'
export { PGRST_STATUS, RestError, sqlStateStatus } from './errors'
export type {
  NegotiatedExtension,
  RestColumnType,
  RestExtension,
  RestMediaTypeExtension,
  RestOperatorExtension,
  RestOrderExtension,
  SqlParameters,
} from './extensions/types'
export { migrations } from './migrations'
export type { CorsOptions, ResolvedRestOptions, RestOptions, TxEnd } from './options'
export type {
  Column,
  ComputedField,
  FunctionArgument,
  FunctionColumn,
  FunctionInfo,
  QualifiedName,
  Relation,
  Relationship,
  SchemaCache,
} from './schema-cache/types'
