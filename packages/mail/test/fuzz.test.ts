/**
 * Input fuzz for the mail admin handler: random and hostile Liquid (unclosed tags, unknown
 * filters, deep loops, huge ranges, prototype walks, includes), wrong JSON types and odd paths
 * through template CRUD, `/render` and `/preview`. Whatever comes in, the answer is a success or a
 * JSON `{ code, message }` 4xx — never a 5xx — and nothing reaches `Object.prototype`.
 *
 * Reproduce a failure with `FUZZ_SEED=<printed seed>`; `FUZZ_RUNS` changes the count.
 */
import { createJwtAuthenticator } from '@groundwork/core'
import {
  createTestDatabase,
  ERROR_SHAPES,
  type FuzzCase,
  HOSTILE,
  type Rng,
  runFuzz,
  signTestToken,
  TEST_JWT_SECRET,
  type TestDatabase,
} from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMail, type Mail, outboxTransport } from '../src/index'

let t: TestDatabase
let mail: Mail
let service: string

beforeAll(async () => {
  t = await createTestDatabase()
  mail = createMail({
    db: t.db,
    transport: outboxTransport(),
    from: 'no-reply@example.com',
    siteUrl: 'https://app.example.com',
    authenticate: createJwtAuthenticator({ secret: TEST_JWT_SECRET }),
    devMailbox: true,
    cacheTtl: 0,
  })
  service = await signTestToken({ role: 'service_role' })
})
afterAll(async () => {
  await mail?.close()
  await t?.drop()
})

const LIQUID = [
  'Hello {{ data.name }}',
  '{{ data.name | upcase }}',
  '{{ data.name | no_such_filter }}',
  '{% if data.name %}yes{% else %}no{% endif %}',
  '{% if data.name %}unclosed',
  '{{ unclosed',
  '{% for i in (1..100000000) %}{{ i }}{% endfor %}',
  '{% for i in (1..50) %}{% for j in (1..50) %}{% for k in (1..50) %}x{% endfor %}{% endfor %}{% endfor %}',
  '{{ data.constructor.constructor }}',
  '{{ data.__proto__ }}',
  '{{ "x" | append: data.name | size }}',
  '{% assign s = "" %}{% for i in (1..10000) %}{% assign s = s | append: "xxxxxxxxxx" %}{% endfor %}{{ s | size }}',
  '{% include "/etc/passwd" %}',
  '{% render "nope" %}',
  '{% layout "x" %}',
  '{% raw %}{{ not rendered }}{% endraw %}',
  '{{ confirmation_url }} {{ token }} {{ site_url }}',
  '<script>{{ data.name }}</script>',
  '{{ data.name | escape | raw }}',
  '{{ 1 | divided_by: 0 }}',
  '{{ data.list | first | last | size }}',
  '{% cycle "a", "b" %}',
  '{% tablerow i in (1..3) %}{{ i }}{% endtablerow %}',
  '{% case data.name %}{% when "a" %}A{% endcase %}',
  '{% capture x %}{{ data.name }}{% endcapture %}{{ x }}',
  '{%- if -%}',
  '{{ "now" | date: "%Y" }}',
  '😀 ünïcødé {{ data.name }}',
  '',
  'x'.repeat(70_000),
  ...HOSTILE.strings,
]

function liquid(r: Rng): string {
  const parts = Array.from({ length: 1 + r.int(3) }, () => r.pick(LIQUID))
  return parts.join(r.pick(['', ' ', '\n']))
}

function variables(r: Rng): unknown {
  return r.pick([
    undefined,
    {},
    { data: { name: r.pick(['Ann', '<b>x</b>', '', '😀', 'x'.repeat(10_000), ...HOSTILE.strings]) } },
    { data: { list: [[1, 2], 'a'] } },
    { data: null },
    'not an object',
    [1, 2],
    JSON.parse('{"__proto__": {"polluted": true}, "data": {"name": "p"}}'),
    { constructor: { prototype: { polluted: true } } },
  ])
}

const KEYS = [
  'welcome',
  'confirm_signup',
  'magic_link',
  'recovery',
  'x'.repeat(300),
  '%zz',
  'a b',
  '😀',
  '..',
  ...HOSTILE.strings,
]

/** A body: mostly `value` as JSON, sometimes a nesting bomb (past the depth limit, under 1 MiB). */
function jsonBody(r: Rng, value: unknown): string {
  return r.chance(0.03) ? HOSTILE.deepJson(r.pick([200, 20_000, 100_000])) : JSON.stringify(value)
}

function makeCase(r: Rng): FuzzCase {
  const kind = r.int(8)
  const key = encodeURIComponent(r.pick(KEYS)).replace('%25zz', '%zz')
  if (kind <= 2) {
    const body: Record<string, unknown> = {}
    if (r.chance(0.95)) body.subject = r.chance(0.9) ? liquid(r) : 5
    if (r.chance(0.95)) body.html = r.chance(0.9) ? liquid(r) : { html: true }
    if (r.chance(0.4)) body.text = r.chance(0.8) ? liquid(r) : 7
    if (r.chance(0.3)) body.locale = r.pick(['fr', 'fr-CA', '', 'x'.repeat(100), 3])
    if (r.chance(0.2)) body.enabled = r.pick([true, false, 'yes'])
    return { method: 'PUT', path: `/templates/${key}`, body: r.chance(0.95) ? jsonBody(r, body) : '{' }
  }
  if (kind === 3) {
    return {
      method: 'POST',
      path: '/render',
      body: jsonBody(r, {
        template: r.chance(0.9) ? r.pick(KEYS) : 1,
        locale: r.pick([undefined, 'fr', 'fr-CA', '']),
        variables: variables(r),
      }),
    }
  }
  if (kind === 4) {
    return {
      method: 'POST',
      path: '/preview',
      body: jsonBody(r, {
        subject: liquid(r),
        html: liquid(r),
        text: r.pick([null, liquid(r)]),
        variables: variables(r),
      }),
    }
  }
  if (kind === 5)
    return { method: 'GET', path: `/templates/${key}?locale=${r.pick(['fr', '', '%zz'])}`, body: undefined }
  if (kind === 6) return { method: 'DELETE', path: `/templates/${key}`, body: undefined }
  return {
    method: r.pick(['GET', 'POST', 'PATCH']),
    path: r.pick([
      '/templates',
      '/builtin',
      '/outbox?limit=-1',
      '/outbox?limit=abc',
      '/outbox?limit=99999999999999999999',
      '/outbox/not-a-uuid',
      '/nope',
    ]),
    body: undefined,
  }
}

function send(c: FuzzCase): Promise<Response> {
  const headers = new Headers({ authorization: `Bearer ${service}` })
  if (c.body !== undefined) headers.set('content-type', 'application/json')
  return mail.handler(new Request(`http://localhost${c.path}`, { method: c.method, headers, body: c.body }))
}

describe('mail admin input fuzz', () => {
  it('answers random templates and bodies with a success or a JSON 4xx, never a 5xx', async () => {
    const { seed, failures } = await runFuzz({
      name: 'mail',
      runs: 1500,
      concurrency: 4,
      makeCase,
      send,
      errorShape: ERROR_SHAPES.groundwork,
    })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    const shown = failures
      .slice(0, 5)
      .map((f) => ({ ...f, case: { ...f.case, body: String(f.case.body).slice(0, 300) } }))
    expect(shown, `seed ${seed} (FUZZ_SEED=${seed} to reproduce)`).toEqual([])
  }, 180_000)
})
