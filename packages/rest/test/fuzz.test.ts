/**
 * Grammar fuzz: ≥ 10,000 random and malformed requests (query strings, headers, bodies) against
 * the handler in-process. Whatever comes in, the answer must be PostgREST-shaped: never a 5xx,
 * never a Postgres syntax error in SQL we generated (42601), and every
 * error a JSON `{code, message, details, hint}`.
 *
 * Reproduce a failure with `FUZZ_SEED=<printed seed>`; `FUZZ_RUNS` changes the count.
 */
import { ERROR_SHAPES, type FuzzCase, HOSTILE, type Rng, requestHandler, runFuzz } from '@groundwork/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RestHarness, startRest } from './support/server'

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000)

let h: RestHarness
beforeAll(async () => {
  // Every transaction rolls back: random writes never change the fixture.
  h = await startRest({ txEnd: 'rollback' })
})
afterAll(async () => {
  await h?.close()
})

const TABLES = [
  'todos',
  'lists',
  'list_members',
  'profiles',
  'users',
  'films',
  'actors',
  'roles',
  'directors',
  'classic_films',
  'film_cast_counts',
  'teams',
  'matches',
  'events',
  'audit_log',
  'open_todos',
  'nope',
  'Todos',
]
const COLUMNS = [
  'id',
  'title',
  'done',
  'priority',
  'due',
  'tags',
  'details',
  'name',
  'year',
  'rating',
  'genres',
  'info',
  'tsv',
  'runtime',
  'during',
  'seats',
  'attrs',
  'doc',
  'labels',
  'status',
  'list_id',
  'owner_id',
  'username',
  'bio',
  'settings',
  'search',
  'character',
  'film_id',
  'actor_id',
  'home_team_id',
  'created_at',
  'label',
  'missing_col',
  'select',
  'order',
  '"quoted col"',
  'a.b',
  '*',
  '',
]
const EMBEDS = [
  'lists',
  'todos',
  'directors',
  'films',
  'actors',
  'roles',
  'teams',
  'matches',
  'profiles',
  'users',
  'list_members',
  'classic_films',
  'teams!home_team_id',
  'teams!matches_away_team_id_fkey',
  'films!inner',
  'directors!left',
  '...directors',
  '...films',
  '...actors',
  'nope',
  'owner:users',
]
const OPERATORS = [
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'like',
  'ilike',
  'match',
  'imatch',
  'in',
  'is',
  'isdistinct',
  'fts',
  'plfts',
  'phfts',
  'wfts',
  'cs',
  'cd',
  'ov',
  'sl',
  'sr',
  'nxr',
  'nxl',
  'adj',
  'not',
  'eq(any)',
  'like(all)',
  'fts(english)',
  'wfts(simple)',
  'bogus',
  '',
]
const VALUES = [
  '1',
  '0',
  '-1',
  '3.5',
  '1e309',
  'abc',
  '',
  'null',
  'true',
  'false',
  'unknown',
  'not_null',
  '(1,2,3)',
  '("a,b","c")',
  '{a,b}',
  '{1,2}',
  '[1,5)',
  '(,)',
  '{"k":1}',
  '[1,2]',
  "'; drop table todos; --",
  '"',
  '\\',
  '%',
  '*',
  '$1',
  '::text',
  '->',
  '2030-01-01',
  'a b',
  'x)y',
  '((',
  '))',
  ',',
  '.',
  '\u0000',
  '\u{1F600}',
  '00000000-0000-4000-8000-00000000000a',
  "O'Reilly",
  'a\tb',
  'NaN',
  '9999999999999999999999',
]
const CASTS = [
  '',
  '::text',
  '::int',
  '::json',
  '::bogus',
  '::double precision',
  '::text[]',
  '::"x"',
  '::int;drop',
]
const JSON_PATHS = ['', '->a', '->>a', '->0', '->>0', '->a->>b', '->', '->>', "->'a'", '->"a b"']
const RPCS = [
  'add',
  'search_films',
  'films_between',
  'get_film',
  'film_stats',
  'ping',
  'log_message',
  'concat_all',
  'greet',
  'echo_json',
  'sum_numbers',
  'whoami',
  'my_todos',
  'create_list',
  'bump_counter',
  'fail',
  'array_length_of',
  'shout',
  'pick',
  'numbers',
  'nope',
]
const RPC_ARGS = [
  'a',
  'b',
  'q',
  'from_year',
  'to_year',
  'film_id',
  'message',
  'parts',
  'name',
  'greeting',
  'payload',
  'title',
  'items',
  'x',
  '',
]
const ACCEPTS = [
  null,
  'application/json',
  '*/*',
  'text/csv',
  'application/vnd.pgrst.object+json',
  'application/vnd.pgrst.object+json;nulls=stripped',
  'application/vnd.pgrst.array+json;nulls=stripped',
  'application/vnd.pgrst.plan',
  'application/vnd.pgrst.plan+json; for="application/json"; options=analyze|verbose',
  'text/plain',
  'application/xml',
  'application/octet-stream',
  'image/png',
  'application/geo+json',
  'text/*;q=0.5, application/json',
  ';;;',
  'application/json;q=abc',
]
const PREFERS = [
  'return=representation',
  'return=minimal',
  'return=headers-only',
  'count=exact',
  'count=planned',
  'count=estimated',
  'resolution=merge-duplicates',
  'resolution=ignore-duplicates',
  'missing=default',
  'handling=strict',
  'handling=lenient',
  'tx=rollback',
  'tx=commit',
  'max-affected=1',
  'max-affected=x',
  'timezone=UTC',
  'timezone=Bogus/Zone',
  'params=single-object',
  'foo',
  'return=',
  '=',
  ',,',
  'count=exact;q=1',
]
const CONTENT_TYPES = [
  null,
  'application/json',
  'text/csv',
  'application/x-www-form-urlencoded',
  'text/plain',
  'application/octet-stream',
  'application/json; charset=utf-8',
  'bogus/type',
  'application/vnd.pgrst.object+json',
]

