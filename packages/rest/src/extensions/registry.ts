import { ConfigError } from '@groundwork/core'
import { FTS_OPERATORS, SIMPLE_OPERATORS } from '../parser/ast'
import type {
  RestColumnType,
  RestExtension,
  RestMediaTypeExtension,
  RestOperatorExtension,
  RestOrderExtension,
} from './types'

/** The extensions of one `createRest`, indexed for the parser and compilers. */
export interface ExtensionRegistry {
  readonly operators: ReadonlyMap<string, RestOperatorExtension>
  readonly orders: ReadonlyMap<string, RestOrderExtension>
  readonly mediaTypes: ReadonlyMap<string, RestMediaTypeExtension>
  readonly columnTypes: ReadonlyMap<string, RestColumnType>
  /** Awaits every extension's `prepare()`. */
  prepare(): Promise<void>
  /** The error as the first extension that recognises it translates it, else unchanged. */
  mapError(error: unknown): unknown
}

/** No extensions: what the parser and compilers use by default. */
export const NO_EXTENSIONS: ExtensionRegistry = {
  operators: new Map(),
  orders: new Map(),
  mediaTypes: new Map(),
  columnTypes: new Map(),
  prepare: async () => {},
  mapError: (error) => error,
}

/** Built-in operator names an extension cannot take over: the parser's own, and the logic words. */
const RESERVED_OPERATORS: ReadonlySet<string> = new Set([
  ...SIMPLE_OPERATORS,
  ...FTS_OPERATORS,
  'in',
  'is',
  'not',
  'and',
  'or',
])
const RESERVED_ORDERS = new Set(['asc', 'desc', 'nullsfirst', 'nullslast'])
const NAME = /^[a-z][a-z0-9_]*$/

/** Indexes `extensions`; a duplicate or reserved name is a `ConfigError` naming it. */
export function createRegistry(extensions: readonly RestExtension[]): ExtensionRegistry {
  if (extensions.length === 0) return NO_EXTENSIONS
  const operators = new Map<string, RestOperatorExtension>()
  const orders = new Map<string, RestOrderExtension>()
  const mediaTypes = new Map<string, RestMediaTypeExtension>()
  const columnTypes = new Map<string, RestColumnType>()
  const add = <T>(map: Map<string, T>, key: string, value: T, what: string, owner: string) => {
    if (map.has(key)) throw new ConfigError('extensions', `${what} '${key}' (${owner}) is defined twice`)
    map.set(key, value)
  }
  for (const extension of extensions) {
    for (const op of extension.operators ?? []) {
      if (!NAME.test(op.name) || RESERVED_OPERATORS.has(op.name)) {
        throw new ConfigError('extensions', `operator name '${op.name}' (${extension.name}) is not allowed`)
      }
      add(operators, op.name, op, 'operator', extension.name)
    }
    for (const order of extension.orders ?? []) {
      if (!NAME.test(order.name) || RESERVED_ORDERS.has(order.name)) {
        throw new ConfigError('extensions', `order name '${order.name}' (${extension.name}) is not allowed`)
      }
      add(orders, order.name, order, 'order', extension.name)
    }
    for (const media of extension.mediaTypes ?? []) {
      add(mediaTypes, media.type.toLowerCase(), media, 'media type', extension.name)
    }
    for (const type of extension.columnTypes ?? [])
      add(columnTypes, type.type, type, 'column type', extension.name)
  }
  const hooks = extensions.flatMap((e) => (e.prepare ? [e.prepare.bind(e)] : []))
  const mappers = extensions.flatMap((e) => (e.mapError ? [e.mapError.bind(e)] : []))
  return {
    operators,
    orders,
    mediaTypes,
    columnTypes,
    mapError(error) {
      for (const map of mappers) {
        const mapped = map(error)
        if (mapped) return mapped
      }
      return error
    },
    prepare:
      hooks.length === 0 ? async () => {} : async () => void (await Promise.all(hooks.map((h) => h()))),
  }
}
