import type { MediaType } from '../context'
import { RestError } from '../errors'
import { type ExtensionRegistry, NO_EXTENSIONS } from '../extensions/registry'

interface Accepted {
  type: string
  params: Record<string, string>
  q: number
  index: number
}

/** Parses an `Accept` header into media ranges, best first (by `q`, then order). */
export function parseAccept(header: string | null): Accepted[] {
  if (!header || header.trim() === '') return [{ type: '*/*', params: {}, q: 1, index: 0 }]
  const out: Accepted[] = []
  header.split(',').forEach((part, index) => {
    const [typePart, ...paramParts] = part.split(';')
    const type = (typePart ?? '').trim().toLowerCase()
    if (type === '') return
    const params: Record<string, string> = {}
    let q = 1
    for (const p of paramParts) {
      const eq = p.indexOf('=')
      if (eq === -1) continue
      const k = p.slice(0, eq).trim().toLowerCase()
      const v = p
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1')
      if (k === 'q') q = Number.isFinite(Number(v)) ? Number(v) : 0
      else params[k] = v
    }
    if (q > 0) out.push({ type, params, q, index })
  })
  return out.sort((a, b) => b.q - a.q || a.index - b.index)
}

/** What the target can produce: tables and SETOF/composite RPC add CSV; scalar RPC adds text/octet. */
export interface Producible {
  csv: boolean
  scalarText: boolean
  plan: boolean
  /** The target is `/rpc/<fn>` (told to extensions' media types). */
  rpc?: boolean
}

function jsonType(kind: 'json' | 'object' | 'array', stripNulls: boolean): MediaType {
  const base =
    kind === 'json'
      ? 'application/json'
      : kind === 'object'
        ? 'application/vnd.pgrst.object+json'
        : 'application/vnd.pgrst.array+json'
  return {
    kind,
    stripNulls,
    plan: null,
    contentType: `${base}${stripNulls ? '; nulls=stripped' : ''}; charset=utf-8`,
  }
}

/**
 * Picks the response media type from `Accept`, as PostgREST does; none producible → 406 PGRST107.
 *
 * @see https://docs.postgrest.org/en/v14/references/api/resource_representation.html
 */
export function negotiate(
  header: string | null,
  producible: Producible,
  extensions: ExtensionRegistry = NO_EXTENSIONS,
): MediaType {
  for (const accepted of parseAccept(header)) {
    const stripNulls = accepted.params.nulls === 'stripped'
    const contributed = extensions.mediaTypes.get(accepted.type)
    if (contributed) {
      const contentType = contributed.accept(accepted.params, { rpc: producible.rpc === true })
      if (contentType !== null) {
        return {
          kind: 'extension',
          stripNulls: false,
          plan: null,
          contentType,
          extension: { mediaType: contributed, params: accepted.params, contentType },
        }
      }
      continue
    }
    switch (accepted.type) {
      case '*/*':
      case 'application/*':
      case 'application/json':
        return jsonType('json', stripNulls)
      case 'application/vnd.pgrst.object+json':
      case 'application/vnd.pgrst.object':
        return jsonType('object', stripNulls)
      case 'application/vnd.pgrst.array+json':
      case 'application/vnd.pgrst.array':
        return jsonType('array', stripNulls)
      case 'text/csv':
        if (producible.csv)
          return { kind: 'csv', stripNulls: false, plan: null, contentType: 'text/csv; charset=utf-8' }
        break
      case 'text/*':
      case 'text/plain':
        if (producible.scalarText)
          return { kind: 'text', stripNulls: false, plan: null, contentType: 'text/plain; charset=utf-8' }
        if (accepted.type === 'text/*' && producible.csv)
          return { kind: 'csv', stripNulls: false, plan: null, contentType: 'text/csv; charset=utf-8' }
        break
      case 'text/xml':
        if (producible.scalarText)
          return { kind: 'xml', stripNulls: false, plan: null, contentType: 'text/xml; charset=utf-8' }
        break
      case 'application/octet-stream':
        if (producible.scalarText)
          return { kind: 'octet', stripNulls: false, plan: null, contentType: 'application/octet-stream' }
        break
      case 'application/vnd.pgrst.plan':
      case 'application/vnd.pgrst.plan+json':
      case 'application/vnd.pgrst.plan+text': {
        if (!producible.plan) break
        const format = accepted.type.endsWith('+json') ? 'json' : 'text'
        const target = (accepted.params.for ?? '').toLowerCase()
        const forKind =
          target === 'application/vnd.pgrst.object+json'
            ? 'object'
            : target === 'text/csv'
              ? 'csv'
              : target
                ? 'json'
                : null
        const options = (accepted.params.options ?? '')
          .split('|')
          .map((o) => o.trim().toLowerCase())
          .filter((o) => ['analyze', 'verbose', 'settings', 'buffers', 'wal'].includes(o))
        return {
          kind: 'plan',
          stripNulls: false,
          plan: { format, for: forKind, options },
          // PostgREST's rendering: the format, what it is the plan for, the options, the charset.
          contentType: `application/vnd.pgrst.plan+${format}; for="${target || 'application/json'}"${
            options.length > 0 ? `; options=${options.join('|')}` : ''
          }; charset=utf-8`,
        }
      }
    }
  }
  throw new RestError('PGRST107', `None of these media types are available: ${header ?? ''}`, { status: 406 })
}
