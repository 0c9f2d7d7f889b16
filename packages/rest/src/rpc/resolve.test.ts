import { describe, expect, it } from 'vitest'
import { RestError } from '../errors'
import type { FunctionArgument, FunctionInfo } from '../schema-cache/types'
import { type CallRequest, resolveCall } from './resolve'

function arg(name: string, udtName = 'int4', extra: Partial<FunctionArgument> = {}): FunctionArgument {
  return {
    name,
    type: udtName === 'int4' ? 'integer' : udtName,
    udtName,
    mode: 'in',
    hasDefault: false,
    ...extra,
  }
}

let oids = 0
function fn(name: string, args: FunctionArgument[]): FunctionInfo {
  return {
    schema: 'public',
    name,
    oid: ++oids,
    args,
    returnType: 'integer',
    returnsSet: false,
    returnShape: 'scalar',
    returnRelation: null,
    columns: [],
    volatility: 'immutable',
    variadic: args.some((a) => a.mode === 'variadic'),
    description: null,
  }
}

const post = (keys: string[], extra: Partial<CallRequest> = {}): CallRequest => ({
  keys,
  post: true,
  body: 'json',
  singleObject: false,
  ...extra,
})

function failure(run: () => unknown): RestError {
  try {
    run()
  } catch (error) {
    if (error instanceof RestError) return error
  }
  throw new Error('expected a RestError')
}

describe('resolveCall (PostgREST findProc)', () => {
  const greet1 = fn('greet', [arg('name', 'text')])
  const greet2 = fn('greet', [arg('name', 'text'), arg('greeting', 'text')])

  it('chooses the overload whose required parameters are exactly the names given', () => {
    expect(resolveCall([greet1, greet2], post(['name'])).fn).toBe(greet1)
    expect(resolveCall([greet1, greet2], post(['name', 'greeting'])).fn).toBe(greet2)
  })

  it('lets parameters with defaults be omitted, and passes only the ones given', () => {
    const between = fn('between', [
      arg('lo', 'int4', { hasDefault: true }),
      arg('hi', 'int4', { hasDefault: true }),
    ])
    expect(resolveCall([between], post([])).fn).toBe(between)
    expect(resolveCall([between], post(['hi'])).style).toEqual({ kind: 'named', args: [between.args[1]] })
  })

  it('answers PGRST202 with the sorted names and the closest parameter list as hint', () => {
    const error = failure(() => resolveCall([greet1, greet2], post(['nom'])))
    expect(error.code).toBe('PGRST202')
    expect(error.status).toBe(404)
    expect(error.message).toBe('Could not find the function public.greet(nom) in the schema cache')
    expect(error.details).toBe(
      'Searched for the function public.greet with parameter nom or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.',
    )
    expect(error.hint).toBe('Perhaps you meant to call the function public.greet(name)')
  })

  it('answers 300 PGRST203 when defaults let several overloads take the same names', () => {
    const a = fn('pick', [arg('a', 'int4', { hasDefault: true })])
    const b = fn('pick', [arg('b', 'int4', { hasDefault: true })])
    const error = failure(() => resolveCall([a, b], post([])))
    expect(error.code).toBe('PGRST203')
    expect(error.status).toBe(300)
    expect(error.message).toBe(
      'Could not choose the best candidate function between: public.pick(a => integer), public.pick(b => integer)',
    )
  })

  it('falls back to a single unnamed parameter of the body type, with the whole body', () => {
    const echo = fn('echo', [arg('', 'json')])
    expect(resolveCall([echo], post(['anything'])).style).toEqual({ kind: 'single', arg: echo.args[0] })
    const shout = fn('shout', [arg('', 'text')])
    expect(resolveCall([shout], post([], { body: 'text' })).fn).toBe(shout)
    expect(failure(() => resolveCall([shout], post(['x']))).code).toBe('PGRST202')
  })

  it('matches {"": value} to an unnamed parameter by its empty name', () => {
    const none = fn('poly', [])
    const text = fn('poly', [arg('', 'text', { hasDefault: true })])
    expect(resolveCall([none, text], post([''])).fn).toBe(text)
    expect(failure(() => resolveCall([none, text], post([]))).code).toBe('PGRST203')
  })

  it('does not call a function without parameters with a raw body', () => {
    const none = fn('none', [])
    expect(failure(() => resolveCall([none], post([], { body: 'text' }))).message).toBe(
      'Could not find the function public.none in the schema cache',
    )
  })

  it('with params=single-object, sends the body to a single named json parameter', () => {
    const sum = fn('sum', [arg('payload', 'jsonb')])
    const call = resolveCall([sum], post(['numbers'], { singleObject: true }))
    expect(call.style).toEqual({ kind: 'single', arg: sum.args[0] })
  })

  it('requires a variadic parameter without a default', () => {
    const concat = fn('concat', [arg('parts', '_text', { mode: 'variadic', type: 'text[]' })])
    expect(resolveCall([concat], post(['parts'])).fn).toBe(concat)
    expect(failure(() => resolveCall([concat], post([]))).code).toBe('PGRST202')
  })
})
