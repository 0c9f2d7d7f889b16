import { describe, expect, it } from 'vitest'
import { fuzzyBest, NAME_MIN_SCORE } from './fuzzy'

// The examples of PostgREST's own doctests (Error.hs: noRelBetweenHint, noRpcHint).
describe('fuzzyBest', () => {
  it('suggests a close table or function name, and nothing for a distant one', () => {
    expect(fuzzyBest(['films', 'directors', 'roles', 'actors'], 'film')).toBe('films')
    expect(fuzzyBest(['directors', 'roles', 'actors'], 'role')).toBe('roles')
    expect(fuzzyBest(['test', 'another'], 'testt', NAME_MIN_SCORE)).toBe('test')
    expect(fuzzyBest(['test', 'another'], 'noclosealternative', NAME_MIN_SCORE)).toBeNull()
  })

  it('matches parameter lists written as "(a, b)"', () => {
    const lists = ['(name, param, val)', '(attr, id)']
    expect(fuzzyBest(lists, '(nam, pqaram, vall)')).toBe('(name, param, val)')
    expect(fuzzyBest(lists, '(param, val)')).toBe('(name, param, val)')
    expect(fuzzyBest(lists, '(attrs, id)')).toBe('(attr, id)')
    expect(fuzzyBest(lists, '(id)')).toBe('(attr, id)')
    expect(fuzzyBest(lists, '(noclosealternative)')).toBeNull()
    expect(fuzzyBest(['(name_param)'], '()')).toBeNull()
  })

  it('answers an exact (case-insensitive) match at once', () => {
    expect(fuzzyBest(['Films'], 'films', NAME_MIN_SCORE)).toBe('Films')
  })

  it('picks the function postgrest-js expects for an unnamed-parameter miss', () => {
    const names = [
      'polymorphic_function_with_unnamed_json',
      'polymorphic_function_with_unnamed_jsonb',
      'polymorphic_function_with_unnamed_text',
      'polymorphic_function_with_unnamed_default',
      'polymorphic_function_with_unnamed_default_overload',
      'polymorphic_function_with_different_return',
      'polymorphic_function_with_no_params_or_unnamed',
    ]
    expect(fuzzyBest(names, 'polymorphic_function_with_unnamed_integer', NAME_MIN_SCORE)).toBe(
      'polymorphic_function_with_unnamed_text',
    )
  })
})