/** Real columns per relation, for grammar-valid requests that reach the database. */
const TABLE_COLUMNS: Record<string, string[]> = {
  todos: [
    'id',
    'list_id',
    'owner_id',
    'title',
    'done',
    'priority',
    'due',
    'tags',
    'details',
    'title_length',
    'created_at',
  ],
  lists: ['id', 'owner_id', 'title', 'created_at'],
  profiles: ['id', 'username', 'bio', 'age', 'settings', 'interests', 'search'],
  films: ['id', 'title', 'year', 'director_id', 'rating', 'genres', 'info', 'tsv', 'runtime', 'label'],
  directors: ['id', 'name'],
  actors: ['id', 'name', 'birth_year'],
  events: ['id', 'name', 'during', 'seats', 'attrs', 'doc', 'labels', 'status', 'created_at'],
  matches: ['id', 'home_team_id', 'away_team_id', 'played_on', 'home_score', 'away_score'],
  teams: ['id', 'name'],
}
const TABLE_EMBEDS: Record<string, string[]> = {
  todos: ['lists', 'users'],
  lists: ['todos', 'list_members', 'users'],
  profiles: ['users'],
  films: ['directors', 'actors', 'roles'],
  directors: ['films', 'classic_films', '...films'],
  actors: ['films', 'roles', '...films'],
  events: [],
  matches: ['home:teams!home_team_id', 'away:teams!away_team_id'],
  teams: ['matches!home_team_id'],
}
const TYPED_VALUES = [
  '1',
  '42',
  '-3',
  '2.5',
  'abc',
  'true',
  'false',
  '2030-01-01',
  '{a,b}',
  '{1}',
  '[1,10)',
  '{"k":1}',
  'Buy milk',
  'The Shining',
  '00000000-0000-4000-8000-00000000000a',
  '%a%',
  '*e*',
  '^S',
  'hotel',
]

