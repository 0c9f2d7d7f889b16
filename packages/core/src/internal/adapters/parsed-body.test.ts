import { describe, expect, it } from 'vitest'
import { encodeForm, serializeParsedBody, withParsedBody } from './parsed-body'

describe('serializeParsedBody', () => {
  it('JSON media types get JSON, even for a parsed string', () => {
    expect(serializeParsedBody({ a: [1, 'x'] }, 'application/json; charset=utf-8')).toEqual({
      bytes: '{"a":[1,"x"]}',
    })
    expect(serializeParsedBody('abc', 'application/vnd.pgrst.object+json')).toEqual({ bytes: '"abc"' })
    expect(serializeParsedBody(null, 'application/json')).toEqual({ bytes: '' })
  })

  it('text stays text, bytes stay bytes (copied out of any shared pool)', () => {
    expect(serializeParsedBody('plain', 'text/plain')).toEqual({ bytes: 'plain' })
    const pooled = Buffer.from('xxhixx').subarray(2, 4)
    const { bytes } = serializeParsedBody(pooled, 'application/octet-stream')
    expect(bytes).toEqual(new Uint8Array([104, 105]))
    expect((bytes as Uint8Array).byteOffset).toBe(0)
    expect((bytes as Uint8Array).buffer.byteLength).toBe(2)
  })

  it('forms are re-encoded', () => {
    expect(serializeParsedBody({ a: '1 2', b: ['x', 'y'] }, 'application/x-www-form-urlencoded')).toEqual({
      bytes: 'a=1+2&b=x&b=y',
    })
  })

  it('an unknown parser’s object becomes JSON labelled application/json', () => {
    expect(serializeParsedBody({ field: 'v' }, 'multipart/form-data; boundary=x')).toEqual({
      bytes: '{"field":"v"}',
      contentType: 'application/json',
    })
  })
})

describe('encodeForm', () => {
  it('nested objects in qs bracket notation, arrays of objects with []', () => {
    const form = encodeForm({ user: { name: 'ann', tags: ['a'] }, list: [{ id: 1 }], empty: null })
    expect([...form]).toEqual([
      ['user[name]', 'ann'],
      ['user[tags]', 'a'],
      ['list[][id]', '1'],
      ['empty', ''],
    ])
  })
})

describe('withParsedBody', () => {
  it('sets the length of the new bytes and drops the encoding the parser undid', async () => {
    const request = new Request('http://h/x', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': '999' },
      body: 'ignored',
    })
    const rebuilt = withParsedBody(request, { name: 'Zoë' })
    expect(rebuilt.headers.get('content-length')).toBe(String(Buffer.byteLength('{"name":"Zoë"}')))
    expect(rebuilt.headers.get('content-encoding')).toBeNull()
    expect(await rebuilt.json()).toEqual({ name: 'Zoë' })
  })
})
