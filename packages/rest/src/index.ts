/**
 * `@groundwork/rest`: a PostgREST-compatible REST API over the host's own Postgres.
 *
 * @see https://docs.postgrest.org/en/v12/references/api.html
 */

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
export { migrations } from './migrations'
export type { CorsOptions, ResolvedRestOptions, RestOptions, TxEnd } from './options'
export type {
  Column,
  ComputedField,
  FunctionArgument,
  FunctionInfo,
  QualifiedName,
  Relation,
  Relationship,
  SchemaCache,
} from './schema-cache/types'
