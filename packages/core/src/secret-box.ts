import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  type KeyObject,
  randomBytes,
} from 'node:crypto'
import { z } from 'zod'
import type { Database } from './database'

/**
 * Encryption at rest for secrets a service must read back, so cannot hash: webhook signing
 * secrets, TOTP seeds. AES-256-GCM (NIST SP 800-38D) with a random 96-bit nonce per value and the
 * value's context (what it belongs to, e.g. `webhooks.secrets:<endpoint id>`) as additional
 * authenticated data, so a sealed value copied onto another row does not open.
 */
export interface SecretBox {
  /** Whether {@link seal} encrypts (at least one key is configured). */
  readonly sealing: boolean
  /** The value as stored: `gwenc:v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`, or `plain` itself when no key is configured. */
  seal(plain: string, context: string): string
  /**
   * The value a stored one holds. A value that is not sealed (written before keys were configured)
   * is returned as is; a sealed one needs its key among the configured ones and its own context.
   */
  open(stored: string, context: string): string
  /** Whether a stored value is not sealed with the first (current) key: plain, or an older key's. */
  stale(stored: string): boolean
}

const PREFIX = 'gwenc:v1:'

/**
 * One encryption key: 32 bytes, written as base64/base64url (43–44 characters) or hex (64), e.g.
 * `openssl rand -base64 32`.
 */
export const encryptionKeyOption = z.string().refine((value) => decodeKey(value) !== null, {
  message: 'must be 32 bytes in base64 (openssl rand -base64 32) or 64 hex characters',
})

/**
 * `encryptionKeys` as every package takes it: the first key seals, every key opens (list the new
 * key first to rotate; keep the old ones until nothing sealed with them is left).
 */
export const encryptionKeysOption = z.array(encryptionKeyOption).max(16).default([])

/**
 * A {@link SecretBox} over `keys` (see {@link encryptionKeysOption}); with none it seals nothing
 * and opens only unsealed values.
 *
 * @see https://nvlpubs.nist.gov/nistpubs/Legacy/SP/nistspecialpublication800-38d.pdf
 */
export function createSecretBox(keys: readonly string[] = []): SecretBox {
  const ring = new Map<string, KeyObject>()
  let current: { id: string; key: KeyObject } | null = null
  for (const [index, text] of keys.entries()) {
    const raw = decodeKey(text)
    if (!raw) throw new Error(`encryptionKeys[${index}] must be 32 bytes in base64 or 64 hex characters`)
    const id = createHash('sha256').update(raw).digest('hex').slice(0, 8)
    const key = createSecretKey(raw)
    ring.set(id, key)
    current ??= { id, key }
  }
  return {
    sealing: current !== null,
    seal(plain, context) {
      if (!current) return plain
      const nonce = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', current.key, nonce)
      cipher.setAAD(Buffer.from(context, 'utf8'))
      const sealed = Buffer.concat([nonce, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()])
      return `${PREFIX}${current.id}:${sealed.toString('base64url')}`
    },
    stale(stored) {
      return current !== null && !stored.startsWith(`${PREFIX}${current.id}:`)
    },
    open(stored, context) {
      if (!stored.startsWith(PREFIX)) return stored
      const separator = stored.indexOf(':', PREFIX.length)
      const id = stored.slice(PREFIX.length, separator)
      const key = ring.get(id)
      if (separator < 0 || !key) {
        throw new Error(`a secret is sealed with encryption key ${id}, which is not among encryptionKeys`)
      }
      const sealed = Buffer.from(stored.slice(separator + 1), 'base64url')
      if (sealed.length < 28) throw new Error('a sealed secret is truncated')
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12))
        decipher.setAAD(Buffer.from(context, 'utf8'))
        decipher.setAuthTag(sealed.subarray(sealed.length - 16))
        return Buffer.concat([
          decipher.update(sealed.subarray(12, sealed.length - 16)),
          decipher.final(),
        ]).toString('utf8')
      } catch {
        throw new Error('a sealed secret failed authentication (altered, or moved to another row)')
      }
    },
  }
}

function decodeKey(text: string): Buffer | null {
  const trimmed = text.trim()
  const raw = /^[0-9a-f]{64}$/i.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : /^[A-Za-z0-9+/_-]{43}={0,1}$/.test(trimmed)
      ? Buffer.from(trimmed, 'base64')
      : null
  return raw?.length === 32 ? raw : null
}

/** Where one kind of secret is stored, for {@link resealSecrets}. */
export interface SealedColumn {
  /** A label for progress output, e.g. `auth.mfa_factors.secret`. */
  label: string
  /**
   * Selects `id` (text), `value` (the stored text) and `context` (what the value is bound to) of
   * every row, locking them: `... for update`. Skipped when `table` does not exist.
   */
  select: string
  /** Updates one row: `$1` the id, `$2` the newly sealed text. */
  update: string
  /** The table, checked with `to_regclass` (a package not installed has nothing to reseal). */
  table: string
}

/**
 * Re-seals every stored value of `columns` that is not sealed with the current key (plaintext from
 * before keys were set, or an older key's), in one transaction per column, so a retired key can
 * then be dropped from the list. Answers how many values each column had re-sealed.
 */
export async function resealSecrets(
  db: Pick<Database, 'transaction'>,
  box: SecretBox,
  columns: readonly SealedColumn[],
  progress: (line: string) => void = () => {},
): Promise<Record<string, number>> {
  if (!box.sealing) throw new Error('resealSecrets needs encryptionKeys: the first one seals')
  const counts: Record<string, number> = {}
  for (const column of columns) {
    counts[column.label] = await db.transaction(async (tx) => {
      const { rows: present } = await tx.query<{ present: boolean }>(
        'select to_regclass($1) is not null as present',
        [column.table],
      )
      if (!present[0]?.present) return 0
      const { rows } = await tx.query<{ id: string; value: string; context: string }>(column.select)
      let resealed = 0
      for (const row of rows) {
        if (!box.stale(row.value)) continue
        await tx.query(column.update, [row.id, box.seal(box.open(row.value, row.context), row.context)])
        resealed++
      }
      progress(`${column.label}: ${resealed} of ${rows.length} re-sealed`)
      return resealed
    })
  }
  return counts
}
