import type { Queryable } from '@groundwork/jobs'
import { mailError } from '../errors'
import { LOCALE, TEMPLATE_KEY } from '../options'

/** A template stored in `mail.templates`. */
export interface StoredTemplate {
  key: string
  /** `null` for the template used for any locale. */
  locale: string | null
  subject: string
  html: string
  text: string | null
  /** Starts at 1, incremented by every upsert. */
  version: number
  enabled: boolean
  createdAt: Date
  updatedAt: Date
}

/** Input of `mail.api.templates.upsert`. */
export interface TemplateInput {
  key: string
  /** A BCP 47 tag (`pt-BR`, `fr`); omit or `null` for the any-locale template. */
  locale?: string | null | undefined
  subject: string
  html: string
  /** Omit to derive the text part from the HTML. */
  text?: string | null | undefined
  /** @default true */
  enabled?: boolean | undefined
  /** Optimistic concurrency: fail with `MAIL_VERSION_CONFLICT` unless the stored version is this (0: must not exist). */
  expectedVersion?: number | undefined
}

interface Row {
  key: string
  locale: string
  subject: string
  html: string
  text: string | null
  version: number
  enabled: boolean
  created_at: Date
  updated_at: Date
}

const COLUMNS = 'key, locale, subject, html, text, version, enabled, created_at, updated_at'

