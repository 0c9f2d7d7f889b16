import { describe, expect, it } from 'vitest'
import { RestError } from '../errors'
import type { FunctionArgument, FunctionInfo } from '../schema-cache/types'
import { resolveCall } from './resolve'

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

function fn(name: string, args: FunctionArgument[], oid = Math.floor(Math.random() * 1e6)): FunctionInfo {
  return {
    schema: 'public',
    name,
    oid,
    args,
    returnType: 'integer',
    returnsSet: false,
    returnShape: 'scalar',
    returnRelation: null,
    volatility: 'immutable',
    variadic: args.some((a) => a.mode === 'variadic'),
    description: null,
  }
}

const post = { bodyIsObject: true, singleObject: false, post: true }

function failure(fn: () => unknown): RestError {
  try {
    fn()
  } catch (error) {
    if (error instanceof RestError) return error
  }
  throw new Error('expected a RestError')
}

describe('resolveCall', () => {
  const greet1 = fn('greet', [arg('name', 'text')])
  const greet2 = fn('greet', [arg('name', 'text'), arg('greeting', 'text')])

  it('chooses the overload whose parameters match the given names', () => {
    expect(resolveCall([greet1, greet2], ['name'], post).fn).toBe(greet1)
    expect(resolveCall([greet1, greet2], ['name', 'greeting'], post).fn).toBe(greet2)
  })

  it('lets parameters with defaults be omitted', () => {
    const between = fn('between', [
      arg('lo', 'int4', { hasDefault: true }),
      arg('hi', 'int4', { hasDefault: true }),
    ])
    expect(resolveCall([between], [], post).fn).toBe(between)
    expect(resolveCall([between], ['hi'], post).fn).toBe(between)
  })

  it('answers PGRST202 with a hint when no overload takes the names', () => {
    const error = failure(() => resolveCall([greet1, greet2], ['nom'], post))
    expect(error.code).toBe('PGRST202')
    expect(error.status).toBe(404)
    expect(error.message).toBe('Could not find the function public.greet(nom) in the schema cache')
    expect(error.hint).toContain('public.greet(name')
  })

  it('answers 300 PGRST203 when several overloads fit equally', () => {
    const a = fn('pick', [arg('a', 'int4', { hasDefault: true })])
    const b = fn('pick', [arg('b', 'int4', { hasDefault: true })])
    const error = failure(() => resolveCall([a, b], [], post))
    expect(error.code).toBe('PGRST203')
    expect(error.status).toBe(300)
  })

  it('sends a non-object body to the single unnamed json parameter', () => {
    const echo = fn('echo', [arg('', 'json')])
    const call = resolveCall([echo], [], { bodyIsObject: false, singleObject: false, post: true })
    expect(call.style.kind).toBe('single')
  })

  it('sends an object body to a single unnamed jsonb parameter when no named overload matches', () => {
    const echo = fn('echo', [arg('', 'jsonb')])
    expect(resolveCall([echo], ['anything'], post).style.kind).toBe('single')
  })

  it('with params=single-object, sends the body to a single named json parameter', () => {
    const sum = fn('sum', [arg('payload', 'jsonb')])
    const call = resolveCall([sum], ['numbers'], { bodyIsObject: true, singleObject: true, post: true })
    expect(call.style).toEqual({ kind: 'single', arg: sum.args[0] })
  })

  it('matches a variadic parameter by name and allows omitting it', () => {
    const concat = fn('concat', [arg('parts', '_text', { mode: 'variadic', type: 'text[]' })])
    expect(resolveCall([concat], ['parts'], post).fn).toBe(concat)
  })
})
