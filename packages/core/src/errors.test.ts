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
