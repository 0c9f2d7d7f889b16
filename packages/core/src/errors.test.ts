import { describe, expect, it, vi } from 'vitest'
import { GroundworkError, isGroundworkError, toGroundworkError } from './errors'

describe('toGroundworkError', () => {
  it('passes known errors through', () => {
    const known = new GroundworkError('REST_PARSE_ERROR', 'bad filter', { status: 400 })
    expect(toGroundworkError(known)).toBe(known)
  })
  it('turns unknown errors into a generic 500 and reports them', () => {
    const onError = vi.fn()
    const secret = new Error('relation "internal_table" does not exist at /srv/app.js:12')
    const mapped = toGroundworkError(secret, onError)
    expect(mapped).toMatchObject({ code: 'INTERNAL_ERROR', status: 500, message: 'Internal server error' })
    expect(mapped.message).not.toMatch(/internal_table/)
    expect(onError).toHaveBeenCalledWith(secret, undefined)
  })
  it('does not mistake a pg DatabaseError (string code, no status) for ours', () => {
    const pgError = Object.assign(new Error('duplicate key'), { name: 'DatabaseError', code: '23505' })
    expect(isGroundworkError(pgError)).toBe(false)
  })
})

describe('the GroundworkError brand', () => {
  it('recognises an error from another copy of core, but not a look-alike', () => {
    // A second copy of core defines its own class; only the Symbol.for brand is shared.
    const brand = Symbol.for('groundwork.error')
    class OtherCopyError extends Error {
      readonly [brand] = true
      readonly code = 'OTHER_CODE'
      readonly status = 418
    }
    const foreign = new OtherCopyError('from another copy')
    expect(isGroundworkError(foreign)).toBe(true)
    expect(foreign instanceof GroundworkError).toBe(true)
    expect(toGroundworkError(foreign)).toBe(foreign)

    const lookAlike = Object.assign(new Error('SELECT secret FROM internal'), { code: 'X', status: 400 })
    expect(isGroundworkError(lookAlike)).toBe(false)
    expect(lookAlike instanceof GroundworkError).toBe(false)
    const onError = vi.fn()
    expect(toGroundworkError(lookAlike, onError)).toMatchObject({ code: 'INTERNAL_ERROR', status: 500 })
    expect(onError).toHaveBeenCalledOnce()
  })

  it('keeps the prototype check for subclasses', () => {
    class AError extends GroundworkError<'A_X'> {}
    class BError extends GroundworkError<'B_X'> {}
    const a = new AError('A_X', 'a')
    expect(a instanceof AError).toBe(true)
    expect(a instanceof BError).toBe(false)
    expect(a instanceof GroundworkError).toBe(true)
  })

  it('narrows codes in a switch', () => {
    const error: GroundworkError<'A_ONE' | 'A_TWO'> = new GroundworkError('A_ONE', 'x')
    switch (error.code) {
      case 'A_ONE':
        expect(error.code).toBe('A_ONE')
        break
      case 'A_TWO': {
        const two: 'A_TWO' = error.code
        expect(two).toBe('never')
        break
      }
      default: {
        const none: never = error.code
        expect(none).toBe('never')
      }
    }
  })
})
