import { createHash } from 'node:crypto'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { MAILBOX_KEY_STORAGE, MAILBOX_SCRIPT, mailboxShell } from './mailbox-page'

/** Just enough of a DOM element for the page's script: what it creates, sets and listens to. */
class FakeElement {
  readonly attributes: Record<string, string> = {}
  readonly children: (FakeElement | string)[] = []
  readonly listeners: Record<string, (event: { preventDefault(): void }) => void> = {}
  value = ''
  srcdoc = ''
  constructor(readonly tag: string) {}
  setAttribute(name: string, value: string) {
    this.attributes[name] = value
  }
  append(...nodes: (FakeElement | string)[]) {
    this.children.push(...nodes)
  }
  replaceChildren(...nodes: (FakeElement | string)[]) {
    this.children.splice(0, this.children.length, ...nodes)
  }
  addEventListener(type: string, listener: (event: { preventDefault(): void }) => void) {
    this.listeners[type] = listener
  }
  focus() {}
  get text(): string {
    return this.children.map((child) => (typeof child === 'string' ? child : child.text)).join(' ')
  }
  find(tag: string): FakeElement | undefined {
    for (const child of this.children) {
      if (typeof child === 'string') continue
      if (child.tag === tag) return child
      const found = child.find(tag)
      if (found) return found
    }
    return undefined
  }
}

interface Call {
  url: string
  headers: Record<string, string>
}

/** Runs the page's script at `path` + `search` with a stand-in DOM, storage and fetch. */
async function openPage(
  path: string,
  search: string,
  stored: string | null,
  answer: (call: Call) => { status: number; body: unknown },
) {
  const main = new FakeElement('main')
  const forget = new FakeElement('button')
  const storage = new Map<string, string>(stored === null ? [] : [[MAILBOX_KEY_STORAGE, stored]])
  const calls: Call[] = []
  const document = {
    title: '',
    getElementById: (id: string) => ({ main, forget })[id],
    createElement: (tag: string) => new FakeElement(tag),
  }
  runInNewContext(MAILBOX_SCRIPT, {
    document,
    location: { pathname: path, search },
    URLSearchParams,
    encodeURIComponent,
    String,
    Object,
    sessionStorage: {
      getItem: (key: string) => storage.get(key) ?? null,
      setItem: (key: string, value: string) => storage.set(key, value),
      removeItem: (key: string) => storage.delete(key),
    },
    fetch: async (url: string, init: { headers: Record<string, string> }) => {
      const call = { url, headers: init.headers }
      calls.push(call)
      const { status, body } = answer(call)
      return new Response(JSON.stringify(body), { status })
    },
  })
  const settle = () => new Promise((resolve) => setTimeout(resolve, 10))
  await settle()
  return { main, forget, storage, calls, document, settle }
}

const message = {
  id: '7f0c2a52-7d8b-4a86-9b61-3d1b7e1e9c11',
  to: 'ada@example.com',
  from: 'no-reply@example.com',
  cc: [],
  subject: 'Your Magic Link <img src=x onerror=alert(1)>',
  html: '<p><a href="https://app.test/verify?token=abc">Log in</a></p>',
  text: 'Log in [https://app.test/verify?token=abc]',
  headers: {},
  template: 'magic_link',
  createdAt: '2026-01-01T00:00:00.000Z',
}

describe('the dev mailbox page', () => {
  it('allows its inline script by hash and nothing else', async () => {
    const response = mailboxShell(401)
    const html = await response.text()
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] as string
    const hash = createHash('sha256').update(script).digest('base64')
    const csp = response.headers.get('content-security-policy') as string
    expect(csp).toContain(`script-src 'sha256-${hash}'`)
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("connect-src 'self'")
    expect(response.headers.get('www-authenticate')).toBe('Bearer')
    expect(mailboxShell().headers.get('www-authenticate')).toBeNull()
  })

  it('asks for the key once, keeps it in sessionStorage and sends it as a Bearer header, never in a URL', async () => {
    const page = await openPage('/mail', '?to=ada%40example.com', null, () => ({
      status: 200,
      body: { items: [message] },
    }))
    expect(page.calls).toEqual([])
    const form = page.main.find('form') as FakeElement
    const input = form.find('input') as FakeElement
    expect(input.attributes.type).toBe('password')
    input.value = ' service-key '
    let prevented = false
    form.listeners.submit?.({ preventDefault: () => (prevented = true) })
    await page.settle()
    expect(prevented).toBe(true)
    expect(page.storage.get(MAILBOX_KEY_STORAGE)).toBe('service-key')
    expect(page.calls).toEqual([
      {
        url: '/mail/messages?to=ada%40example.com',
        headers: { authorization: 'Bearer service-key', accept: 'application/json' },
      },
    ])
    // Subjects are text, and links stay query-only (`?id=`), relative to the page.
    expect(page.main.text).toContain('Your Magic Link <img src=x onerror=alert(1)>')
    const link = page.main.find('a') as FakeElement
    expect(link.attributes.href).toBe(`?id=${message.id}`)
  })

  it('shows one message with its HTML part in a sandboxed iframe', async () => {
    const page = await openPage('/mail/', `?id=${message.id}`, 'service-key', () => ({
      status: 200,
      body: message,
    }))
    expect(page.calls.map((call) => call.url)).toEqual([`/mail/messages/${message.id}`])
    const frame = page.main.find('iframe') as FakeElement
    expect(frame.attributes.sandbox).toBe('')
    expect(frame.srcdoc).toBe(message.html)
    expect(page.main.find('pre')?.text).toBe(message.text)
  })

  it('forgets a refused key and asks again', async () => {
    const page = await openPage('/', '', 'anon-key', () => ({
      status: 403,
      body: { code: 'MAIL_FORBIDDEN', message: 'The dev mailbox requires the service role' },
    }))
    expect(page.calls.map((call) => call.url)).toEqual(['/messages'])
    expect(page.storage.has(MAILBOX_KEY_STORAGE)).toBe(false)
    expect(page.main.find('form')?.text).toContain('The dev mailbox requires the service role')
  })

  it('forgets the key on request', async () => {
    const page = await openPage('/mail', '', 'service-key', () => ({ status: 200, body: { items: [] } }))
    expect(page.main.text).toContain('No messages.')
    page.forget.listeners.click?.({ preventDefault() {} })
    expect(page.storage.has(MAILBOX_KEY_STORAGE)).toBe(false)
    expect(page.main.find('form')).toBeDefined()
  })
})
