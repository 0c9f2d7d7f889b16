import { createHash } from 'node:crypto'

/** Where the page keeps the service-role key: this tab only, never a URL, a cookie or localStorage. */
export const MAILBOX_KEY_STORAGE = 'groundwork.mailbox.serviceRoleKey'

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1c1c1c;background:#f8f9fa}
header{background:#1c1c1c;color:#fff;padding:10px 16px;display:flex;justify-content:space-between}
header a{color:#3ecf8e;text-decoration:none}header button{font:inherit;background:none;border:0;color:#9ca3af;cursor:pointer}
main{padding:16px}table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e6e8eb;vertical-align:top}
td a{color:#1c1c1c}dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;background:#fff;padding:12px}
dt{color:#6b7280}iframe{width:100%;height:420px;border:1px solid #e6e8eb;background:#fff}
pre{white-space:pre-wrap;background:#fff;padding:12px;border:1px solid #e6e8eb}.empty{color:#6b7280}
form{background:#fff;padding:16px;max-width:40em}form input{width:100%;box-sizing:border-box;margin:8px 0;font:inherit;padding:6px}
.error{color:#b91c1c}`

/**
 * The page's only script. It renders everything with DOM APIs (`textContent`, attributes), never
 * `innerHTML`; a message's HTML part goes into a sandboxed iframe's `srcdoc` (no scripts, opaque
 * origin). The key is asked for once, kept in `sessionStorage` and sent as `Authorization: Bearer`
 * on same-origin fetches of the JSON routes next to the page (`<page>/messages`).
 */
const SCRIPT = `(() => {
  const STORAGE = ${JSON.stringify(MAILBOX_KEY_STORAGE)}
  const main = document.getElementById('main')
  const endpoint = location.pathname.replace(/\\/+$/, '') + '/messages'
  const params = new URLSearchParams(location.search)

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag)
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value)
    for (const child of children) if (child !== null) node.append(child)
    return node
  }
  function show(...nodes) {
    main.replaceChildren(...nodes)
  }
  function keyForm(problem) {
    const input = el('input', { type: 'password', name: 'key', autocomplete: 'off', required: '' })
    const form = el(
      'form',
      {},
      el('p', {}, 'The dev mailbox shows every mail the outbox caught, sign-in links and codes included, so it asks for the service_role key. The key stays in this tab (sessionStorage) and is sent as an Authorization header, never in a URL.'),
      problem ? el('p', { class: 'error' }, problem) : null,
      el('label', {}, 'service_role key', input),
      el('button', { type: 'submit' }, 'Open the mailbox'),
    )
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      const key = input.value.trim()
      if (!key) return
      sessionStorage.setItem(STORAGE, key)
      load()
    })
    show(form)
    input.focus()
  }
  async function get(path) {
    const key = sessionStorage.getItem(STORAGE)
    if (!key) {
      keyForm(null)
      return null
    }
    const response = await fetch(path, {
      headers: { authorization: 'Bearer ' + key, accept: 'application/json' },
      cache: 'no-store',
      credentials: 'omit',
    })
    const body = await response.json().catch(() => ({}))
    if (response.status === 401 || response.status === 403) {
      sessionStorage.removeItem(STORAGE)
      keyForm((body && body.message) || 'The key was refused.')
      return null
    }
    if (!response.ok) {
      show(el('p', { class: 'empty' }, response.status === 404 ? 'No such message.' : (body && body.message) || 'Error ' + response.status))
      return null
    }
    return body
  }
  function showList(items, to) {
    const filter = to ? ' to ' + to : ''
    if (items.length === 0) return show(el('p', { class: 'empty' }, 'No messages' + filter + '.'))
    const rows = items.map((m) =>
      el(
        'tr',
        {},
        el('td', {}, m.createdAt),
        el('td', {}, m.to),
        el('td', {}, el('a', { href: '?id=' + encodeURIComponent(m.id) }, m.subject)),
        el('td', {}, m.template || ''),
      ),
    )
    const head = el('tr', {}, ...['Received', 'To', 'Subject', 'Template'].map((name) => el('th', {}, name)))
    show(el('h1', {}, 'Messages' + filter), el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows)))
  }
  function showMessage(m) {
    document.title = m.subject
    const fields = [['From', m.from], ['To', m.to]]
    if (m.cc && m.cc.length) fields.push(['Cc', m.cc.join(', ')])
    fields.push(['Date', m.createdAt], ...Object.entries(m.headers || {}))
    const list = el('dl', {})
    for (const [name, value] of fields) list.append(el('dt', {}, name), el('dd', {}, String(value)))
    const frame = el('iframe', { sandbox: '', title: 'HTML part' })
    frame.srcdoc = m.html
    show(el('h1', {}, m.subject), list, el('h2', {}, 'HTML'), frame, el('h2', {}, 'Text'), el('pre', {}, m.text))
  }
  async function load() {
    try {
      const id = params.get('id')
      if (id) {
        const message = await get(endpoint + '/' + encodeURIComponent(id))
        if (message) showMessage(message)
        return
      }
      const query = new URLSearchParams()
      for (const name of ['to', 'limit']) if (params.get(name)) query.set(name, params.get(name))
      const list = await get(endpoint + (query.toString() ? '?' + query : ''))
      if (list) showList(list.items, params.get('to'))
    } catch (error) {
      sessionStorage.removeItem(STORAGE)
      keyForm(String(error && error.message ? error.message : error))
    }
  }
  document.getElementById('forget').addEventListener('click', () => {
    sessionStorage.removeItem(STORAGE)
    keyForm(null)
  })
  load()
})()`

let scriptHash: string | undefined

/**
 * The page's Content-Security-Policy: only its own inline script (by hash), fetches to its own
 * origin, no frames, forms or base URL of anyone else. A message's HTML part inherits it inside
 * its sandboxed iframe (no scripts, no fetches; images allowed).
 */
function contentSecurityPolicy(): string {
  scriptHash ??= createHash('sha256').update(SCRIPT, 'utf8').digest('base64')
  return [
    "default-src 'none'",
    `script-src 'sha256-${scriptHash}'`,
    "connect-src 'self'",
    "style-src 'unsafe-inline'",
    'img-src * data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/**
 * The dev mailbox page: a shell holding no mail at all. Its script asks for the service-role key
 * and reads the mailbox's JSON routes with it. Answered with `status` (401/403 to a browser that
 * sent no key, as every mailbox route is; 200 to a caller that did).
 */
export function mailboxShell(status = 200): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Groundwork mailbox</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer">
<style>${STYLE}</style></head>
<body><header><a href="?">Groundwork mailbox</a><button id="forget" type="button">Forget the key</button></header>
<main id="main"><noscript>The mailbox page needs JavaScript: it sends the service_role key as a header. Without it, read <code>messages</code> with <code>Authorization: Bearer &lt;service_role key&gt;</code>.</noscript></main>
<script>${SCRIPT}</script></body></html>`
  const headers: Record<string, string> = {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': contentSecurityPolicy(),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  }
  if (status === 401) headers['www-authenticate'] = 'Bearer'
  return new Response(html, { status, headers })
}

/** The inline script, for tests that run it against a stand-in DOM. */
export const MAILBOX_SCRIPT = SCRIPT