/** A request that follows the grammar, on real columns, with random (often ill-typed) values. */
function validCase(r: Rng): { path: string; table: string } {
  const table = r.pick(Object.keys(TABLE_COLUMNS))
  const columns = TABLE_COLUMNS[table] as string[]
  const params: string[] = []
  const select = Array.from({ length: 1 + r.int(3) }, () =>
    r.chance(0.7) ? r.pick(columns) + (r.chance(0.1) ? '::text' : '') : '*',
  )
  const embeds = TABLE_EMBEDS[table] as string[]
  if (embeds.length > 0 && r.chance(0.5)) select.push(`${r.pick(embeds)}(*)`)
  params.push(`select=${encodeURIComponent(select.join(','))}`)
  for (let i = 0; i < r.int(4); i++) {
    const op = r.pick([
      'eq',
      'neq',
      'gt',
      'lt',
      'gte',
      'lte',
      'like',
      'ilike',
      'in',
      'is',
      'cs',
      'cd',
      'ov',
      'fts',
      'match',
      'isdistinct',
    ])
    const value =
      op === 'in'
        ? `(${r.pick(TYPED_VALUES)},${r.pick(TYPED_VALUES)})`
        : op === 'is'
          ? r.pick(['null', 'true', 'not_null'])
          : r.pick(TYPED_VALUES)
    params.push(`${r.pick(columns)}=${r.chance(0.2) ? 'not.' : ''}${op}.${encodeURIComponent(value)}`)
  }
  if (r.chance(0.3))
    params.push(
      `or=${encodeURIComponent(`(${r.pick(columns)}.eq.${r.pick(TYPED_VALUES)},${r.pick(columns)}.is.null)`)}`,
    )
  if (r.chance(0.4))
    params.push(`order=${r.pick(columns)}.${r.pick(['asc', 'desc'])}.${r.pick(['nullsfirst', 'nullslast'])}`)
  if (r.chance(0.3)) params.push(`limit=${r.int(5)}&offset=${r.int(3)}`)
  return { path: `/${table}?${params.join('&')}`, table }
}

function validBody(r: Rng, table: string): string {
  const columns = (TABLE_COLUMNS[table] as string[]).filter((c) => c !== 'label')
  const row = () =>
    Object.fromEntries(
      Array.from({ length: 1 + r.int(3) }, () => [
        r.pick(columns),
        r.pick<unknown>([1, 'x', null, true, ['a'], { a: 1 }, '2030-01-01', '[1,2)']),
      ]),
    )
  return JSON.stringify(r.chance(0.3) ? [row(), row()] : row())
}

function filterValue(r: Rng): string {
  const op = r.pick(OPERATORS)
  const parts: string[] = []
  if (r.chance(0.15)) parts.push('not')
  parts.push(op)
  let value = r.pick(VALUES)
  if (op === 'in' && r.chance(0.7))
    value = `(${Array.from({ length: r.int(4) }, () => r.pick(VALUES)).join(',')})`
  if (op === 'is') value = r.pick(['null', 'not_null', 'true', 'false', 'unknown', 'maybe'])
  parts.push(value)
  return parts.join('.')
}

function selectList(r: Rng, depth = 0): string {
  const items: string[] = []
  const n = 1 + r.int(4)
  for (let i = 0; i < n; i++) {
    const roll = r.next()
    if (roll < 0.1) items.push('*')
    else if (roll < 0.25 && depth < 3) {
      const alias = r.chance(0.2) ? 'alias:' : ''
      items.push(`${alias}${r.pick(EMBEDS)}(${selectList(r, depth + 1)})`)
    } else if (roll < 0.3) items.push(r.pick(['count()', 'id.sum()', 'priority.avg()', 'count()::int']))
    else {
      const alias = r.chance(0.15) ? `${r.pick(['x', 'my alias', '"q"', ''])}:` : ''
      items.push(`${alias}${r.pick(COLUMNS)}${r.pick(JSON_PATHS)}${r.pick(CASTS)}`)
    }
  }
  return items.join(',')
}

