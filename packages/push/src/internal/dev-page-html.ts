import { createHash } from 'node:crypto'

/** Where the page keeps the service-role key: this tab only, never a URL, a cookie or localStorage. */
export const DEV_PAGE_KEY_STORAGE = 'groundwork.push.serviceRoleKey'

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1c1c1c;background:#f8f9fa}
header{background:#1c1c1c;color:#fff;padding:10px 16px;display:flex;justify-content:space-between}
header a{color:#3ecf8e;text-decoration:none}header button{font:inherit;background:none;border:0;color:#9ca3af;cursor:pointer}
main{padding:16px}table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e6e8eb;vertical-align:top}
td a{color:#1c1c1c}dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;background:#fff;padding:12px}
dt{color:#6b7280}dd{margin:0;word-break:break-all}pre{white-space:pre-wrap;word-break:break-all;background:#fff;padding:12px;border:1px solid #e6e8eb}
.empty{color:#6b7280}form{background:#fff;padding:16px;max-width:40em}
form input{width:100%;box-sizing:border-box;margin:8px 0;font:inherit;padding:6px}.error{color:#b91c1c}`

/**
 * The page's only script: renders with DOM APIs (`textContent`, attributes), never `innerHTML`.
 * It asks for the service-role key once, keeps it in `sessionStorage` and sends it as
 * `Authorization: Bearer` to the JSON routes next to the page (`<page>/messages`).
 */
const SCRIPT = `(() => {
  const STORAGE = ${JSON.stringify(DEV_PAGE_KEY_STORAGE)}
  const main = document.getElementById('main')
  const endpoint = location.pathname.replace(/\\/+$/, '') + '/messages'
  const params = new URLSearchParams(location.search)
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag)
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value)
    for (const child of children) if (child !== null) node.append(child)
    return node
  }
  function show(...nodes) { main.replaceChildren(...nodes) }
  function keyForm(problem) {
    const input = el('input', { type: 'password', name: 'key', autocomplete: 'off', required: '' })
    const form = el('form', {},
      el('p', {}, 'The dev push page shows every push the dev provider recorded, device tokens included, so it asks for the service_role key. The key stays in this tab (sessionStorage) and is sent as an Authorization header, never in a URL.'),
      problem ? el('p', { class: 'error' }, problem) : null,
      el('label', {}, 'service_role key', input),
      el('button', { type: 'submit' }, 'Open'))
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
    if (!key) { keyForm(null); return null }
    const response = await fetch(path, { headers: { authorization: 'Bearer ' + key, accept: 'application/json' }, cache: 'no-store', credentials: 'omit' })
    const body = await response.json().catch(() => ({}))
    if (response.status === 401 || response.status === 403) {
      sessionStorage.removeItem(STORAGE)
      keyForm((body && body.message) || 'The key was refused.')
      return null
    }
    if (!response.ok) { show(el('p', { class: 'empty' }, (body && body.message) || 'Error ' + response.status)); return null }
    return body
  }
  function title(p) {
    const payload = p.payload || {}
    const n = (payload.message && payload.message.notification) || (payload.payload && payload.payload.aps && payload.payload.aps.alert)
    return n && typeof n === 'object' ? (n.title || '') + ' — ' + (n.body || '') : '(data only)'
  }
  function showList(items) {
    if (items.length === 0) return show(el('p', { class: 'empty' }, 'No pushes recorded.'))
    const rows = items.map((p) => el('tr', {},
      el('td', {}, p.createdAt),
      el('td', {}, p.provider + (p.platform ? ' / ' + p.platform : '')),
      el('td', {}, p.userId || ''),
      el('td', {}, el('a', { href: '?id=' + encodeURIComponent(p.id) }, title(p)))))
    const head = el('tr', {}, ...['Recorded', 'Provider', 'User', 'Notification'].map((name) => el('th', {}, name)))
    show(el('h1', {}, 'Pushes'), el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows)))
  }
  function showPush(p) {
    const list = el('dl', {})
    for (const [name, value] of [['Provider', p.provider], ['Platform', p.platform || ''], ['User', p.userId || ''], ['Device', p.deviceId || ''], ['Notification', p.notificationId || ''], ['Token', p.token], ['Recorded', p.createdAt]]) {
      list.append(el('dt', {}, name), el('dd', {}, String(value)))
    }
    show(el('h1', {}, title(p)), list, el('h2', {}, 'Payload'), el('pre', {}, JSON.stringify(p.payload, null, 2)))
  }
  async function load() {
    try {
      const id = params.get('id')
      if (id) { const push = await get(endpoint + '/' + encodeURIComponent(id)); if (push) showPush(push); return }
      const query = new URLSearchParams()
      for (const name of ['user_id', 'limit']) if (params.get(name)) query.set(name, params.get(name))
      const list = await get(endpoint + (query.toString() ? '?' + query : ''))
      if (list) showList(list.items)
    } catch (error) {
      sessionStorage.removeItem(STORAGE)
      keyForm(String(error && error.message ? error.message : error))
    }
  }
  document.getElementById('forget').addEventListener('click', () => { sessionStorage.removeItem(STORAGE); keyForm(null) })
  load()
})()`

let scriptHash: string | undefined

/** Only its own inline script (by hash), fetches to its own origin, nothing framed or posted elsewhere. */
function contentSecurityPolicy(): string {
  scriptHash ??= createHash('sha256').update(SCRIPT, 'utf8').digest('base64')
  return [
    "default-src 'none'",
    `script-src 'sha256-${scriptHash}'`,
    "connect-src 'self'",
    "style-src 'unsafe-inline'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/**
 * The dev page: a shell holding no push at all; its script asks for the service-role key and reads
 * the JSON routes with it. Answered with `status` (401/403 to a browser that sent no key).
 */
export function devPageShell(status = 200): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Groundwork push (dev)</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer">
<style>${STYLE}</style></head>
<body><header><a href="?">Groundwork push (dev)</a><button id="forget" type="button">Forget the key</button></header>
<main id="main"><noscript>This page needs JavaScript: it sends the service_role key as a header. Without it, read <code>messages</code> with <code>Authorization: Bearer &lt;service_role key&gt;</code>.</noscript></main>
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

/** The inline script, for tests. */
export const DEV_PAGE_SCRIPT = SCRIPT
