import { z } from 'zod'
import { type Database, isDatabase } from '../database'

export { parseOptions } from '../config'

/**
 * Ties a zod schema to the options interface it validates, at compile time: the call does not
 * type-check unless every option the interface declares is a key of the schema (zod would
 * otherwise strip it silently), every value the interface allows is accepted by the schema, and
 * every value the schema accepts is allowed by the interface — so the JSDoc'd interface and the
 * validation cannot drift apart.
 *
 * @example
 * ```ts
 * export const jobsOptionsSchema = optionsSchema<JobsOptions>()(z.object({ … }))
 * ```
 */
export function optionsSchema<Options>() {
  return <S extends z.ZodType<unknown, Options>>(schema: S & SchemaCheck<Options, S>): S => schema
}

type SchemaCheck<Options, S extends z.ZodType> = [Options] extends [z.input<S>]
  ? [Exclude<keyof Options, keyof z.input<S>>] extends [never]
    ? unknown
    : { 'options the schema does not validate': Exclude<keyof Options, keyof z.input<S>> }
  : { 'the options interface allows values the schema refuses': never }

/** The zod check for a `Database` option (`createDatabase()`'s result). */
export const databaseOption = z.custom<Database>(isDatabase, 'must be a Database from createDatabase()')

/** The zod check for a function option (`authenticate`, `onError`, hooks). */
export function functionOption<F extends (...args: never[]) => unknown>() {
  return z.custom<F>((value) => typeof value === 'function', 'must be a function')
}

/** The zod check for a `basePath` option: empty, or `/segment…` without a trailing slash. */
export const basePathOption = z
  .string()
  .regex(/^(\/[^/]+)*$/, 'must be empty or start with / and not end with /')
  .default('')

/** The zod check for a `maxBodyBytes` option. */
export const maxBodyBytesOption = (defaultBytes: number) =>
  z
    .number()
    .int()
    .positive()
    .max(2 ** 40)
    .default(defaultBytes)
