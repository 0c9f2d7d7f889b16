import { randomBytes } from 'node:crypto'
import type { RequestHandler } from 'express'

/**
 * The demo's OAuth consent page (docs/oauth-provider.md#the-consent-page): plain HTML and a small
 * script, no framework. The authorization endpoint sends the browser here with `authorization_id`;
 * the page signs the user in with email and password (`POST /auth/v1/token?grant_type=password`),
 * asks `GET /auth/v1/oauth/authorizations/{id}` what the client wants, and on a click posts
 * `{ action: 'approve' | 'deny' }` to `…/consent`, then follows `redirect_url`.
 *
 * CSRF: nothing here rides on cookies — every call carries the user's access token, which only
 * this page's own script holds (sessionStorage) — so another site cannot make the browser consent.
 * Clickjacking: `frame-ancestors 'none'` and `X-Frame-Options: DENY`, so the buttons cannot be
 * overlaid in a frame. The script runs under a per-response CSP nonce.
 */
export function consentPage(authPath = '/auth/v1'): RequestHandler {
  return (_req, res) => {
    const nonce = randomBytes(16).toString('base64')
    res.set({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    })
    res.send(html(nonce, authPath))
  }
}

function html(nonce: string, authPath: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Authorize access</title>
<style nonce="${nonce}">
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; color: #1a1a1a; }
  section[hidden] { display: none; }
  label { display: block; margin: .5rem 0; }
  input { width: 100%; padding: .4rem; box-sizing: border-box; }
  button { padding: .5rem 1rem; margin: .75rem .5rem 0 0; }
  ul { padding-left: 1.2rem; }
  .error { color: #b00020; }
</style>
</head>
<body>
<h1>Authorize access</h1>
<p id="error" class="error" role="alert"></p>
<section id="sign-in" hidden>
  <p>Sign in to continue.</p>
  <form id="sign-in-form">
    <label>Email <input id="email" name="email" type="email" autocomplete="username" required></label>
    <label>Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>
    <button id="sign-in-button" type="submit">Sign in</button>
  </form>
</section>
<section id="consent" hidden>
  <p><strong id="client-name"></strong> wants to access your account (<span id="user-email"></span>):</p>
  <ul id="scopes"></ul>
  <p>It will be sent back to <code id="redirect-uri"></code>.</p>
  <button id="approve" type="button">Allow</button>
  <button id="deny" type="button">Deny</button>
</section>
<script nonce="${nonce}">
(() => {
  const AUTH = ${JSON.stringify(authPath)};
  const id = new URLSearchParams(location.search).get('authorization_id') || '';
  const $ = (name) => document.getElementById(name);
  const fail = (message) => { $('error').textContent = message; };
  const token = () => sessionStorage.getItem('gw-consent-token');
  const call = async (method, path, body) => {
    const response = await fetch(AUTH + path, {
      method,
      headers: { authorization: 'Bearer ' + token(), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error_description || data.msg || data.message || 'Request failed');
    return data;
  };
  const decide = async (action) => {
    try {
      const { redirect_url } = await call('POST', '/oauth/authorizations/' + encodeURIComponent(id) + '/consent', { action });
      location.assign(redirect_url);
    } catch (error) { fail(error.message); }
  };
  const load = async () => {
    if (!token()) { $('sign-in').hidden = false; return; }
    try {
      const details = await call('GET', '/oauth/authorizations/' + encodeURIComponent(id));
      if (details.redirect_url) { location.assign(details.redirect_url); return; }
      $('client-name').textContent = details.client.name;
      $('user-email').textContent = details.user.email;
      $('redirect-uri').textContent = details.redirect_uri;
      for (const scope of details.scope.split(' ').filter(Boolean)) {
        const item = document.createElement('li');
        item.textContent = scope;
        $('scopes').append(item);
      }
      $('consent').hidden = false;
    } catch (error) {
      sessionStorage.removeItem('gw-consent-token');
      fail(error.message);
      $('sign-in').hidden = false;
    }
  };
  $('sign-in-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const response = await fetch(AUTH + '/token?grant_type=password', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: $('email').value, password: $('password').value }),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) { fail(data.msg || data.message || 'Sign-in failed'); return; }
    sessionStorage.setItem('gw-consent-token', data.access_token);
    $('sign-in').hidden = true;
    fail('');
    await load();
  });
  $('approve').addEventListener('click', () => decide('approve'));
  $('deny').addEventListener('click', () => decide('deny'));
  if (!id) fail('Missing authorization_id'); else load();
})();
</script>
</body>
</html>`
}
