import { AuthError, type GoTrueErrorCode, OAuthError } from './errors'
import type { SessionResponse } from './sessions'

/** Options of one in-process call. */
export interface ApiCallOptions {
  body?: unknown
  query?: Record<string, string>
  /** Sent as `Authorization: Bearer` (a user's access token, or the service-role key for admin calls). */
  accessToken?: string
  headers?: Record<string, string>
}

/** Calls a route of this handler in-process (no server) and answers its JSON; errors are thrown. */
export type ApiCall = <T = unknown>(method: string, path: string, options?: ApiCallOptions) => Promise<T>

/** A GoTrue user object. */
export type UserJson = Record<string, unknown> & { id: string; email: string; aud: string; role: string }

/** Attributes of an admin create/update (GoTrue's `AdminUserParams`). */
export interface AdminUserAttributes {
  email?: string
  phone?: string
  password?: string
  /** An existing hash (bcrypt or scrypt PHC) instead of `password`, for imports. */
  password_hash?: string
  email_confirm?: boolean
  phone_confirm?: boolean
  user_metadata?: Record<string, unknown>
  app_metadata?: Record<string, unknown>
  role?: string
  /** e.g. `'24h'`, or `'none'` to lift a ban. */
  ban_duration?: string
  id?: string
}

/**
 * `auth.api.admin`: the service-role endpoints, named as auth-js' `GoTrueAdminApi`. Calls carry a
 * short-lived service-role token minted in-process.
 */
export interface AuthAdminApi {
  listUsers(params?: { page?: number; perPage?: number }): Promise<{ users: UserJson[]; aud: string }>
  createUser(attributes: AdminUserAttributes): Promise<UserJson>
  getUserById(id: string): Promise<UserJson>
  updateUserById(id: string, attributes: AdminUserAttributes): Promise<UserJson>
  deleteUser(id: string, shouldSoftDelete?: boolean): Promise<void>
  inviteUserByEmail(
    email: string,
    options?: { data?: Record<string, unknown>; redirectTo?: string },
  ): Promise<UserJson>
  generateLink(params: {
    type: 'signup' | 'invite' | 'magiclink' | 'recovery' | 'email_change_current' | 'email_change_new'
    email: string
    password?: string
    new_email?: string
    data?: Record<string, unknown>
    redirect_to?: string
  }): Promise<Record<string, unknown>>
  /**
   * `GET /admin/audit`: audit entries newest first; `query` is `author:…`, `action:…` or `type:…`.
   * Entries older than the `auditRetention` option are removed by `auth.cleanup()`.
   */
  listAuditLog(params?: { page?: number; perPage?: number; query?: string }): Promise<AuditLogEntryJson[]>
}

/** One `auth.audit_log_entries` row as `GET /admin/audit` answers it (GoTrue's `AuditLogEntry`). */
export interface AuditLogEntryJson {
  id: string
  /** `{ actor_id, actor_username, actor_via_sso, action, log_type, traits? }` */
  payload: Record<string, unknown>
  created_at: string
  ip_address: string
}

/**
 * `auth.api`: the same endpoints as the handler, called in-process (like better-auth's
 * `auth.api.*`), so scripts and server code get identical behaviour, validation and errors.
 */
export interface AuthApi {
  /** Any route, by method and path (for routes without a typed wrapper). */
  call: ApiCall
  signUp(input: {
    email?: string
    password?: string
    data?: Record<string, unknown>
    redirectTo?: string
  }): Promise<SessionResponse | UserJson>
  signInWithPassword(input: { email: string; password: string }): Promise<SessionResponse>
  refreshSession(refreshToken: string): Promise<SessionResponse>
  getUser(accessToken: string): Promise<UserJson>
  updateUser(
    accessToken: string,
    attributes: { email?: string; password?: string; data?: Record<string, unknown> },
  ): Promise<UserJson>
  signOut(accessToken: string, scope?: 'global' | 'local' | 'others'): Promise<void>
  /** `POST /otp`: mails a magic link and code (creates the account unless `createUser: false`). */
  signInWithOtp(input: {
    email: string
    createUser?: boolean
    data?: Record<string, unknown>
    redirectTo?: string
  }): Promise<void>
  /** `POST /verify`: a code (`email` + `token`) or a link token (`token_hash`) → a session. */
  verifyOtp(
    input:
      | {
          type: 'email' | 'signup' | 'invite' | 'magiclink' | 'recovery' | 'email_change'
          email: string
          token: string
        }
      | {
          type: 'email' | 'signup' | 'invite' | 'magiclink' | 'recovery' | 'email_change'
          token_hash: string
        },
  ): Promise<SessionResponse>
  /** `POST /recover`: mails a password-recovery link and code. */
  resetPasswordForEmail(email: string, options?: { redirectTo?: string }): Promise<void>
  /** `POST /resend`: the sign-up confirmation or the email-change mails again. */
  resend(input: { type: 'signup' | 'email_change'; email: string; redirectTo?: string }): Promise<void>
  /** `POST /token?grant_type=pkce`: an auth code from a PKCE link + its verifier → a session. */
  exchangeCodeForSession(authCode: string, codeVerifier: string): Promise<SessionResponse>
  admin: AuthAdminApi
}

