import { describe, expect, it } from 'vitest'
import { BUILTIN_TEMPLATES } from './builtin'
import { htmlToText, TemplateEngine } from './engine'
import { localeChain } from './store'

const settings = {
  strictVariables: false,
  parseLimit: 10_000,
  renderLimit: 500,
  memoryLimit: 1e7,
  cacheSize: 2,
}

describe('TemplateEngine', () => {
  it('escapes outputs in HTML only, and keeps the subject on one line', async () => {
    const engine = new TemplateEngine(settings)
    const rendered = await engine.render(
      { subject: 'Hi {{ name }}', html: '<p title="{{ name }}">{{ name }}</p>{{ name | raw }}' },
      { name: '"Tom" & <Jerry>\r\nBcc: x@example.com' },
    )
    expect(rendered.html).toBe(
      '<p title="&#34;Tom&#34; &amp; &lt;Jerry&gt;\r\nBcc: x@example.com">&#34;Tom&#34; &amp; &lt;Jerry&gt;\r\nBcc: x@example.com</p>"Tom" & <Jerry>\r\nBcc: x@example.com',
    )
    expect(rendered.subject).toBe('Hi "Tom" & <Jerry> Bcc: x@example.com')
  })

  it('enforces the parse limit and strict filters', async () => {
    const engine = new TemplateEngine(settings)
    expect(() => engine.compile({ subject: 'x', html: 'a'.repeat(10_001) })).toThrow(/parse length limit/)
    expect(() => engine.compile({ subject: 'x', html: '{{ a | no_such_filter }}' })).toThrow(
      /undefined filter/,
    )
  })

  it('keeps at most cacheSize parsed templates and still renders evicted ones', async () => {
    const engine = new TemplateEngine(settings)
    for (const n of [1, 2, 3, 1]) {
      expect((await engine.render({ subject: `s${n}`, html: `<b>${n}</b>` }, {})).text).toBe(String(n))
    }
  })

  it('renders every built-in template with strict variables when given their variables', async () => {
    const engine = new TemplateEngine({ ...settings, strictVariables: true })
    const variables = {
      confirmation_url: 'https://x.test/verify',
      token: '123456',
      site_url: 'https://x.test',
      email: 'a@x.test',
      new_email: 'b@x.test',
    }
    for (const source of Object.values(BUILTIN_TEMPLATES)) {
      const rendered = await engine.render(source, variables)
      expect(rendered.subject.length).toBeGreaterThan(0)
      expect(rendered.text.length).toBeGreaterThan(0)
    }
  })
})

describe('htmlToText', () => {
  it('keeps link targets and drops markup', () => {
    expect(htmlToText('<h2>Reset</h2><p><a href="https://x.test/r?a=1&amp;b=2">Reset Password</a></p>')).toBe(
      'Reset\n\nReset Password [https://x.test/r?a=1&b=2]',
    )
  })
})

describe('localeChain', () => {
  it('goes from the most specific tag to the any-locale row', () => {
    expect(localeChain('pt-BR')).toEqual(['pt-BR', 'pt', ''])
    expect(localeChain('zh-Hant-TW')).toEqual(['zh-Hant-TW', 'zh-Hant', 'zh', ''])
    expect(localeChain(undefined)).toEqual([''])
  })
})
