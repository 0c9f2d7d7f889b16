/**
 * Secrets never reach a log line: values under sensitive keys are replaced, and token-shaped
 * strings anywhere (JWTs, `Bearer …`, Standard Webhooks secrets, API keys, URL credentials and
 * token query parameters) are masked.
 */
const SENSITIVE_KEY =
  /^(authorization|apikey|api_key|x-api-key|cookie|set-cookie|password|passwd|secret|client_secret|token|access_token|refresh_token|id_token|private_key|webhook-signature|code_verifier)$/i

const PATTERNS: readonly [RegExp, string][] = [
  [/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '[REDACTED_JWT]'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [REDACTED]'],
  [/\bwh(sec|sk|pk)_[A-Za-z0-9+/=]{8,}/g, 'wh$1_[REDACTED]'],
  [/\b(sb|gw|sk|pk)_(live|test|secret|publishable)?_?[A-Za-z0-9]{16,}/g, '[REDACTED_KEY]'],
  [/(\/\/[^/\s:@]+:)[^@\s/]+@/g, '$1[REDACTED]@'],
  [/([?&](?:token|access_token|refresh_token|apikey|code|signature|sig|key)=)[^&\s#]+/gi, '$1[REDACTED]'],
]

/** `text` with token-shaped substrings masked. */
export function redactText(text: string): string {
  let out = text
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement)
  return out
}

/** A copy of `value` safe to log: sensitive keys masked, strings redacted, depth and size bounded. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value.length > 4096 ? `${value.slice(0, 4096)}…` : value)
  if (value === null || typeof value !== 'object') return value
  if (depth > 6) return '[…]'
  if (value instanceof Error) {
    return {
      name: value.name,
      message: redactText(value.message),
      ...(hasCode(value) ? { code: value.code } : {}),
    }
  }
  if (Array.isArray(value)) return value.slice(0, 100).map((item) => redact(item, depth + 1))
  if (value instanceof Headers) return redact(Object.fromEntries(value), depth)
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value as Record<string, unknown>).slice(0, 100)) {
    out[key] = SENSITIVE_KEY.test(key) ? '[REDACTED]' : redact(item, depth + 1)
  }
  return out
}

function hasCode(error: Error): error is Error & { code: unknown } {
  return 'code' in error
}
