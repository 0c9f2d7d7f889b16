/**
 * `@groundwork/core/kit` — the internal kit of Groundwork's own packages: the HTTP plumbing every
 * handler shares (router, base paths, size-limited streaming body reader, zod validation, error
 * rendering per wire protocol) and the internals sibling packages need from core (the claims
 * statement, synchronous HMAC JWT verification, option parsing).
 *
 * **Not public API.** It changes with Groundwork's packages, without semver guarantees. Host
 * applications use `@groundwork/core` and the packages' own entry points.
 */

export type { AbortWatch } from '../cancel-on-abort'
export { cancelOnAbort, requestAborted } from '../cancel-on-abort'
export type { JwtClaims, RequestContext } from '../claims'
export { claimParameters, SET_CLAIMS_SQL } from '../claims'
export type { HmacVerifyOptions } from '../hmac-jwt'
export { verifyHmacJwt } from '../hmac-jwt'
export type { BodyLimits } from './body'
export {
  DEFAULT_MAX_JSON_DEPTH,
  parseJson,
  readBytes,
  readForm,
  readJson,
  readText,
  readValidated,
  validate,
} from './body'
export type { Cors, CorsPolicy } from './cors'
export { createCors } from './cors'
export type { ErrorFormat } from './error-format'
export { errorResponse, groundworkErrorFormat, json } from './error-format'
export type { HttpErrorCode } from './errors'
export { HTTP_ERROR_STATUS, HttpError, isHttpError } from './errors'
export { assertJsonDepth } from './json-depth'
export {
  basePathOption,
  databaseOption,
  functionOption,
  maxBodyBytesOption,
  optionsSchema,
  parseOptions,
} from './options'
export type { OutboundPolicy } from './outbound'
export {
  assertOutboundUrl,
  guardedLookup,
  isPrivateAddress,
  OutboundAddressError,
  outboundHostAllowed,
} from './outbound'
export { boundedHeader, decodeSegment, relativePath } from './paths'
export type { Method, RouteDefinition, RouteMatch, Router } from './router'
export { createRouter } from './router'
export type { RouteInput, ServedRoute, ServeRoutesOptions } from './serve'
export { serveRoutes } from './serve'
export { isUnmatched, markUnmatched } from './unmatched'