/** Builds {@link AuthApi} over `handler`. */
export function createApi(
  handler: (request: Request) => Promise<Response>,
  basePath: string,
  serviceToken: () => Promise<string>,
): AuthApi {
  const call: ApiCall = async <T>(method: string, path: string, options: ApiCallOptions = {}) => {
    const url = new URL(`http://groundwork.internal${basePath}${path}`)
    for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value)
    const headers: Record<string, string> = {
      'x-supabase-api-version': '2024-01-01',
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.accessToken ? { authorization: `Bearer ${options.accessToken}` } : {}),
      ...options.headers,
    }
    const response = await handler(
      new Request(url, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      }),
    )
    const text = await response.text()
    const payload = text ? (JSON.parse(text) as Record<string, unknown>) : undefined
    if (!response.ok) {
      if (payload && typeof payload.error === 'string') {
        throw new OAuthError(payload.error, String(payload.error_description ?? ''), response.status)
      }
      const extra = payload?.weak_password ? { weak_password: payload.weak_password } : undefined
      throw new AuthError(
        (payload?.code as GoTrueErrorCode) ?? 'unexpected_failure',
        String(payload?.message ?? response.statusText),
        {
          status: response.status,
          ...(extra ? { extra } : {}),
        },
      )
    }
    return payload as T
  }
  return {
    call,
    signUp: ({ redirectTo, ...body }) =>
      call('POST', '/signup', { body, ...(redirectTo ? { query: { redirect_to: redirectTo } } : {}) }),
    signInWithPassword: (body) => call('POST', '/token', { body, query: { grant_type: 'password' } }),
    refreshSession: (refreshToken) =>
      call('POST', '/token', {
        body: { refresh_token: refreshToken },
        query: { grant_type: 'refresh_token' },
      }),
    getUser: (accessToken) => call('GET', '/user', { accessToken }),
    updateUser: (accessToken, body) => call('PUT', '/user', { accessToken, body }),
    async signOut(accessToken, scope = 'global') {
      await call('POST', '/logout', { accessToken, query: { scope } })
    },
    async signInWithOtp({ email, createUser = true, data, redirectTo }) {
      await call('POST', '/otp', {
        body: { email, create_user: createUser, ...(data ? { data } : {}) },
        ...(redirectTo ? { query: { redirect_to: redirectTo } } : {}),
      })
    },
    verifyOtp: (body) => call('POST', '/verify', { body }),
    async resetPasswordForEmail(email, options = {}) {
      await call('POST', '/recover', {
        body: { email },
        ...(options.redirectTo ? { query: { redirect_to: options.redirectTo } } : {}),
      })
    },
    async resend({ type, email, redirectTo }) {
      await call('POST', '/resend', {
        body: { type, email },
        ...(redirectTo ? { query: { redirect_to: redirectTo } } : {}),
      })
    },
    exchangeCodeForSession: (authCode, codeVerifier) =>
      call('POST', '/token', {
        body: { auth_code: authCode, code_verifier: codeVerifier },
        query: { grant_type: 'pkce' },
      }),
    admin: createAdminApi(call, serviceToken),
  }
}

function createAdminApi(call: ApiCall, serviceToken: () => Promise<string>): AuthAdminApi {
  const as = async <T>(method: string, path: string, options: ApiCallOptions = {}) =>
    call<T>(method, path, { ...options, accessToken: await serviceToken() })
  return {
    listUsers: ({ page, perPage } = {}) =>
      as('GET', '/admin/users', {
        query: { ...(page ? { page: String(page) } : {}), ...(perPage ? { per_page: String(perPage) } : {}) },
      }),
    createUser: (attributes) => as('POST', '/admin/users', { body: attributes }),
    getUserById: (id) => as('GET', `/admin/users/${encodeURIComponent(id)}`),
    updateUserById: (id, attributes) =>
      as('PUT', `/admin/users/${encodeURIComponent(id)}`, { body: attributes }),
    async deleteUser(id, shouldSoftDelete = false) {
      await as('DELETE', `/admin/users/${encodeURIComponent(id)}`, {
        body: { should_soft_delete: shouldSoftDelete },
      })
    },
    inviteUserByEmail: (email, options = {}) =>
      as('POST', '/invite', {
        body: { email, data: options.data ?? {} },
        ...(options.redirectTo ? { query: { redirect_to: options.redirectTo } } : {}),
      }),
    generateLink: (params) => as('POST', '/admin/generate_link', { body: params }),
    listAuditLog: ({ page, perPage, query } = {}) =>
      as('GET', '/admin/audit', {
        query: {
          ...(page ? { page: String(page) } : {}),
          ...(perPage ? { per_page: String(perPage) } : {}),
          ...(query ? { query } : {}),
        },
      }),
  }
}
