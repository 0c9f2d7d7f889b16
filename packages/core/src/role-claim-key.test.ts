import { describe, expect, it } from 'vitest'
import { parseRoleClaimKey, roleFromClaims } from './role-claim-key'

const role = (expression: string, claims: unknown) => roleFromClaims(claims, parseRoleClaimKey(expression))

describe('jwt-role-claim-key expressions', () => {
  it('reads the default .role and nested keys', () => {
    expect(role('.role', { role: 'authenticated' })).toBe('authenticated')
    expect(role('.app.meta.role', { app: { meta: { role: 'editor' } } })).toBe('editor')
  })

  it('reads quoted keys (namespaced claims) and array indexes (Keycloak)', () => {
    expect(role('."https://example.com/claims".role', { 'https://example.com/claims': { role: 'x' } })).toBe(
      'x',
    )
    expect(role('.realm_access.roles[1]', { realm_access: { roles: ['offline', 'author'] } })).toBe('author')
    expect(role('."a \\"q\\" key"', { 'a "q" key': 'quoted' })).toBe('quoted')
  })

  it('filters array elements with ==, !=, ^==, ==^ and *==', () => {
    const claims = { roles: ['default-roles', 'app_writer', 'reader_ro'] }
    expect(role('.roles[?(@ == "app_writer")]', claims)).toBe('app_writer')
    expect(role('.roles[?(@ == "missing")]', claims)).toBeUndefined()
    expect(role('.roles[?(@ != "default-roles")]', claims)).toBe('app_writer')
    expect(role('.roles[?(@ ^== "app_")]', claims)).toBe('app_writer')
    expect(role('.roles[?(@ ==^ "_ro")]', claims)).toBe('reader_ro')
    expect(role('.roles[?(@ *== "der_")]', claims)).toBe('reader_ro')
  })

  it('yields undefined for a missing path or an empty string, null for a non-string, and ignores inherited keys', () => {
    expect(role('.a.b', { a: 1 })).toBeUndefined()
    expect(role('.role', { role: 7 })).toBeNull()
    expect(role('.roles', { roles: ['admin'] })).toBeNull()
    expect(role('.role', { role: '' })).toBeUndefined()
    expect(role('.roles[3]', { roles: ['a'] })).toBeUndefined()
    expect(role('.constructor', {})).toBeUndefined()
  })

  it('takes bare keys as PostgREST does: Unicode letters, digits, _, $ and @', () => {
    expect(role('.rôle_$@1', { 'rôle_$@1': 'x' })).toBe('x')
    expect(() => parseRoleClaimKey('.realm-access')).toThrow(/at "-access"/)
    expect(role('."realm-access".role', { 'realm-access': { role: 'y' } })).toBe('y')
  })

  it('refuses malformed expressions, saying where', () => {
    expect(() => parseRoleClaimKey('role')).toThrow(/at "role"/)
    expect(() => parseRoleClaimKey('.roles[?(@ = "x")]')).toThrow(/cannot be parsed/)
    expect(() => parseRoleClaimKey('')).toThrow(/empty/)
  })
})