function logicTree(r: Rng, depth = 0): string {
  const n = 1 + r.int(3)
  const children: string[] = []
  for (let i = 0; i < n; i++) {
    if (depth < 3 && r.chance(0.25))
      children.push(`${r.pick(['or', 'and', 'not.or', 'not.and'])}${logicTree(r, depth + 1)}`)
    else children.push(`${r.pick(COLUMNS)}${r.chance(0.1) ? r.pick(JSON_PATHS) : ''}.${filterValue(r)}`)
  }
  return `(${children.join(',')})`
}

function orderList(r: Rng): string {
  return Array.from({ length: 1 + r.int(3) }, () => {
    const column = r.chance(0.15) ? `${r.pick(EMBEDS)}(${r.pick(COLUMNS)})` : r.pick(COLUMNS)
    return [
      column,
      r.chance(0.5) ? r.pick(['asc', 'desc', 'up']) : null,
      r.chance(0.3) ? r.pick(['nullsfirst', 'nullslast', 'nulls']) : null,
    ]
      .filter(Boolean)
      .join('.')
  }).join(',')
}

/** Corrupts a string: truncation, inserted/deleted/duplicated reserved characters. */
function mangle(r: Rng, text: string): string {
  let s = text
  const times = r.int(3)
  for (let i = 0; i < times; i++) {
    const at = r.int(s.length + 1)
    switch (r.int(4)) {
      case 0:
        s = s.slice(0, at)
        break
      case 1:
        s =
          s.slice(0, at) +
          r.pick(['(', ')', ',', '.', '"', ':', '!', '-', '>', '\\', '%', '&', '=', ' ', '{', '}']) +
          s.slice(at)
        break
      case 2:
        s = s.slice(0, at) + s.slice(at + 1)
        break
      default:
        s = s + s.slice(at)
    }
  }
  return s
}

function randomBody(r: Rng): string {
  const roll = r.next()
  if (roll < 0.01) return HOSTILE.deepJson(r.pick([200, 100_000]))
  if (roll < 0.02)
    return JSON.stringify({ title: r.pick(HOSTILE.strings), data: JSON.parse(HOSTILE.deepJson(100)) })
  if (roll < 0.1) return ''
  if (roll < 0.2) return mangle(r, '{"title":"x","priority":1}')
  if (roll < 0.3) return 'id,name\n1,"a"\n2,NULL'
  if (roll < 0.35) return '"just a string"'
  if (roll < 0.4) return '[1,2,3]'
  const row = () => {
    const out: Record<string, unknown> = {}
    for (let i = 0; i < 1 + r.int(4); i++) {
      out[r.pick([...COLUMNS, ...RPC_ARGS])] = r.pick<unknown>([
        1,
        'x',
        null,
        true,
        [1, 2],
        { a: 1 },
        1.5,
        '2030-01-01',
        '[1,2)',
        -5,
      ])
    }
    return out
  }
  return JSON.stringify(r.chance(0.3) ? Array.from({ length: r.int(4) }, row) : row())
}

type Case = FuzzCase & { headers: Record<string, string> }

/** Fixture functions and their parameter names, for grammar-valid RPC calls. */
const RPC_SIGNATURES: Record<string, string[]> = {
  add: ['a', 'b'],
  search_films: ['q'],
  films_between: ['from_year', 'to_year'],
  get_film: ['film_id'],
  film_stats: ['film_id'],
  concat_all: ['parts'],
  greet: ['name', 'greeting'],
  sum_numbers: ['payload'],
  whoami: [],
  my_todos: [],
  array_length_of: ['items'],
  pick: ['a', 'b', 'c'],
  ping: [],
}

