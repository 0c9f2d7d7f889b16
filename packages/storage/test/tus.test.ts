/**
 * Resumable uploads with the real `tus-js-client`, configured as Supabase's docs configure it,
 * on both backends: completion, policies, termination, and resume after a dropped connection.
 */
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { Upload } from 'tus-js-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALICE, type BackendKind, countKeys, createStack, type Stack, waitFor } from './helpers'

function tusUpload(
  stack: Stack,
  endpoint: string,
  body: Buffer,
  options: { token: string; objectName: string; chunkSize?: number; upsert?: boolean },
): { upload: Upload; done: Promise<void> } {
  let upload!: Upload
  const done = new Promise<void>((resolve, reject) => {
    upload = new Upload(body, {
      endpoint,
      retryDelays: [0, 100, 300, 1000, 2000],
      headers: {
        authorization: `Bearer ${options.token}`,
        apikey: stack.tokens.anon,
        'x-upsert': options.upsert ? 'true' : 'false',
      },
      uploadDataDuringCreation: false,
      removeFingerprintOnSuccess: true,
      metadata: {
        bucketName: 'docs',
        objectName: options.objectName,
        contentType: 'application/octet-stream',
        cacheControl: '3600',
      },
      ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}),
      onError: reject,
      onSuccess: () => resolve(),
    })
    upload.start()
  })
  return { upload, done }
}

/**
 * A TCP proxy in front of the server whose `cut()` destroys every connection through it: a real
 * dropped connection, at a moment the test picks.
 */