function toTemplate(row: Row): StoredTemplate {
  return {
    key: row.key,
    locale: row.locale === '' ? null : row.locale,
    subject: row.subject,
    html: row.html,
    text: row.text,
    version: row.version,
    enabled: row.enabled,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** Stored locale for an API locale: `''` stands for "any locale". */
export function storedLocale(locale: string | null | undefined): string {
  return locale ?? ''
}

/**
 * Whether a template can be stored under `key` and `locale` (`upsert` validates both): any other
 * pair matches no row, so it is answered without a query (and text Postgres cannot store, such as
 * a NUL, never reaches it).
 */
function storable(key: string, locale?: string | null): boolean {
  return TEMPLATE_KEY.test(key) && (!locale || LOCALE.test(locale))
}

/** The locales tried for `locale`, most specific first: `pt-BR` → `pt-BR`, `pt`, `''`. */
export function localeChain(locale: string | null | undefined): string[] {
  const chain: string[] = []
  if (locale) {
    const parts = locale.split('-')
    for (let n = parts.length; n > 0; n--) chain.push(parts.slice(0, n).join('-'))
  }
  chain.push('')
  // Locale tags are case-insensitive (RFC 5646 §2.1.1); rows are matched case-insensitively too.
  return chain
}

interface CacheEntry {
  generation: bigint
  /** Enabled rows of one key by lower-cased locale. */
  rows: Map<string, StoredTemplate>
}

/**
 * CRUD on `mail.templates` plus the read cache the renderer uses. A key's rows are loaded once
 * and reused until `mail.template_generation` moves: this instance clears its cache on its own
 * writes at once; changes made by other instances are noticed within `cacheTtl` ms (the
 * generation is re-read at most that often). `cacheTtl: 0` checks on every render.
 */
export class TemplateStore {
  readonly #db: Queryable
  readonly #cacheTtl: number
  readonly #cache = new Map<string, CacheEntry>()
  #generation = -1n
  #checkedAt = Number.NEGATIVE_INFINITY
  #checking: Promise<void> | null = null

  constructor(db: Queryable, cacheTtl: number) {
    this.#db = db
    this.#cacheTtl = cacheTtl
  }

  /** The enabled stored template for `key` and the best locale of the chain, or null. */
  async resolve(key: string, locale: string | null | undefined): Promise<StoredTemplate | null> {
    await this.#refreshGeneration()
    let entry = this.#cache.get(key)
    if (!entry || entry.generation < this.#generation) {
      entry = await this.#load(key)
      this.#cache.set(key, entry)
    }
    for (const candidate of localeChain(locale)) {
      const row = entry.rows.get(candidate.toLowerCase())
      if (row) return row
    }
    return null
  }

  /** Forgets every cached row (called after this instance's own writes). */
  invalidate(): void {
    this.#cache.clear()
    this.#checkedAt = Number.NEGATIVE_INFINITY
  }

  async #refreshGeneration(): Promise<void> {
    if (performance.now() - this.#checkedAt < this.#cacheTtl) return
    this.#checking ??= (async () => {
      try {
        const { rows } = await this.#db.query('select generation::text from mail.template_generation')
        const generation = BigInt(rows[0]?.generation ?? 0)
        if (generation !== this.#generation) {
          this.#generation = generation
          this.#cache.clear()
        }
        this.#checkedAt = performance.now()
      } finally {
        this.#checking = null
      }
    })()
    await this.#checking
  }

  async #load(key: string): Promise<CacheEntry> {
    // One statement, one snapshot: the rows and the generation they belong to.
    const { rows } = await this.#db.query(
      `select g.generation::text as generation, t.key, t.locale, t.subject, t.html, t.text, t.version,
         t.enabled, t.created_at, t.updated_at
       from mail.template_generation g left join mail.templates t on t.key = $1 and t.enabled`,
      [key],
    )
    const generation = BigInt(rows[0]?.generation ?? 0)
    if (generation > this.#generation) this.#generation = generation
    const byLocale = new Map<string, StoredTemplate>()
    for (const row of rows as Row[]) {
      if (row.key !== null) byLocale.set(row.locale.toLowerCase(), toTemplate(row))
    }
    return { generation, rows: byLocale }
  }

  /** Every stored template (all locales, enabled or not), optionally of one key. */
  async list(filter: { key?: string | undefined } = {}): Promise<StoredTemplate[]> {
    if (filter.key !== undefined && !storable(filter.key)) return []
    const { rows } = await this.#db.query(
      `select ${COLUMNS} from mail.templates where ($1::text is null or key = $1) order by key, locale`,
      [filter.key ?? null],
    )
    return (rows as Row[]).map(toTemplate)
  }

  async get(key: string, locale?: string | null): Promise<StoredTemplate | null> {
    if (!storable(key, locale)) return null
    const { rows } = await this.#db.query(
      `select ${COLUMNS} from mail.templates where key = $1 and locale = $2`,
      [key, storedLocale(locale)],
    )
    const row = rows[0] as Row | undefined
    return row ? toTemplate(row) : null
  }

  async upsert(input: TemplateInput): Promise<StoredTemplate> {
    const locale = storedLocale(input.locale)
    const values = [input.key, locale, input.subject, input.html, input.text ?? null, input.enabled ?? true]
    let rows: Row[]
    if (input.expectedVersion === undefined) {
      ;({ rows } = await this.#db.query(
        `insert into mail.templates (key, locale, subject, html, text, enabled) values ($1, $2, $3, $4, $5, $6)
         on conflict (key, locale) do update set subject = excluded.subject, html = excluded.html,
           text = excluded.text, enabled = excluded.enabled, version = mail.templates.version + 1,
           updated_at = now()
         returning ${COLUMNS}`,
        values,
      ))
    } else if (input.expectedVersion === 0) {
      ;({ rows } = await this.#db.query(
        `insert into mail.templates (key, locale, subject, html, text, enabled) values ($1, $2, $3, $4, $5, $6)
         on conflict (key, locale) do nothing returning ${COLUMNS}`,
        values,
      ))
    } else {
      ;({ rows } = await this.#db.query(
        `update mail.templates set subject = $3, html = $4, text = $5, enabled = $6, version = version + 1,
           updated_at = now()
         where key = $1 and locale = $2 and version = $7 returning ${COLUMNS}`,
        [...values, input.expectedVersion],
      ))
    }
    const row = rows[0]
    if (!row) {
      throw mailError(
        'MAIL_VERSION_CONFLICT',
        `Template "${input.key}"${locale ? ` (${locale})` : ''} is not at version ${input.expectedVersion}`,
        { hint: 'Read the template again and retry with its current version.' },
      )
    }
    this.invalidate()
    return toTemplate(row)
  }

  /** Deletes one locale's template; true when a row was deleted. */
  async delete(key: string, locale?: string | null): Promise<boolean> {
    if (!storable(key, locale)) return false
    const { rows } = await this.#db.query(
      'delete from mail.templates where key = $1 and locale = $2 returning key',
      [key, storedLocale(locale)],
    )
    this.invalidate()
    return rows.length > 0
  }
}
