/**
 * Input fuzz over every storage endpoint (the shared driver): random and malformed bucket and
 * object routes, names, JSON bodies, tokens, Range / conditional / tus headers and raw bodies.
 * Whatever comes in, the answer is never a 5xx, and every error is Storage-shaped
 * (`{ statusCode, error, message }`).
 *
 * Reproduce a failure with `FUZZ_SEED=<printed seed>`; `FUZZ_RUNS` changes the count.
 */
import { ERROR_SHAPES, type FuzzCase, HOSTILE, type Rng, runFuzz } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALICE, BOB, createStack, type Stack } from './helpers'

let stack: Stack
let tokens: string[] = []
let signed: string[] = []

beforeAll(async () => {
  stack = await createStack('local', { fileSizeLimit: 64 * 1024 })
  await stack.storage.api.upload('docs', `${ALICE}/a.txt`, 'alice file', { contentType: 'text/plain' })
  await stack.storage.api.upload('avatars', 'p/pic.txt', 'public file', { contentType: 'text/plain' })
  const { signedURL } = await stack.storage.api.createSignedUrl('docs', `${ALICE}/a.txt`, 600)
  const upload = await stack.storage.api.createSignedUploadUrl('docs', `${ALICE}/up.txt`)
  signed = [signedURL.split('token=')[1] as string, upload.token, 'not.a.token', '']
  tokens = [
    stack.tokens.alice,
    stack.tokens.bob,
    stack.tokens.anon,
    stack.tokens.service,
    'not.a.jwt',
    `${stack.tokens.alice.slice(0, -4)}abcd`,
  ]
})
afterAll(() => stack?.close())

const BUCKETS = [
  'docs',
  'docs',
  'docs',
  'avatars',
  'avatars',
  'nope',
  '',
  'a'.repeat(120),
  '%2F',
  '%zz',
  '..',
  'list',
  'sign',
  ...HOSTILE.strings.map(encodeURIComponent),
]
const NAMES = [
  `${ALICE}/a.txt`,
  `${ALICE}/a.txt`,
  `${ALICE}/n${Date.now() % 7}.txt`,
  `${BOB}/b.txt`,
  'p/pic.txt',
  `${ALICE}/new.bin`,
  'x',
  '../../etc/passwd',
  '%2E%2E/x',
  'a%00b',
  'a%2Fb',
  '%zz',
  `${'n'.repeat(1100)}`,
  ...HOSTILE.strings.map(encodeURIComponent),
]

function jsonValue(r: Rng): unknown {
  return r.pick([null, 1, -1, 1e300, 'x', '', true, [], {}, ['a'], { a: 1 }, ...HOSTILE.strings])
}

function jsonBody(r: Rng, keys: string[]): string {
  if (r.chance(0.1))
    return r.pick(['{', '[]', 'null', '"x"', HOSTILE.deepJson(r.pick([100, 5000])), '{"__proto__":{"x":1}}'])
  const body: Record<string, unknown> = {}
  for (const key of keys) if (r.chance(0.7)) body[key] = r.chance(0.6) ? goodValue(r, key) : jsonValue(r)
  return JSON.stringify(body)
}

function goodValue(r: Rng, key: string): unknown {
  switch (key) {
    case 'name':
    case 'id':
    case 'bucketId':
    case 'destinationBucket':
      return r.pick(['docs', 'avatars', `b${r.int(1000)}`, 'nope'])
    case 'sourceKey':
    case 'destinationKey':
      return r.pick([`${ALICE}/a.txt`, `${ALICE}/c${r.int(50)}.txt`, `${BOB}/x`, '../x', 'a//b'])
    case 'public':
    case 'with_delimiter':
    case 'copyMetadata':
      return r.chance(0.5)
    case 'file_size_limit':
      return r.pick([10, '1MB', '20GB', 'lots', -5, 2 ** 60])
    case 'allowed_mime_types':
      return r.pick([['image/*'], ['text/plain'], ['bad'], [], 'image/png'])
    case 'expiresIn':
      return r.pick([60, 0, -1, 1.5, 1e20])
    case 'paths':
    case 'prefixes':
      return r.pick([
        [`${ALICE}/a.txt`],
        [`${ALICE}/zz`, `${BOB}/b.txt`],
        [],
        [1, 2],
        Array.from({ length: 1001 }, () => 'x'),
      ])
    case 'limit':
    case 'offset':
      return r.pick([0, 1, 10, -1, 1e12, 2.5])
    case 'sortBy':
      return r.pick([
        { column: 'name', order: 'desc' },
        { column: 'created_at' },
        { column: 'drop table' },
        'name',
      ])
    case 'cursor':
      return r.pick(['', 'eyJhZnRlciI6ImEifQ', 'garbage', 'eyJvZmZzZXQiOi0xfQ'])
    case 'transform':
      return r.pick([{ width: 10 }, { width: 0 }, { height: 3000 }, { resize: 'stretch' }, {}])
    case 'metadata':
      return r.pick([{ cacheControl: 'max-age=1' }, { mimetype: 'text/plain' }, 'x'])
    default:
      return r.pick(['', 'folder', `${ALICE}/`, `${ALICE}`, '%'])
  }
}