async function cuttingProxy(target: URL) {
  const live = new Set<net.Socket>()
  let cut = false
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname)
    live.add(client)
    live.add(upstream)
    client.pipe(upstream)
    upstream.pipe(client)
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
    client.on('close', () => {
      live.delete(client)
      upstream.destroy()
    })
    upstream.on('close', () => {
      live.delete(upstream)
      client.destroy()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    get cut() {
      return cut
    },
    cutAll() {
      cut = true
      for (const socket of live) socket.destroy()
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describe.each<BackendKind>(['local', 's3'])('tus on the %s backend', (kind) => {
  let stack: Stack
  const patchOffsets: number[] = []
  let onServerBytes: ((pulled: number) => void) | null = null
  beforeAll(async () => {
    stack = await createStack(kind)
    await stack.jobs.start()
    // Record each PATCH's Upload-Offset (to tell a resume from a restart).
    const resumable = stack.storage.api.resumable
    const append = resumable.append
    resumable.append = (id, offset, body, call) => {
      patchOffsets.push(offset)
      const cut = onServerBytes
      if (!cut) return append(id, offset, body, call)
      // Count what the server really pulled from this PATCH's body, to cut the connection after it.
      let pulled = 0
      const counted = body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            pulled += chunk.byteLength
            controller.enqueue(chunk)
            cut(pulled)
          },
        }),
      )
      return append(id, offset, counted, call)
    }
  })
  afterAll(() => stack?.close())

  const endpoint = () => `${stack.url}/upload/resumable`

  it('uploads in chunks; the object is the caller’s, downloadable, and the parts are cleaned up', async () => {
    const body = randomBytes(2 * 1024 * 1024 + 123)
    const { done } = tusUpload(stack, endpoint(), body, {
      token: stack.tokens.alice,
      objectName: `${ALICE}/tus/chunks.bin`,
      chunkSize: 512 * 1024,
    })
    await done
    const { data } = await stack.client(stack.tokens.alice).from('docs').download(`${ALICE}/tus/chunks.bin`)
    expect(Buffer.from(await (data as Blob).arrayBuffer()).equals(body)).toBe(true)
    await waitFor(async () => (await countKeys(stack.backend, 'uploads/')) === 0)
  })

  it('is authorised by the same policies: another user cannot create an upload in the owner’s folder', async () => {
    const { done } = tusUpload(stack, endpoint(), Buffer.from('x'), {
      token: stack.tokens.bob,
      objectName: `${ALICE}/tus/evil`,
    })
    const error = (await done.catch((e) => e)) as {
      originalResponse?: { getStatus(): number; getBody(): string }
    }
    expect(error.originalResponse?.getStatus()).toBe(403)
    expect(JSON.parse(error.originalResponse?.getBody() ?? '{}')).toMatchObject({
      statusCode: '403',
      code: 'AccessDenied',
    })
  })

  it('refuses an upload larger than the limit at creation (413)', async () => {
    const response = await fetch(endpoint(), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${stack.tokens.alice}`,
        'tus-resumable': '1.0.0',
        'upload-length': String(100 * 1024 * 1024),
        'upload-metadata': `bucketName ${Buffer.from('docs').toString('base64')},objectName ${Buffer.from(`${ALICE}/big`).toString('base64')}`,
      },
    })
    expect(response.status).toBe(413)
    expect((await response.json()).code).toBe('EntityTooLarge')
  })

  it('resumes after a dropped connection from the bytes that arrived, not from zero', async () => {
    patchOffsets.length = 0
    // Large enough that, when the cut comes, most of it is still on the client's side of the wire.
    const body = randomBytes(32 * 1024 * 1024)
    const proxy = await cuttingProxy(new URL(stack.url))
    // Once the server has pulled 1 MiB of the first PATCH, the connection drops.
    onServerBytes = (pulled) => {
      if (pulled >= 1024 * 1024 && !proxy.cut) {
        onServerBytes = null
        proxy.cutAll()
      }
    }
    try {
      const { done } = tusUpload(stack, proxy.url.replace(/\/$/, '') + '/upload/resumable', body, {
        token: stack.tokens.alice,
        objectName: `${ALICE}/tus/resumed.bin`,
      })
      // tus-js-client follows the server's Location, which names the proxy's path; watch progress.
      await done
      expect(proxy.cut).toBe(true)
      const { rows } = await stack.test.db.query<{ n: number }>(
        'select count(*)::int as n from storage.uploads',
      )
      expect(rows[0]?.n).toBe(0)
    } finally {
      onServerBytes = null
      await proxy.close()
    }
    const { data } = await stack.client(stack.tokens.alice).from('docs').download(`${ALICE}/tus/resumed.bin`)
    expect(Buffer.from(await (data as Blob).arrayBuffer()).equals(body)).toBe(true)
    // A PATCH started past zero and short of the end: the bytes that arrived before the drop were kept.
    expect(patchOffsets[0]).toBe(0)
    expect(patchOffsets.some((offset) => offset > 0 && offset < body.length)).toBe(true)
  })

  it('terminates an upload (DELETE): its state and parts go', async () => {
    const created = await fetch(endpoint(), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${stack.tokens.alice}`,
        'tus-resumable': '1.0.0',
        'upload-length': '10',
        'upload-metadata': `bucketName ${Buffer.from('docs').toString('base64')},objectName ${Buffer.from(`${ALICE}/tus/gone`).toString('base64')}`,
      },
    })
    expect(created.status).toBe(201)
    const location = created.headers.get('location') as string
    expect(location).toMatch(/^\/storage\/v1\/upload\/resumable\/[0-9a-f-]{36}$/)
    const url = new URL(location, stack.url).toString()
    const patch = await fetch(url, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${stack.tokens.alice}`,
        'tus-resumable': '1.0.0',
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body: '12345',
    })
    expect(patch.status).toBe(204)
    expect(patch.headers.get('upload-offset')).toBe('5')
    const head = await fetch(url, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${stack.tokens.alice}`, 'tus-resumable': '1.0.0' },
    })
    expect(head.headers.get('upload-offset')).toBe('5')
    expect(head.headers.get('upload-length')).toBe('10')
    const wrongOffset = await fetch(url, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${stack.tokens.alice}`,
        'tus-resumable': '1.0.0',
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body: '12345',
    })
    expect(wrongOffset.status).toBe(409)
    const others = await fetch(url, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${stack.tokens.bob}`, 'tus-resumable': '1.0.0' },
    })
    expect(others.status).toBe(404)
    const deleted = await fetch(url, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${stack.tokens.alice}`, 'tus-resumable': '1.0.0' },
    })
    expect(deleted.status).toBe(204)
    const after = await fetch(url, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${stack.tokens.alice}`, 'tus-resumable': '1.0.0' },
    })
    expect(after.status).toBe(404)
    await waitFor(async () => (await countKeys(stack.backend, 'uploads/')) === 0)
  })
})
