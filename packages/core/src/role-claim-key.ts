/**
 * PostgREST's `jwt-role-claim-key`: a JSPath-like expression saying where in the JWT claims the
 * Postgres role is. Supported, as PostgREST documents them:
 *
 * - `.key` and `."key with .dots or :colons"` — an object member;
 * - `[0]` — an array element;
 * - `[?(@ == "admin")]`, `[?(@ != "x")]`, `[?(@ ^== "pre")]` (starts with), `[?(@ ==^ "suf")]`
 *   (ends with), `[?(@ *== "mid")]` (contains) — the first array element (a string) matching.
 *
 * Examples: `.role` (the default), `.realm_access.roles[0]` (Keycloak),
 * `."https://example.com/claims".role` (Auth0 namespaced claims),
 * `.roles[?(@ ^== "app_")]`.
 *
 * @see https://docs.postgrest.org/en/v12/references/configuration.html#jwt-role-claim-key
 * @see https://docs.postgrest.org/en/v12/references/auth.html#jwt-role-extraction
 */
export type RoleClaimPath = readonly RoleClaimStep[]

/** One step of a {@link RoleClaimPath}. */
export type RoleClaimStep =
  | { kind: 'key'; key: string }
  | { kind: 'index'; index: number }
  | { kind: 'filter'; operator: '==' | '!=' | '^==' | '==^' | '*=='; value: string }

const FILTER = /^\[\?\(@\s*(==|!=|\^==|==\^|\*==)\s*"((?:[^"\\]|\\.)*)"\s*\)\]/
// PostgREST's bare keys: letters and digits (Unicode), `_`, `$`, `@`.
const KEY = /^\.([\p{L}\p{N}_$@]+)/u
const QUOTED_KEY = /^\."((?:[^"\\]|\\.)*)"/
const INDEX = /^\[(\d+)\]/

/** Parses a role claim key; throws a `TypeError` saying where it stopped making sense. */
export function parseRoleClaimKey(expression: string): RoleClaimPath {
  const steps: RoleClaimStep[] = []
  let rest = expression.trim()
  if (rest === '') throw new TypeError('is empty; the default is ".role"')
  while (rest !== '') {
    const next = nextStep(rest)
    if (!next) {
      throw new TypeError(`cannot be parsed at "${rest}" (expected .key, ."key", [n] or [?(@ == "value")])`)
    }
    steps.push(next.step)
    rest = rest.slice(next.length)
  }
  return steps
}

/** The step at the start of `text` and how many characters it took, or null. */
function nextStep(text: string): { step: RoleClaimStep; length: number } | null {
  const quoted = QUOTED_KEY.exec(text)
  if (quoted)
    return { step: { kind: 'key', key: unescapeQuoted(quoted[1] as string) }, length: quoted[0].length }
  const key = KEY.exec(text)
  if (key) return { step: { kind: 'key', key: key[1] as string }, length: key[0].length }
  const index = INDEX.exec(text)
  if (index) return { step: { kind: 'index', index: Number(index[1]) }, length: index[0].length }
  const filter = FILTER.exec(text)
  if (filter) {
    const operator = filter[1] as Extract<RoleClaimStep, { kind: 'filter' }>['operator']
    return {
      step: { kind: 'filter', operator, value: unescapeQuoted(filter[2] as string) },
      length: filter[0].length,
    }
  }
  return null
}

/**
 * Follows `path` through the claims. The role when it ends on a non-empty string; `undefined` when
 * the path leads nowhere (or to `""`): the caller is anonymous, as in PostgREST; `null` when it
 * leads to something that is not a string (a number, object, array): PostgREST would try that as a
 * role name and fail the request, and so must the caller — never a silent downgrade to anon.
 */
export function roleFromClaims(claims: unknown, path: RoleClaimPath): string | null | undefined {
  let current: unknown = claims
  for (const step of path) {
    if (step.kind === 'key') {
      if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined
      if (!Object.hasOwn(current, step.key)) return undefined
      current = (current as Record<string, unknown>)[step.key]
    } else if (step.kind === 'index') {
      if (!Array.isArray(current)) return undefined
      current = current[step.index]
    } else {
      if (!Array.isArray(current)) return undefined
      current = current.find((item) => typeof item === 'string' && matches(item, step))
    }
  }
  if (current === undefined || current === null || current === '') return undefined
  return typeof current === 'string' ? current : null
}

function matches(item: string, step: Extract<RoleClaimStep, { kind: 'filter' }>): boolean {
  switch (step.operator) {
    case '==':
      return item === step.value
    case '!=':
      return item !== step.value
    case '^==':
      return item.startsWith(step.value)
    case '==^':
      return item.endsWith(step.value)
    case '*==':
      return item.includes(step.value)
  }
}

function unescapeQuoted(text: string): string {
  return text.replace(/\\(.)/g, '$1')
}