/** A call that names real parameters (with random values), filters and shapes the result. */
function validRpcCase(r: Rng): Case {
  const fn = r.pick(Object.keys(RPC_SIGNATURES))
  const names = (RPC_SIGNATURES[fn] as string[]).filter(() => r.chance(0.7))
  const args: Record<string, unknown> = {}
  for (const name of names)
    args[name] = r.pick<unknown>([1, 1950, 'the', 'x', ['a', 'b'], { numbers: [1, 2] }, null, '{1,2}', 2.5])
  const params: string[] = []
  if (r.chance(0.4))
    params.push(`select=${r.pick(['*', 'id,title', 'title,directors(name)', 'film_title', 'id'])}`)
  if (r.chance(0.3))
    params.push(
      `${r.pick(['year', 'id', 'rating', 'done'])}=${r.pick(['gt.1960', 'eq.2', 'is.null', 'lt.8'])}`,
    )
  if (r.chance(0.3)) params.push(`order=${r.pick(['id.desc', 'year', 'title.asc.nullsfirst'])}`)
  if (r.chance(0.2)) params.push(`limit=${r.int(4)}`)
  const as = r.pick(['anon', 'alice', 'service'] as const)
  const headers: Record<string, string> = { authorization: `Bearer ${h.tokens[as]}` }
  if (r.chance(0.2))
    headers.prefer = r.pick(['count=exact', 'params=single-object', 'count=exact, tx=rollback'])
  if (r.chance(0.1)) headers.accept = r.pick(['application/vnd.pgrst.object+json', 'text/plain', 'text/csv'])
  if (r.chance(0.5)) {
    for (const [k, v] of Object.entries(args)) {
      params.push(
        `${k}=${encodeURIComponent(Array.isArray(v) ? `{${v.join(',')}}` : typeof v === 'object' ? JSON.stringify(v) : String(v))}`,
      )
    }
    return {
      method: r.pick(['GET', 'HEAD']),
      path: `/rpc/${fn}${params.length ? `?${params.join('&')}` : ''}`,
      headers,
    }
  }
  headers['content-type'] = 'application/json'
  return {
    method: 'POST',
    path: `/rpc/${fn}${params.length ? `?${params.join('&')}` : ''}`,
    headers,
    body: JSON.stringify(args),
  }
}