function makeCase(r: Rng): FuzzCase {
  const headers: Record<string, string> = {}
  if (r.chance(0.85))
    headers.authorization = `Bearer ${r.chance(0.85) ? r.pick(tokens.slice(0, 4)) : r.pick(tokens)}`
  if (r.chance(0.1)) headers.apikey = r.pick(tokens)
  const bucket = r.pick(BUCKETS)
  const name = r.pick(NAMES)
  const kind = r.int(12)
  const base = '/storage/v1'
  if (kind === 0) {
    const method = r.pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH'])
    const path = r.pick(['/bucket', `/bucket/${bucket}`, `/bucket/${bucket}/empty`])
    headers['content-type'] = 'application/json'
    const query = r.chance(0.3)
      ? `?limit=${r.pick(['1', '-1', 'x', '99999999999'])}&sortColumn=${r.pick(['name', 'x'])}&search=${r.pick(['d', '%'])}`
      : ''
    return {
      method,
      path: `${base}${path}${query}`,
      headers,
      body:
        method === 'GET'
          ? undefined
          : jsonBody(r, ['id', 'name', 'public', 'file_size_limit', 'allowed_mime_types']),
    }
  }
  if (kind <= 3) {
    // Reads of objects, with Range and conditional headers.
    const route = r.pick([
      'object',
      'object/authenticated',
      'object/public',
      'object/info',
      'object/info/public',
      'object/info/authenticated',
      'render/image/authenticated',
      'render/image/public',
    ])
    if (r.chance(0.3))
      headers.range = r.pick([
        'bytes=0-3',
        'bytes=-2',
        'bytes=5-',
        'bytes=100-200',
        'bytes=3-1',
        'bytes=0-1,4-5',
        'items=0-1',
        'bytes=99999999999999999999-',
      ])
    if (r.chance(0.2)) headers['if-none-match'] = r.pick(['*', '"x"', 'W/"y"', ''])
    if (r.chance(0.1)) headers['if-modified-since'] = r.pick(['Thu, 01 Jan 1970 00:00:00 GMT', 'garbage'])
    const query = r.chance(0.3)
      ? `?download=${r.pick(['', 'f.txt', '%zz'])}&width=${r.pick(['10', '0', 'x', '3000'])}&format=${r.pick(['origin', 'gif'])}`
      : ''
    return {
      method: r.pick(['GET', 'GET', 'HEAD']),
      path: `${base}/${route}/${bucket}/${name}${query}`,
      headers,
      body: undefined,
    }
  }
  if (kind <= 5) {
    // Uploads: raw or multipart, good and bad metadata.
    headers['content-type'] = r.pick([
      'text/plain',
      'image/png',
      'application/octet-stream',
      '',
      'x',
      'multipart/form-data; boundary=b',
      'multipart/form-data',
    ])
    if (r.chance(0.3)) headers['x-upsert'] = r.pick(['true', 'false', 'yes'])
    if (r.chance(0.2))
      headers['x-metadata'] = r.pick([
        Buffer.from('{"a":1}').toString('base64'),
        'not base64!',
        Buffer.from('[1]').toString('base64'),
        Buffer.from('{'.repeat(50)).toString('base64'),
      ])
    if (r.chance(0.2)) headers['cache-control'] = r.pick(['max-age=1', '60', 'x'.repeat(300)])
    const body = headers['content-type'].startsWith('multipart')
      ? r.pick([
          '--b\r\nContent-Disposition: form-data; name="cacheControl"\r\n\r\n60\r\n--b\r\nContent-Disposition: form-data; name=""; filename="f"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n',
          '--b\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{bad\r\n--b--\r\n',
          'garbage',
          '',
        ])
      : r.pick(['', 'hello', 'x'.repeat(70 * 1024), HOSTILE.deepJson(200)])
    return { method: r.pick(['POST', 'PUT']), path: `${base}/object/${bucket}/${name}`, headers, body }
  }
  if (kind === 6) {
    headers['content-type'] = 'application/json'
    const route = r.pick([
      [`/object/list/${bucket}`, ['prefix', 'limit', 'offset', 'sortBy', 'search']],
      [`/object/list-v2/${bucket}`, ['prefix', 'limit', 'cursor', 'with_delimiter', 'sortBy']],
      ['/object/move', ['bucketId', 'sourceKey', 'destinationKey', 'destinationBucket']],
      [
        '/object/copy',
        ['bucketId', 'sourceKey', 'destinationKey', 'destinationBucket', 'copyMetadata', 'metadata'],
      ],
      [`/object/sign/${bucket}`, ['expiresIn', 'paths']],
      [`/object/sign/${bucket}/${name}`, ['expiresIn', 'transform']],
      [`/object/upload/sign/${bucket}/${name}`, []],
      [`/object/prefix-delete/${bucket}`, ['prefix']],
      ['/object/prefix-move', ['bucketId', 'sourcePrefix', 'destinationPrefix', 'destinationBucket']],
    ] as const)
    return {
      method: r.chance(0.9) ? 'POST' : 'GET',
      path: `${base}${route[0]}`,
      headers,
      body: jsonBody(r, [...route[1]]),
    }
  }
  if (kind === 7) {
    headers['content-type'] = 'application/json'
    return {
      method: 'DELETE',
      path: `${base}/object/${bucket}${r.chance(0.5) ? `/${name}` : ''}`,
      headers,
      body: jsonBody(r, ['prefixes']),
    }
  }
  if (kind === 8) {
    const token = r.pick(signed)
    const route = r.pick(['object/sign', 'render/image/sign', 'object/upload/sign'])
    const method = route === 'object/upload/sign' ? 'PUT' : r.pick(['GET', 'HEAD'])
    return {
      method,
      path: `${base}/${route}/${bucket}/${name}?token=${token}`,
      headers: { 'content-type': 'text/plain' },
      body: method === 'PUT' ? 'signed body' : undefined,
    }
  }
  // tus
  if (r.chance(0.8)) headers['tus-resumable'] = r.pick(['1.0.0', '0.2.2', ''])
  const meta = r.pick([
    `bucketName ${Buffer.from('docs').toString('base64')},objectName ${Buffer.from(`${ALICE}/t${r.int(20)}`).toString('base64')}`,
    `bucketName ${Buffer.from(bucket).toString('base64')},objectName ${Buffer.from(name).toString('base64')},contentType ${Buffer.from('x').toString('base64')}`,
    'bucketName,objectName',
    'bad metadata here',
    '',
  ])
  const id = r.pick(['00000000-0000-4000-8000-000000000000', 'not-a-uuid', '%zz', '1'])
  const method = r.pick(['POST', 'HEAD', 'PATCH', 'DELETE', 'OPTIONS', 'GET'])
  if (method === 'POST') {
    headers['upload-length'] = r.pick(['10', '0', '-1', 'x', '999999999999', '70000'])
    headers['upload-metadata'] = meta
    if (r.chance(0.1)) headers['upload-defer-length'] = '1'
    return { method, path: `${base}/upload/resumable`, headers, body: undefined }
  }
  headers['upload-offset'] = r.pick(['0', '5', '-1', 'x'])
  headers['content-type'] = r.pick(['application/offset+octet-stream', 'text/plain'])
  return {
    method,
    path: `${base}/upload/resumable/${id}`,
    headers,
    body: method === 'PATCH' ? 'patch bytes' : undefined,
  }
}

describe('storage input fuzz', () => {
  it('answers every endpoint with a 2xx/3xx or a Storage-shaped 4xx, never a 5xx', async () => {
    const { seed, failures, statuses } = await runFuzz({
      name: 'storage',
      runs: 2000,
      concurrency: 4,
      makeCase,
      // Over HTTP, through core's Node adapter, as a client would send them.
      send: (c) =>
        fetch(`${new URL(stack.url).origin}${c.path}`, {
          method: c.method,
          headers: c.headers ?? {},
          ...(c.body !== undefined && c.method !== 'GET' && c.method !== 'HEAD' ? { body: c.body } : {}),
        }),
      errorShape: ERROR_SHAPES.storage,
    })
    const shown = failures
      .slice(0, 5)
      .map((f) => ({ ...f, case: { ...f.case, body: String(f.case.body).slice(0, 200) } }))
    expect(shown, `seed ${seed} (FUZZ_SEED=${seed} to reproduce)`).toEqual([])
    expect([...statuses.keys()].some((s) => s < 300)).toBe(true)
  }, 180_000)
})
