import type { Database } from '@groundwork/core'
import type { AuthCallContext } from '../api/context'
import { audit } from '../audit'
import { transact } from '../db'
import { appNotFound } from './errors'
import {
  type CreateAppInput,
  createAppSchema,
  idParam,
  type ListAppsParams,
  listAppsSchema,
  parseInput,
  type UpdateAppInput,
  updateAppSchema,
} from './inputs'
import { APP_COLUMNS, type App, type AppRow, toApp } from './model'
import { findApp, type KeyChangeListener, requireUser } from './queries'

/**
 * `auth.api.apps`: registered apps. In-process calls are trusted; over HTTP the admin routes let
 * in the service role or an `admin`-scoped key.
 */
export interface AppsApi {
  /** Registers an app (`POST /admin/apps`); 404 `user_not_found` for an unknown `owner_id`. */
  create(input: CreateAppInput, ctx?: AuthCallContext): Promise<App>
  /** Apps, newest first (`GET /admin/apps?owner_id=`). */
  list(params?: ListAppsParams): Promise<App[]>
  /** One app (`GET /admin/apps/{id}`); 404 `app_not_found`. */
  get(id: string): Promise<App>
  /**
   * Changes the fields given (`PUT /admin/apps/{id}`); `null` clears `description`,
   * `owner_id` or `rate_limit`. Other instances apply a new budget within the key cache's TTL.
   */
  update(id: string, input: UpdateAppInput, ctx?: AuthCallContext): Promise<App>
  /** Deletes the app and every key of it (`DELETE /admin/apps/{id}`): they stop working at once. */
  delete(id: string, ctx?: AuthCallContext): Promise<void>
}

/** Builds {@link AppsApi} on `db` (as the connecting role, which owns `auth.*`). */
export function createApps(db: Database, listener?: KeyChangeListener): AppsApi {
  return {
    async create(input, ctx = {}) {
      const parsed = parseInput(createAppSchema, input)
      return transact(db, async (tx) => {
        if (parsed.owner_id) await requireUser(tx, parsed.owner_id)
        const { rows } = await tx.query<AppRow>(
          `insert into auth.apps (name, description, owner_id, rate_limit_requests, rate_limit_window_seconds)
           values ($1, $2, $3, $4, $5) returning ${APP_COLUMNS}`,
          [
            parsed.name,
            parsed.description ?? null,
            parsed.owner_id ?? null,
            parsed.rate_limit?.requests ?? null,
            parsed.rate_limit?.window_seconds ?? null,
          ],
        )
        const app = toApp(rows[0] as AppRow)
        await audit(tx, 'app_created', ctx.actor ?? null, {
          ip: ctx.ip,
          traits: { app_id: app.id, app_name: app.name },
        })
        return app
      })
    },
    async list(params = {}) {
      const { owner_id } = parseInput(listAppsSchema, params)
      const { rows } = await db.query<AppRow>(
        `select ${APP_COLUMNS} from auth.apps where ($1::uuid is null or owner_id = $1)
         order by created_at desc, id desc`,
        [owner_id ?? null],
      )
      return rows.map(toApp)
    },
    async get(id) {
      const row = await findApp(db, idParam(id, appNotFound))
      if (!row) throw appNotFound()
      return toApp(row)
    },
    async update(id, input, ctx = {}) {
      const appId = idParam(id, appNotFound)
      const parsed = parseInput(updateAppSchema, input)
      const app = await transact(db, async (tx) => {
        const current = await findApp(tx, appId, true)
        if (!current) throw appNotFound()
        if (parsed.owner_id) await requireUser(tx, parsed.owner_id)
        const pick = <T>(value: T | undefined, fallback: T): T => (value === undefined ? fallback : value)
        const limit =
          parsed.rate_limit === undefined
            ? {
                requests: current.rate_limit_requests,
                window_seconds: current.rate_limit_window_seconds,
              }
            : {
                requests: parsed.rate_limit?.requests ?? null,
                window_seconds: parsed.rate_limit?.window_seconds ?? null,
              }
        const { rows } = await tx.query<AppRow>(
          `update auth.apps set name = $2, description = $3, owner_id = $4, rate_limit_requests = $5,
             rate_limit_window_seconds = $6, updated_at = now() where id = $1 returning ${APP_COLUMNS}`,
          [
            appId,
            pick(parsed.name, current.name),
            pick(parsed.description, current.description),
            pick(parsed.owner_id, current.owner_id),
            limit.requests,
            limit.window_seconds,
          ],
        )
        const updated = toApp(rows[0] as AppRow)
        await audit(tx, 'app_updated', ctx.actor ?? null, {
          ip: ctx.ip,
          traits: { app_id: updated.id, app_name: updated.name },
        })
        return updated
      })
      listener?.appChanged(app.id)
      return app
    },
    async delete(id, ctx = {}) {
      const appId = idParam(id, appNotFound)
      await transact(db, async (tx) => {
        const { rows } = await tx.query<{ name: string }>(
          'delete from auth.apps where id = $1 returning name',
          [appId],
        )
        if (!rows[0]) throw appNotFound()
        await audit(tx, 'app_deleted', ctx.actor ?? null, {
          ip: ctx.ip,
          traits: { app_id: appId, app_name: rows[0].name },
        })
      })
      listener?.appChanged(appId)
    },
  }
}
