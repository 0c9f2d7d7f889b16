/**
 * `@supabase/storage-js` (the real client, unchanged) against the mounted handler, on both backends,
 * with Supabase's per-user-folder policies: the owner can, another user cannot, anon cannot, the
 * service role can.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALICE, type BackendKind, BOB, countKeys, createStack, type Stack, waitFor } from './helpers'

describe.each<BackendKind>(['local', 's3'])('storage-js on the %s backend', (kind) => {
  let stack: Stack
  beforeAll(async () => {
    stack = await createStack(kind)
    await stack.jobs.start()
  })
  afterAll(() => stack?.close())

  const alice = () => stack.client(stack.tokens.alice)
  const bob = () => stack.client(stack.tokens.bob)
  const anon = () => stack.client(stack.tokens.anon)
  const service = () => stack.client(stack.tokens.service)

  describe('buckets', () => {
    it('creates, reads, lists, updates, empties and deletes buckets; a non-empty bucket is not deleted', async () => {
      const created = await service().createBucket('photos', {
        public: false,
        fileSizeLimit: '1MB',
        allowedMimeTypes: ['image/*', 'text/plain'],
      })
      expect(created).toEqual({ data: { name: 'photos' }, error: null })
      const { data: bucket } = await service().getBucket('photos')
      expect(bucket).toMatchObject({
        id: 'photos',
        name: 'photos',
        public: false,
        file_size_limit: 1_000_000,
        allowed_mime_types: ['image/*', 'text/plain'],
      })
      const { data: list } = await service().listBuckets()
      expect(list?.map((b) => b.id)).toEqual(expect.arrayContaining(['avatars', 'docs', 'photos']))
      const { data: searched } = await service().listBuckets({ search: 'pho' })
      expect(searched?.map((b) => b.id)).toEqual(['photos'])

      expect((await service().updateBucket('photos', { public: true, fileSizeLimit: 2048 })).data).toEqual({
        message: 'Successfully updated',
      })
      expect((await service().getBucket('photos')).data).toMatchObject({
        public: true,
        file_size_limit: 2048,
      })

      await service().from('photos').upload('a.png', Buffer.from('png'), { contentType: 'image/png' })
      const refused = await service().deleteBucket('photos')
      expect(refused.error).toMatchObject({ status: 409, statusCode: '409' })
      expect(refused.error?.message).toBe('The bucket you tried to delete is not empty')
      expect((await service().emptyBucket('photos')).data).toEqual({ message: 'Successfully emptied' })
      expect((await service().deleteBucket('photos')).data).toEqual({ message: 'Successfully deleted' })
      expect((await service().getBucket('photos')).error).toMatchObject({ status: 404, statusCode: '404' })
    })

    it('refuses a duplicate bucket (409) and users without a bucket policy (403, RLS)', async () => {
      await service().createBucket('dup')
      expect((await service().createBucket('dup')).error).toMatchObject({ status: 409, statusCode: '409' })
      const denied = await alice().createBucket('mine')
      expect(denied.error).toMatchObject({ status: 403, statusCode: '403' })
      expect(denied.error?.message).toBe('new row violates row-level security policy')
      expect((await anon().createBucket('mine')).error).toMatchObject({ status: 403 })
      // RLS hides buckets from users without a SELECT policy on storage.buckets.
      expect((await alice().listBuckets()).data).toEqual([])
    })
  })

  describe('per-user folders', () => {
    const path = `${ALICE}/notes/hello.txt`

    it('lets the owner upload (raw body), not another user, not anon; the service role can', async () => {
      const up = await alice()
        .from('docs')
        .upload(path, Buffer.from('hello world'), {
          contentType: 'text/plain',
          cacheControl: '120',
          metadata: { purpose: 'test' },
        })
      expect(up.error).toBeNull()
      expect(up.data).toMatchObject({ path, fullPath: `docs/${path}` })
      expect(up.data?.id).toMatch(/^[0-9a-f-]{36}$/)

      const other = await bob()
        .from('docs')
        .upload(`${ALICE}/evil.txt`, Buffer.from('x'), { contentType: 'text/plain' })
      expect(other.error).toMatchObject({ status: 403, statusCode: '403' })
      expect((await anon().from('docs').upload(`${ALICE}/anon.txt`, Buffer.from('x'))).error).toMatchObject({
        status: 403,
      })
      expect(
        (await service().from('docs').upload(`${BOB}/by-service.txt`, Buffer.from('s'))).error,
      ).toBeNull()
    })

    it('downloads for the owner and the service role; another user and anon get Object not found', async () => {
      const own = await alice().from('docs').download(path)
      expect(await own.data?.text()).toBe('hello world')
      expect(await (await service().from('docs').download(path)).data?.text()).toBe('hello world')
      for (const client of [bob(), anon()]) {
        const { error } = await client.from('docs').download(path)
        expect(error).toMatchObject({ status: 404, statusCode: '404' })
      }
    })

    it('answers info and exists as the caller', async () => {
      const { data } = await alice().from('docs').info(path)
      expect(data).toMatchObject({
        name: path,
        bucketId: 'docs',
        size: 11,
        contentType: 'text/plain',
        cacheControl: 'max-age=120',
        metadata: { purpose: 'test' },
      })
      expect((await alice().from('docs').exists(path)).data).toBe(true)
      expect((await bob().from('docs').exists(path)).data).toBe(false)
      expect((await alice().from('docs').exists(`${ALICE}/none.txt`)).data).toBe(false)
    })

    it('uploads a Blob as multipart/form-data with metadata and cache control', async () => {
      const blob = new Blob(['{"a":1}'], { type: 'application/json' })
      const { error } = await alice()
        .from('docs')
        .upload(`${ALICE}/data.json`, blob, {
          cacheControl: '60',
          metadata: { kind: 'blob' },
        })
      expect(error).toBeNull()
      const { data } = await alice().from('docs').info(`${ALICE}/data.json`)
      expect(data).toMatchObject({
        contentType: 'application/json',
        cacheControl: 'max-age=60',
        metadata: { kind: 'blob' },
      })
      expect(await (await alice().from('docs').download(`${ALICE}/data.json`)).data?.text()).toBe('{"a":1}')
    })

    it('refuses a duplicate (409) unless upsert; update replaces; bob cannot upsert over alice', async () => {
      const again = await alice().from('docs').upload(path, Buffer.from('again'))
      expect(again.error).toMatchObject({ status: 409, statusCode: '409' })
      expect(again.error?.message).toBe('The resource already exists')
      expect(
        (await alice().from('docs').upload(path, Buffer.from('hello again'), { upsert: true })).error,
      ).toBeNull()
      expect(await (await alice().from('docs').download(path)).data?.text()).toBe('hello again')
      expect((await alice().from('docs').update(path, Buffer.from('hello world'))).error).toBeNull()
      expect(await (await alice().from('docs').download(path)).data?.text()).toBe('hello world')
      const hostile = await bob().from('docs').upload(path, Buffer.from('mine now'), { upsert: true })
      expect(hostile.error?.status).toBe(403)
      expect(await (await alice().from('docs').download(path)).data?.text()).toBe('hello world')
    })

    it('lists (v1): folders and files under a prefix, with limit, offset, sortBy and search, as the caller', async () => {
      for (const name of ['b.txt', 'a.txt', 'c.md', 'sub/x.txt']) {
        await alice()
          .from('docs')
          .upload(`${ALICE}/list/${name}`, Buffer.from(name), { contentType: 'text/plain' })
      }
      const { data } = await alice().from('docs').list(`${ALICE}/list`)
      expect(data?.map((e) => e.name)).toEqual(['a.txt', 'b.txt', 'c.md', 'sub'])
      expect(data?.find((e) => e.name === 'sub')).toMatchObject({ id: null, metadata: null })
      expect(data?.find((e) => e.name === 'a.txt')?.metadata).toMatchObject({
        size: 5,
        mimetype: 'text/plain',
      })
      const page = await alice().from('docs').list(`${ALICE}/list`, { limit: 2, offset: 1 })
      expect(page.data?.map((e) => e.name)).toEqual(['b.txt', 'c.md'])
      const desc = await alice()
        .from('docs')
        .list(`${ALICE}/list`, { sortBy: { column: 'name', order: 'desc' } })
      expect(desc.data?.map((e) => e.name)).toEqual(['sub', 'c.md', 'b.txt', 'a.txt'])
      const search = await alice().from('docs').list(`${ALICE}/list`, { search: '.md' })
      expect(search.data?.map((e) => e.name)).toEqual(['c.md'])
      expect((await bob().from('docs').list(`${ALICE}/list`)).data).toEqual([])
      const root = await alice().from('docs').list()
      expect(root.data?.map((e) => e.name)).toEqual([ALICE])
    })

    it('lists (v2): flat with a cursor, and one level with the delimiter', async () => {
      const prefix = `${ALICE}/list/`
      const first = await alice().from('docs').listV2({ prefix, limit: 2 })
      expect(first.data?.objects.map((o) => o.key)).toEqual([`${prefix}a.txt`, `${prefix}b.txt`])
      expect(first.data?.hasNext).toBe(true)
      const second = await alice()
        .from('docs')
        .listV2({ prefix, limit: 2, cursor: first.data?.nextCursor as string })
      expect(second.data?.objects.map((o) => o.key)).toEqual([`${prefix}c.md`, `${prefix}sub/x.txt`])
      expect(second.data?.hasNext).toBe(false)
      const level = await alice().from('docs').listV2({ prefix, with_delimiter: true })
      expect(level.data?.folders.map((f) => f.key)).toEqual([`${prefix}sub/`])
      expect(level.data?.objects).toHaveLength(3)
    })

    it('moves and copies (also across buckets); another user cannot move the owner’s object', async () => {
      const from = `${ALICE}/move/src.txt`
      await alice().from('docs').upload(from, Buffer.from('moving'), { contentType: 'text/plain' })
      expect((await bob().from('docs').move(from, `${BOB}/stolen.txt`)).error?.status).toBe(404)
      expect((await alice().from('docs').move(from, `${ALICE}/move/dst.txt`)).data).toEqual({
        message: 'Successfully moved',
      })
      expect((await alice().from('docs').exists(from)).data).toBe(false)
      expect(await (await alice().from('docs').download(`${ALICE}/move/dst.txt`)).data?.text()).toBe('moving')
      // Moving out of one's own folder is refused by the UPDATE policy's WITH CHECK.
      expect(
        (await alice().from('docs').move(`${ALICE}/move/dst.txt`, `${BOB}/gift.txt`)).error?.status,
      ).toBe(403)

      const copied = await alice().from('docs').copy(`${ALICE}/move/dst.txt`, `${ALICE}/move/copy.txt`)
      expect(copied.data).toEqual({ path: `docs/${ALICE}/move/copy.txt` })
      expect(await (await alice().from('docs').download(`${ALICE}/move/copy.txt`)).data?.text()).toBe(
        'moving',
      )
      const across = await alice()
        .from('docs')
        .copy(`${ALICE}/move/copy.txt`, `${ALICE}/copied.txt`, { destinationBucket: 'avatars' })
      expect(across.error).toBeNull()
      const crossMove = await service()
        .from('avatars')
        .move(`${ALICE}/copied.txt`, `moved/copied.txt`, { destinationBucket: 'avatars' })
      expect(crossMove.error).toBeNull()
      expect(await (await anon().from('avatars').download('moved/copied.txt')).data?.text()).toBe('moving')
    })

    it('removes in bulk as the caller: only what the caller may delete goes; bytes are deleted by the job', async () => {
      await alice().from('docs').upload(`${ALICE}/rm/1.txt`, Buffer.from('1'))
      await alice().from('docs').upload(`${ALICE}/rm/2.txt`, Buffer.from('2'))
      const before = await countKeys(stack.backend)
      expect(
        (
          await bob()
            .from('docs')
            .remove([`${ALICE}/rm/1.txt`])
        ).data,
      ).toEqual([])
      const { data } = await alice()
        .from('docs')
        .remove([`${ALICE}/rm/1.txt`, `${ALICE}/rm/2.txt`, `${ALICE}/rm/none`])
      expect(data?.map((o) => o.name).sort()).toEqual([`${ALICE}/rm/1.txt`, `${ALICE}/rm/2.txt`])
      await waitFor(async () => (await countKeys(stack.backend)) === before - 2)
    })
  })

  describe('signed URLs', () => {
    const path = `${ALICE}/signed/report.txt`
    beforeAll(async () => {
      await alice().from('docs').upload(path, Buffer.from('signed content'), { contentType: 'text/plain' })
    })

    it('signs for whoever can read; the URL opens without credentials; download= sets Content-Disposition', async () => {
      const { data } = await alice().from('docs').createSignedUrl(path, 60)
      const response = await fetch(data?.signedUrl as string)
      expect(response.status).toBe(200)
      expect(await response.text()).toBe('signed content')
      const named = await alice().from('docs').createSignedUrl(path, 60, { download: 'r.txt' })
      const download = await fetch(named.data?.signedUrl as string)
      expect(download.headers.get('content-disposition')).toContain('attachment; filename=r.txt')
      expect((await bob().from('docs').createSignedUrl(path, 60)).error?.status).toBe(404)
      const tampered = String(data?.signedUrl).replace('report.txt', 'other.txt')
      expect((await fetch(tampered)).status).toBe(400)
    })

    it('signs many, with an error for the paths the caller cannot read', async () => {
      const { data } = await alice()
        .from('docs')
        .createSignedUrls([path, `${BOB}/by-service.txt`], 60)
      expect(data?.[0]).toMatchObject({ path, error: null })
      expect(data?.[1]).toMatchObject({
        signedUrl: null,
        error: 'Either the object does not exist or you do not have access to it',
      })
      expect(await (await fetch(data?.[0]?.signedUrl as string)).text()).toBe('signed content')
    })

    it('signed upload URLs: issued to who may upload there, used by anyone holding the token', async () => {
      const target = `${ALICE}/signed/upload.bin`
      const { data, error } = await alice().from('docs').createSignedUploadUrl(target)
      expect(error).toBeNull()
      const uploaded = await anon()
        .from('docs')
        .uploadToSignedUrl(target, data?.token as string, Buffer.from('via token'))
      expect(uploaded.error).toBeNull()
      expect(await (await alice().from('docs').download(target)).data?.text()).toBe('via token')
      const { data: row } = await alice().from('docs').info(target)
      expect(row).toMatchObject({ size: 9 })
      expect((await bob().from('docs').createSignedUploadUrl(`${ALICE}/signed/x`)).error?.status).toBe(403)
      const wrongPath = await anon()
        .from('docs')
        .uploadToSignedUrl(`${ALICE}/signed/other`, data?.token as string, Buffer.from('x'))
      expect(wrongPath.error?.status).toBe(400)
    })
  })

  describe('HTTP semantics', () => {
    const path = `${ALICE}/http/ten.txt`
    beforeAll(async () => {
      await alice().from('docs').upload(path, Buffer.from('0123456789'), { contentType: 'text/plain' })
    })
    const get = (headers: Record<string, string> = {}) =>
      fetch(`${stack.url}/object/authenticated/docs/${path}`, {
        headers: { authorization: `Bearer ${stack.tokens.alice}`, ...headers },
      })

    it('serves Range as 206, an unsatisfiable one as 416', async () => {
      const partial = await get({ range: 'bytes=2-5' })
      expect(partial.status).toBe(206)
      expect(partial.headers.get('content-range')).toBe('bytes 2-5/10')
      expect(await partial.text()).toBe('2345')
      const suffix = await get({ range: 'bytes=-3' })
      expect(await suffix.text()).toBe('789')
      const open = await get({ range: 'bytes=7-' })
      expect(await open.text()).toBe('789')
      const bad = await get({ range: 'bytes=50-60' })
      expect(bad.status).toBe(416)
      expect(bad.headers.get('content-range')).toBe('bytes */10')
      expect(await bad.json()).toMatchObject({ statusCode: '416', code: 'InvalidRange' })
    })

    it('answers ETag / If-None-Match and Last-Modified / If-Modified-Since with 304', async () => {
      const full = await get()
      const etag = full.headers.get('etag') as string
      const lastModified = full.headers.get('last-modified') as string
      expect(etag).toMatch(/^"[0-9a-f]{32}"$/)
      expect(full.headers.get('cache-control')).toBe('max-age=3600')
      expect(full.headers.get('accept-ranges')).toBe('bytes')
      await full.arrayBuffer()
      expect((await get({ 'if-none-match': etag })).status).toBe(304)
      expect((await get({ 'if-none-match': '"other"' })).status).toBe(200)
      expect((await get({ 'if-modified-since': lastModified })).status).toBe(304)
      const head = await fetch(`${stack.url}/object/docs/${path}`, {
        method: 'HEAD',
        headers: { authorization: `Bearer ${stack.tokens.alice}` },
      })
      expect(head.status).toBe(200)
      expect(head.headers.get('content-length')).toBe('10')
      const missing = await fetch(`${stack.url}/object/docs/${ALICE}/none`, {
        method: 'HEAD',
        headers: { authorization: `Bearer ${stack.tokens.alice}` },
      })
      expect(missing.status).toBe(404)
    })

    it('serves public buckets without credentials; a private bucket’s public URL is not found', async () => {
      await alice()
        .from('avatars')
        .upload('pub/me.txt', Buffer.from('public!'), { contentType: 'text/plain' })
      const { data } = anon().from('avatars').getPublicUrl('pub/me.txt')
      expect(await (await fetch(data.publicUrl)).text()).toBe('public!')
      const { data: download } = anon().from('avatars').getPublicUrl('pub/me.txt', { download: true })
      expect((await fetch(download.publicUrl)).headers.get('content-disposition')).toBe('attachment;')
      const privateUrl = anon().from('docs').getPublicUrl(path).data.publicUrl
      const refused = await fetch(privateUrl)
      expect(refused.status).toBe(404)
      expect(await refused.json()).toMatchObject({ statusCode: '404', code: 'NoSuchKey', error: 'not_found' })
    })

    it('refuses a wrong MIME type (415) and an oversize body (413) before storing a byte', async () => {
      await service().createBucket('limited', {
        public: false,
        fileSizeLimit: 1024,
        allowedMimeTypes: ['image/*'],
      })
      const before = await countKeys(stack.backend)
      const mime = await service()
        .from('limited')
        .upload('x.txt', Buffer.from('text'), { contentType: 'text/plain' })
      expect(mime.error).toMatchObject({ status: 415, statusCode: '415' })
      expect(mime.error?.message).toBe('mime type text/plain is not supported')
      const big = await service()
        .from('limited')
        .upload('x.png', Buffer.alloc(4096), { contentType: 'image/png' })
      expect(big.error).toMatchObject({ status: 413, statusCode: '413' })
      const blob = await service()
        .from('limited')
        .upload('y.png', new Blob([Buffer.alloc(4096)], { type: 'image/png' }))
      expect(blob.error).toMatchObject({ status: 413, statusCode: '413' })
      expect(
        (await service().from('limited').upload('ok.png', Buffer.alloc(1000), { contentType: 'image/png' }))
          .error,
      ).toBeNull()
      expect(await countKeys(stack.backend)).toBe(before + 1)
    })
  })
})
