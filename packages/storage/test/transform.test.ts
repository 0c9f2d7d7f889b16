/**
 * Image transformations (Supabase's `render/image` and storage-js's `transform` options) through
 * sharp — authenticated, public and signed — and the clear error when sharp is not there.
 */
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStorage } from '../src/index'
import { sharpLoader } from '../src/transform'
import { ALICE, createStack, type Stack } from './helpers'

let stack: Stack
let png: Buffer
beforeAll(async () => {
  stack = await createStack('local')
  png = await sharp({
    create: { width: 400, height: 300, channels: 3, background: { r: 200, g: 10, b: 10 } },
  })
    .png()
    .toBuffer()
  await stack
    .client(stack.tokens.alice)
    .from('docs')
    .upload(`${ALICE}/pic.png`, png, { contentType: 'image/png' })
  await stack.client(stack.tokens.alice).from('avatars').upload('pic.png', png, { contentType: 'image/png' })
})
afterAll(() => stack?.close())

describe('image transformations', () => {
  it('resizes on download with transform options (authenticated), to WebP by default when accepted', async () => {
    const { data, error } = await stack
      .client(stack.tokens.alice)
      .from('docs')
      .download(`${ALICE}/pic.png`, { transform: { width: 100, height: 100, resize: 'contain' } })
    expect(error).toBeNull()
    const meta = await sharp(Buffer.from(await (data as Blob).arrayBuffer())).metadata()
    expect(meta).toMatchObject({ width: 100, height: 75 })
  })

  it('keeps the format with format: origin, and renders public and signed URLs', async () => {
    const { data } = stack
      .client(stack.tokens.anon)
      .from('avatars')
      .getPublicUrl('pic.png', { transform: { width: 50, format: 'origin', quality: 50 } })
    const response = await fetch(data.publicUrl, { headers: { accept: 'image/webp,*/*' } })
    expect(response.headers.get('content-type')).toBe('image/png')
    expect(await sharp(Buffer.from(await response.arrayBuffer())).metadata()).toMatchObject({
      format: 'png',
      width: 50,
    })

    const signed = await stack
      .client(stack.tokens.alice)
      .from('docs')
      .createSignedUrl(`${ALICE}/pic.png`, 60, { transform: { width: 40, height: 40, resize: 'fill' } })
    expect(signed.data?.signedUrl).toContain('/render/image/sign/')
    const image = await fetch(signed.data?.signedUrl as string, { headers: { accept: 'image/webp' } })
    expect(image.headers.get('content-type')).toBe('image/webp')
    expect(await sharp(Buffer.from(await image.arrayBuffer())).metadata()).toMatchObject({
      width: 40,
      height: 40,
    })
  })

  it('refuses bad options (400) and a non-image (422), never a 500', async () => {
    const bad = await fetch(`${stack.url}/render/image/public/avatars/pic.png?width=0`)
    expect(bad.status).toBe(400)
    await stack
      .client(stack.tokens.alice)
      .from('avatars')
      .upload('text.png', Buffer.from('not an image'), { contentType: 'image/png' })
    const broken = await fetch(`${stack.url}/render/image/public/avatars/text.png?width=10`)
    expect(broken.status).toBe(422)
    expect(await broken.json()).toMatchObject({ statusCode: '422' })
  })

  it('without sharp, answers a clear FeatureNotEnabled error', async () => {
    const missing = sharpLoader(undefined, () => Promise.reject(new Error("Cannot find module 'sharp'")))
    await expect(missing()).rejects.toMatchObject({
      code: 'STORAGE_FEATURE_NOT_ENABLED',
      message: expect.stringContaining('npm install sharp'),
    })
    const off = createStorage({
      db: stack.test.db,
      authenticate: async () => ({
        kind: 'anonymous',
        role: 'service_role',
        claims: { role: 'service_role' },
      }),
      signingSecret: 'x'.repeat(32),
      backend: stack.backend,
      sharp: false,
    })
    const response = await off.handler(new Request('http://x/render/image/public/avatars/pic.png?width=10'))
    expect(response.status).toBe(409)
    expect(await response.json()).toMatchObject({ statusCode: '409', code: 'FeatureNotEnabled' })
  })
})