function randomCase(r: Rng): Case {
  if (r.chance(0.1)) return validRpcCase(r)
  if (r.chance(0.4)) {
    const { path, table } = validCase(r)
    const method = r.pick(['GET', 'GET', 'GET', 'HEAD', 'POST', 'PATCH', 'DELETE'])
    const as = r.pick(['anon', 'alice', 'bob', 'service'] as const)
    const headers: Record<string, string> = { authorization: `Bearer ${h.tokens[as]}` }
    if (r.chance(0.3))
      headers.prefer = r.pick([
        'return=representation',
        'count=exact',
        'return=minimal, count=exact',
        'resolution=merge-duplicates, return=representation',
        'missing=default, return=representation',
      ])
    if (r.chance(0.15))
      headers.accept = r.pick([
        'text/csv',
        'application/vnd.pgrst.object+json',
        'application/vnd.pgrst.array+json;nulls=stripped',
      ])
    if (method === 'GET' || method === 'HEAD') return { method, path, headers }
    headers['content-type'] = 'application/json'
    return { method, path, headers, body: validBody(r, table) }
  }
  const rpc = r.chance(0.2)
  const method = rpc
    ? r.pick(['GET', 'GET', 'POST', 'POST', 'HEAD', 'PATCH'])
    : r.pick(['GET', 'GET', 'GET', 'GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS'])
  const params: string[] = []
  const add = (k: string, v: string) =>
    params.push(`${encodeURIComponent(k)}=${r.chance(0.1) ? v : encodeURIComponent(v)}`)
  const n = r.int(6)
  for (let i = 0; i < n; i++) {
    const roll = r.next()
    if (roll < 0.2) add('select', selectList(r))
    else if (roll < 0.45)
      add(
        `${r.chance(0.15) ? `${r.pick(EMBEDS)}.` : ''}${r.pick(COLUMNS)}${r.chance(0.1) ? r.pick(JSON_PATHS) : ''}`,
        filterValue(r),
      )
    else if (roll < 0.55) add(r.pick(['or', 'and', 'not.or', 'films.or', 'todos.and']), logicTree(r))
    else if (roll < 0.65) add(r.chance(0.2) ? `${r.pick(EMBEDS)}.order` : 'order', orderList(r))
    else if (roll < 0.72)
      add(
        r.pick(['limit', 'offset', 'films.limit', 'todos.offset']),
        r.pick(['0', '1', '10', '-1', 'x', '1.5', '99999999999999999999']),
      )
    else if (roll < 0.78)
      add(r.pick(['columns', 'on_conflict']), r.pick(['id', 'id,title', '"id","name"', 'nope', ',', '']))
    else if (roll < 0.9 && rpc) add(r.pick(RPC_ARGS), r.pick(VALUES))
    else add(r.pick(COLUMNS), r.pick(VALUES))
  }
  let query = params.join('&')
  if (r.chance(0.15)) query = mangle(r, query)
  const resource = rpc ? `rpc/${r.pick(RPCS)}` : r.pick(TABLES)
  const path = `/${r.chance(0.03) ? mangle(r, resource) : resource}${query ? `?${query}` : ''}`

  const headers: Record<string, string> = {}
  const accept = r.pick(ACCEPTS)
  if (accept) headers.accept = accept
  if (r.chance(0.5))
    headers.prefer = Array.from({ length: 1 + r.int(3) }, () => r.pick(PREFERS)).join(
      r.pick([', ', ',', ';']),
    )
  if (r.chance(0.1))
    headers.range = r.pick(['0-9', '5-', '-5', 'x-y', '10-2', 'items=0-9', '0-99999999999999999999'])
  if (r.chance(0.05)) headers['accept-profile'] = r.pick(['public', 'auth', 'nope', ''])
  if (r.chance(0.05)) headers['content-profile'] = r.pick(['public', 'private', ''])
  const as = r.pick(['anon', 'alice', 'bob', 'service'] as const)
  headers.authorization = `Bearer ${h.tokens[as]}`
  if (r.chance(0.02))
    headers.authorization = r.pick(['Bearer', 'Bearer x.y.z', 'Basic abc', `Bearer ${h.tokens.alice}x`])

  const c: Case = { method, path, headers }
  if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') {
    const contentType = r.pick(CONTENT_TYPES)
    if (contentType) headers['content-type'] = contentType
    c.body = randomBody(r)
  }
  return c
}

/** PostgREST's exact error keys, and no syntax error in SQL we generated. */
function check(response: Response, body: string, c: FuzzCase): string | null {
  if (response.status < 400 || c.method === 'HEAD') return null
  const error = JSON.parse(body) as Record<string, unknown>
  const keys = Object.keys(error).sort().join(',')
  if (keys !== 'code,details,hint,message') return `error keys ${keys}`
  // 42601 is also how Postgres rejects a malformed tsquery/tsvector *value* ("syntax error in
  // tsquery", "no operand in tsquery"): the client's input, answered the same by PostgREST.
  if (error.code === '42601' && !/ in ts(query|vector)\b/.test(String(error.message))) {
    return 'SQL syntax error from our SQL'
  }
  return null
}

describe('grammar fuzz', () => {
  it(`answers ${RUNS} random requests without a 5xx or a SQL syntax error`, {
    timeout: 120_000,
  }, async () => {
    const { seed, failures, statuses } = await runFuzz({
      name: 'grammar',
      runs: RUNS,
      concurrency: 8,
      makeCase: randomCase,
      send: (c) =>
        requestHandler(h.rest.handler, c.path, {
          method: c.method,
          headers: c.headers ?? {},
          ...(c.body !== undefined ? { body: c.body } : {}),
        }),
      errorShape: ERROR_SHAPES.postgrest,
      check,
    })
    // The fuzz must reach the database, not only the parser.
    expect((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0) + (statuses.get(204) ?? 0)).toBeGreaterThan(
      RUNS / 20,
    )
    expect(failures.slice(0, 25), `seed ${seed}`).toEqual([])
  })
})
