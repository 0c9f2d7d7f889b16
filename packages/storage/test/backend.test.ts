/**
 * One behaviour suite for every backend: whatever `StorageBackend` a host picks, writes are atomic
 * (a failed or aborted write leaves nothing), reads stream with ranges, copies and deletes are
 * idempotent, and no key outside Groundwork's own shapes is ever accepted.
 */
import { readdir } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type StorageBackend, s3Backend } from '../src/index'
import { type BackendKind, createBackend, S3_BUCKET, startS3 } from './helpers'

function streamOf(chunks: Uint8Array[], failAfter?: number): ReadableStream<Uint8Array> {
  let i = 0
  return new ReadableStream({
    pull(controller) {
      if (failAfter !== undefined && i === failAfter) return controller.error(new Error('client went away'))
      const chunk = chunks[i++]
      if (chunk) controller.enqueue(chunk)
      else controller.close()
    },
  })
}

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text()
}

describe.each<BackendKind>(['local', 's3'])('%s backend', (kind) => {
  let backend: StorageBackend
  let root: string
  let close: () => Promise<void>
  beforeAll(async () => {
    ;({ backend, root, close } = await createBackend(kind))
  })
  afterAll(() => close?.())

  it('stores a stream and reads it back whole, by range and by head', async () => {
    const chunks = ['hello ', 'wide ', 'world'].map((s) => Buffer.from(s))
    expect(await backend.put('objects/aa/one', streamOf(chunks))).toEqual({ size: 16 })
    const whole = await backend.get('objects/aa/one')
    expect(whole.size).toBe(16)
    expect(await text(whole.body)).toBe('hello wide world')
    expect(await text((await backend.get('objects/aa/one', { range: { start: 6, end: 9 } })).body)).toBe(
      'wide',
    )
    expect(await backend.head('objects/aa/one')).toEqual({ size: 16 })
    expect(await backend.head('objects/aa/none')).toBeNull()
    await expect(backend.get('objects/aa/none')).rejects.toMatchObject({ code: 'STORAGE_NO_SUCH_KEY' })
  })

  it('stores an empty object', async () => {
    expect(await backend.put('objects/00/empty', streamOf([]))).toEqual({ size: 0 })
    expect(await text((await backend.get('objects/00/empty')).body)).toBe('')
  })

  it('streams a body larger than one multipart part (parts in parallel on S3)', async () => {
    const part = Buffer.alloc(1024 * 1024, 7)
    const chunks = Array.from({ length: 12 }, (_, i) => Buffer.from(part.map(() => i)))
    expect(await backend.put('objects/bb/big', streamOf(chunks))).toEqual({ size: 12 * 1024 * 1024 })
    const { body, size } = await backend.get('objects/bb/big', {
      range: { start: 11 * 1024 * 1024, end: 11 * 1024 * 1024 + 2 },
    })
    expect(size).toBe(12 * 1024 * 1024)
    expect([...new Uint8Array(await new Response(body).arrayBuffer())]).toEqual([11, 11, 11])
  })

  it('streams a body of declared size (one PutObject on S3); a body shorter than declared keeps nothing', async () => {
    const chunks = Array.from({ length: 6 }, () => Buffer.alloc(1024 * 1024, 3))
    expect(await backend.put('objects/bb/sized', streamOf(chunks), { size: 6 * 1024 * 1024 })).toEqual({
      size: 6 * 1024 * 1024,
    })
    expect((await backend.head('objects/bb/sized'))?.size).toBe(6 * 1024 * 1024)
    await expect(
      backend.put('objects/bb/short', streamOf(chunks, 3), { size: 6 * 1024 * 1024 }),
    ).rejects.toThrow()
    expect(await backend.head('objects/bb/short')).toBeNull()
  })

  it('keeps nothing of a write whose body fails midway, nor of an aborted one', async () => {
    const chunk = Buffer.alloc(3 * 1024 * 1024, 1)
    await expect(backend.put('objects/cc/failed', streamOf([chunk, chunk, chunk], 2))).rejects.toThrow(
      'client went away',
    )
    expect(await backend.head('objects/cc/failed')).toBeNull()
    const controller = new AbortController()
    controller.abort()
    await expect(
      backend.put('objects/cc/aborted', streamOf([chunk]), { signal: controller.signal }),
    ).rejects.toThrow()
    expect(await backend.head('objects/cc/aborted')).toBeNull()
    if (kind === 'local') expect(await readdir(`${root}/.tmp`)).toEqual([])
  })

  it('copies inside the backend and deletes idempotently', async () => {
    await backend.put('objects/dd/src', streamOf([Buffer.from('copy me')]))
    await backend.copy('objects/dd/src', 'objects/dd/dst')
    expect(await text((await backend.get('objects/dd/dst')).body)).toBe('copy me')
    await backend.delete(['objects/dd/src', 'objects/dd/dst', 'objects/dd/never'])
    expect(await backend.head('objects/dd/src')).toBeNull()
    await backend.delete(['objects/dd/src'])
  })

  it('lists keys under a prefix', async () => {
    await backend.put('uploads/u1/0', streamOf([Buffer.from('a')]))
    await backend.put('uploads/u1/1', streamOf([Buffer.from('b')]))
    const keys: string[] = []
    for await (const entry of backend.list('uploads/u1/')) keys.push(entry.key)
    expect(keys.sort()).toEqual(['uploads/u1/0', 'uploads/u1/1'])
  })

  it('refuses every key that is not one of Groundwork’s own shapes', async () => {
    for (const key of [
      '../escape',
      '/etc/passwd',
      'objects/../../x',
      'objects/a\u0000b',
      'objects/ü',
      'Objects/A',
      '',
      'objects//x',
    ]) {
      await expect(backend.put(key, streamOf([Buffer.from('x')]))).rejects.toThrow(TypeError)
      await expect(backend.get(key)).rejects.toThrow(TypeError)
    }
  })
})

describe('s3 backend signatures', () => {
  it('is refused by the server when the secret is wrong (the test server verifies SigV4)', async () => {
    const s3 = await startS3()
    try {
      const wrong = s3Backend({
        endpoint: s3.endpoint,
        bucket: S3_BUCKET,
        accessKeyId: 'S3RVER',
        secretAccessKey: 'nope',
      })
      await expect(wrong.put('objects/ee/x', streamOf([Buffer.from('x')]))).rejects.toThrow(
        /SignatureDoesNotMatch/,
      )
      const right = s3Backend({
        endpoint: s3.endpoint,
        bucket: S3_BUCKET,
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
      })
      await right.put('objects/ee/x', streamOf([Buffer.from('x')]))
      expect(await right.head('objects/ee/x')).toEqual({ size: 1 })
    } finally {
      await s3.close()
    }
  })
})
