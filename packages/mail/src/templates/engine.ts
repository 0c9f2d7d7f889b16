import { compile } from 'html-to-text'
import { Liquid, type Template } from 'liquidjs'
import type { TemplateSource } from './builtin'

/** Limits and strictness of the Liquid engine (see {@link MailOptions.liquid}). */
export interface LiquidSettings {
  strictVariables: boolean
  parseLimit: number
  renderLimit: number
  memoryLimit: number
  cacheSize: number
}

/** A rendered message body. */
export interface RenderedTemplate {
  subject: string
  html: string
  text: string
}

/**
 * Two Liquid engines that share one cache of parsed templates: `html` escapes every output
 * (`outputEscape: 'escape'`), `plain` (subject, text part) does not — a subject is a header, and
 * `&amp;` in it would be a bug, not a defence.
 *
 * Both are sandboxed for templates written by admins in the database: `ownPropertyOnly` (no
 * `constructor`/`__proto__` walks), an empty in-memory file map (`{% include %}`, `{% render %}`
 * and `{% layout %}` cannot read the server's files), and liquidjs' DoS limits on parse length,
 * render time and memory.
 *
 * @see https://liquidjs.com/tutorials/options.html
 * @see https://liquidjs.com/tutorials/dos.html
 */
export class TemplateEngine {
  readonly #html: Liquid
  readonly #plain: Liquid
  readonly #parsed = new Map<string, Template[]>()
  readonly #settings: LiquidSettings

  constructor(settings: LiquidSettings) {
    this.#settings = settings
    const common = {
      strictVariables: settings.strictVariables,
      // Under strictVariables, `{% if token %}` on an absent variable is false, not an error.
      lenientIf: true,
      ownPropertyOnly: true,
      strictFilters: true,
      templates: {},
      relativeReference: false,
      parseLimit: settings.parseLimit,
      renderLimit: settings.renderLimit,
      memoryLimit: settings.memoryLimit,
    }
    this.#html = new Liquid({ ...common, outputEscape: 'escape' })
    this.#plain = new Liquid(common)
  }

  /** Parses (or takes from the cache) each part; throws liquidjs' parse error for a broken one. */
  compile(source: TemplateSource): void {
    this.#parse('plain', source.subject)
    this.#parse('html', source.html)
    if (source.text != null) this.#parse('plain', source.text)
  }

  /** Renders all parts; the text part is derived from the rendered HTML when the template has none. */
  async render(source: TemplateSource, variables: Record<string, unknown>): Promise<RenderedTemplate> {
    const subjectTpl = this.#parse('plain', source.subject)
    const htmlTpl = this.#parse('html', source.html)
    const textTpl = source.text == null ? null : this.#parse('plain', source.text)
    const [subject, html, text] = await Promise.all([
      this.#plain.render(subjectTpl, variables) as Promise<string>,
      this.#html.render(htmlTpl, variables) as Promise<string>,
      textTpl ? (this.#plain.render(textTpl, variables) as Promise<string>) : null,
    ])
    return {
      // A subject is one header line: CR/LF would start another header.
      subject: subject.replace(/[\r\n]+/g, ' ').trim(),
      html,
      text: text ?? htmlToText(html),
    }
  }

  #parse(kind: 'html' | 'plain', source: string): Template[] {
    const cacheKey = `${kind}\u0000${source}`
    const hit = this.#parsed.get(cacheKey)
    if (hit) {
      // Refresh recency: Map iteration order is insertion order, so the first key is the oldest.
      this.#parsed.delete(cacheKey)
      this.#parsed.set(cacheKey, hit)
      return hit
    }
    const parsed = (kind === 'html' ? this.#html : this.#plain).parse(source)
    this.#parsed.set(cacheKey, parsed)
    if (this.#parsed.size > this.#settings.cacheSize) {
      const oldest = this.#parsed.keys().next().value
      if (oldest !== undefined) this.#parsed.delete(oldest)
    }
    return parsed
  }
}

// html-to-text's `compile` builds the converter once; `convert` rebuilds it on every call, which
// measured ~18× slower on a short mail body (6.6k/s against 122k/s).
const toText = compile({
  wordwrap: 78,
  selectors: [
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
  ],
})

/**
 * The plain-text alternative of an HTML body (html-to-text): links keep their URL in brackets,
 * so a confirmation link stays usable in text-only clients.
 *
 * @see https://github.com/html-to-text/node-html-to-text
 */
export function htmlToText(html: string): string {
  return toText(html).trim()
}
