import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { parseJson, readBytes, readJson, readText, validate } from './body'
import { HttpError } from './errors'

async function failure(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof HttpError) return error
    throw error
  }
  throw new Error('expected an HttpError')
}

/** A body stream of `chunks` chunks of `size` bytes, counting how many were pulled. */
function countingStream(chunks: number, size: number) {
  const state = { pulled: 0, cancelled: false }
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled === chunks) return controller.close()
      state.pulled++
      controller.enqueue(new Uint8Array(size).fill(0x61))
    },
    cancel() {
      state.cancelled = true
    },
  })
  return { stream, state }
}

describe('readText', () => {
  it('stops pulling and cancels the stream the moment the body passes the limit', async () => {
    const { stream, state } = countingStream(1000, 1024)
    const request = new Request('http://x/', { method: 'POST', body: stream, duplex: 'half' } as RequestInit)
    const error = await failure(readText(request, { maxBytes: 4096 }))
    expect(error.code).toBe('HTTP_PAYLOAD_TOO_LARGE')
    expect(error.status).toBe(413)
    expect(state.pulled).toBeLessThanOrEqual(6)
    expect(state.cancelled).toBe(true)
  })

  it('refuses a declared Content-Length past the limit without reading', async () => {
    const { stream, state } = countingStream(10, 1024)
    const request = new Request('http://x/', {
      method: 'POST',
      body: stream,
      duplex: 'half',
      headers: { 'content-length': '10240' },
    } as RequestInit)
    expect((await failure(readText(request, { maxBytes: 100 }))).status).toBe(413)
    expect(state.pulled).toBeLessThanOrEqual(1)
  })

  it('reads a body exactly at the limit', async () => {
    const request = new Request('http://x/', { method: 'POST', body: 'a'.repeat(100) })
    expect(await readText(request, { maxBytes: 100 })).toHaveLength(100)
  })

  it('refuses invalid UTF-8, also when a multi-byte character is split across chunks', async () => {
    const bad = new Request('http://x/', { method: 'POST', body: new Uint8Array([0x61, 0xff, 0x62]) })
    expect((await failure(readText(bad, { maxBytes: 100 }))).code).toBe('HTTP_INVALID_UTF8')
    const euro = new TextEncoder().encode('€')
    const split = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(euro.slice(0, 1))
        controller.enqueue(euro.slice(1))
        controller.close()
      },
    })
    const request = new Request('http://x/', { method: 'POST', body: split, duplex: 'half' } as RequestInit)
    expect(await readText(request, { maxBytes: 100 })).toBe('€')
  })
})

describe('parseJson', () => {
  it('refuses nesting past the depth limit before parsing, counting no brackets inside strings', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`
    expect(() => parseJson(deep, 128)).toThrow(expect.objectContaining({ code: 'HTTP_JSON_TOO_DEEP' }))
    expect(parseJson(JSON.stringify({ a: '[[[[[[[[[[\\"{{{{' }), 2)).toEqual({ a: '[[[[[[[[[[\\"{{{{' })
    expect(parseJson(`${'['.repeat(5)}${']'.repeat(5)}`, 5)).toEqual([[[[[]]]]])
  })

  it('answers HTTP_BAD_JSON for malformed JSON and undefined for an empty body', async () => {
    expect(() => parseJson('{"a":')).toThrow(expect.objectContaining({ code: 'HTTP_BAD_JSON', status: 400 }))
    expect(await readJson(new Request('http://x/', { method: 'POST', body: '  ' }), { maxBytes: 10 })).toBe(
      undefined,
    )
  })
})

describe('validate', () => {
  it('names the first bad field', () => {
    const schema = z.object({ rate_limit: z.object({ requests: z.number().positive() }) })
    expect(() => validate(schema, { rate_limit: { requests: 0 } })).toThrow(/rate_limit\.requests/)
  })
})

describe('readBytes', () => {
  it('reads binary bodies (not UTF-8) with the same streaming limit', async () => {
    const bytes = new Uint8Array([0xff, 0x00, 0xfe])
    expect(
      await readBytes(new Request('http://x/', { method: 'POST', body: bytes }), { maxBytes: 3 }),
    ).toEqual(bytes)
    const { stream, state } = countingStream(100, 1024)
    const request = new Request('http://x/', { method: 'POST', body: stream, duplex: 'half' } as RequestInit)
    expect((await failure(readBytes(request, { maxBytes: 2048 }))).status).toBe(413)
    expect(state.cancelled).toBe(true)
  })
})
