import type { Logger } from '@groundwork/core'
import { mailError } from './errors'
import { BUILTIN_TEMPLATES, isBuiltinKey, type TemplateSource } from './templates/builtin'
import type { RenderedTemplate, TemplateEngine } from './templates/engine'
import type { TemplateStore } from './templates/store'

/** Where a rendered message's template came from. */
export type TemplateOrigin = 'stored' | 'options' | 'builtin'

/** A rendered message body, and which template produced it. */
export interface RenderResult extends RenderedTemplate {
  /** `stored`: `mail.templates`; `options`: `createMail({ templates })`; `builtin`: shipped default. */
  origin: TemplateOrigin
  /** The stored template's locale (`null`: any-locale row or not stored). */
  locale: string | null
  /** The stored template's version, when `origin` is `stored`. */
  version?: number
  /** Why more specific templates were skipped (a stored template failing to render, …). */
  fallbacks: { origin: TemplateOrigin; reason: string }[]
}

interface Candidate {
  origin: TemplateOrigin
  source: TemplateSource
  locale: string | null
  version?: number
}

/**
 * Picks and renders a template: the stored one for the best locale (`pt-BR` → `pt` → any), else
 * the one given to `createMail`, else the built-in one. A candidate that fails to parse or render
 * is logged and skipped, so a broken stored template never blocks a sign-in mail.
 */
export class Renderer {
  constructor(
    private readonly engine: TemplateEngine,
    private readonly store: TemplateStore,
    private readonly codeTemplates: Readonly<Record<string, TemplateSource>>,
    private readonly defaults: Readonly<Record<string, unknown>>,
    private readonly logger: Logger,
  ) {}

  /** True when a template with this key exists in code (options or built-in). */
  hasCodeTemplate(key: string): boolean {
    return Object.hasOwn(this.codeTemplates, key) || isBuiltinKey(key)
  }

  async render(
    key: string,
    locale: string | undefined,
    variables: Record<string, unknown>,
  ): Promise<RenderResult> {
    const candidates: Candidate[] = []
    const stored = await this.store.resolve(key, locale)
    if (stored) {
      candidates.push({ origin: 'stored', source: stored, locale: stored.locale, version: stored.version })
    }
    const fromOptions = Object.hasOwn(this.codeTemplates, key) ? this.codeTemplates[key] : undefined
    if (fromOptions) candidates.push({ origin: 'options', source: fromOptions, locale: null })
    if (isBuiltinKey(key))
      candidates.push({ origin: 'builtin', source: BUILTIN_TEMPLATES[key], locale: null })
    if (candidates.length === 0) {
      throw mailError('MAIL_UNKNOWN_TEMPLATE', `No template "${key}": it is neither built in nor stored`, {
        hint: `Built-in templates: ${Object.keys(BUILTIN_TEMPLATES).join(', ')}. Store others with mail.api.templates.upsert().`,
      })
    }
    const scope = { ...this.defaults, ...variables }
    const fallbacks: RenderResult['fallbacks'] = []
    for (const [index, candidate] of candidates.entries()) {
      try {
        const rendered = await this.engine.render(candidate.source, scope)
        return {
          ...rendered,
          origin: candidate.origin,
          locale: candidate.locale,
          ...(candidate.version === undefined ? {} : { version: candidate.version }),
          fallbacks,
        }
      } catch (error) {
        const reason = (error as Error).message
        fallbacks.push({ origin: candidate.origin, reason })
        const next = candidates[index + 1]
        if (!next) break
        this.logger.warn(
          `groundwork mail: ${describe(key, candidate)} failed to render, using the ${next.origin} template instead: ${reason}`,
        )
      }
    }
    const last = fallbacks[fallbacks.length - 1]
    throw mailError(
      'MAIL_TEMPLATE_ERROR',
      `Template "${key}" failed to render: ${last?.reason ?? 'unknown error'}`,
      {
        details: fallbacks,
      },
    )
  }

  /** Renders a draft (preview before saving); errors are `MAIL_TEMPLATE_ERROR`, without fallback. */
  async renderSource(source: TemplateSource, variables: Record<string, unknown>): Promise<RenderedTemplate> {
    try {
      return await this.engine.render(source, { ...this.defaults, ...variables })
    } catch (error) {
      throw mailError('MAIL_TEMPLATE_ERROR', `Template failed to render: ${(error as Error).message}`, {
        cause: error,
      })
    }
  }

  /** Parses a template (for upsert): `MAIL_TEMPLATE_ERROR` naming the broken part. */
  check(source: TemplateSource): void {
    try {
      this.engine.compile(source)
    } catch (error) {
      throw mailError('MAIL_TEMPLATE_ERROR', `Template does not parse: ${(error as Error).message}`, {
        cause: error,
      })
    }
  }
}

function describe(key: string, candidate: Candidate): string {
  if (candidate.origin !== 'stored') return `the ${candidate.origin} template "${key}"`
  return `stored template "${key}" (locale ${candidate.locale ?? 'any'}, version ${candidate.version})`
}
