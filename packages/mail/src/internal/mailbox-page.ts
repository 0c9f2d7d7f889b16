import type { OutboxMessage } from '../outbox'

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** HTML-escapes text for element content and quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char] as string)
}

// Message HTML is untrusted: it is shown in a sandboxed iframe (no scripts, opaque origin) and the
// page itself runs no script at all.
const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src * data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1c1c1c;background:#f8f9fa}
header{background:#1c1c1c;color:#fff;padding:10px 16px}header a{color:#3ecf8e;text-decoration:none}
main{padding:16px}table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e6e8eb;vertical-align:top}
td a{color:#1c1c1c}dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;background:#fff;padding:12px}
dt{color:#6b7280}iframe{width:100%;height:420px;border:1px solid #e6e8eb;background:#fff}
pre{white-space:pre-wrap;background:#fff;padding:12px;border:1px solid #e6e8eb}.empty{color:#6b7280}`

function page(title: string, body: string): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head>
<body><header><a href="?">Groundwork mailbox</a></header><main>${body}</main></body></html>`
  return new Response(html, {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    },
  })
}

/**
 * The mailbox list. Links are query-only (`?id=…`) so they resolve against the current URL
 * wherever the handler is mounted.
 */
export function mailboxListPage(messages: OutboxMessage[], to: string | undefined): Response {
  const rows = messages
    .map(
      (m) => `<tr><td>${escapeHtml(m.createdAt.toISOString())}</td><td>${escapeHtml(m.to)}</td>
<td><a href="?id=${encodeURIComponent(m.id)}">${escapeHtml(m.subject)}</a></td><td>${escapeHtml(m.template ?? '')}</td></tr>`,
    )
    .join('')
  const filter = to ? ` to ${escapeHtml(to)}` : ''
  const body =
    messages.length === 0
      ? `<p class="empty">No messages${filter}.</p>`
      : `<h1>Messages${filter}</h1><table><thead><tr><th>Received</th><th>To</th><th>Subject</th><th>Template</th></tr></thead><tbody>${rows}</tbody></table>`
  return page('Mailbox', body)
}

/** One message: headers, the HTML part in a sandboxed iframe, the text part. */
export function mailboxMessagePage(message: OutboxMessage): Response {
  const extra = Object.entries(message.headers)
    .map(([name, value]) => `<dt>${escapeHtml(name)}</dt><dd>${escapeHtml(value)}</dd>`)
    .join('')
  const body = `<h1>${escapeHtml(message.subject)}</h1>
<dl><dt>From</dt><dd>${escapeHtml(message.from)}</dd><dt>To</dt><dd>${escapeHtml(message.to)}</dd>
${message.cc.length ? `<dt>Cc</dt><dd>${escapeHtml(message.cc.join(', '))}</dd>` : ''}
<dt>Date</dt><dd>${escapeHtml(message.createdAt.toISOString())}</dd>${extra}</dl>
<h2>HTML</h2><iframe sandbox title="HTML part" srcdoc="${escapeHtml(message.html)}"></iframe>
<h2>Text</h2><pre>${escapeHtml(message.text)}</pre>`
  return page(message.subject, body)
}

/** The 404 page of an unknown message id. */
export function mailboxNotFoundPage(): Response {
  const response = page('Not found', '<p class="empty">No such message.</p>')
  return new Response(response.body, { status: 404, headers: response.headers })
}
