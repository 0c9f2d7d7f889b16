import {
  type AnyTaskDefinition,
  ConfigError,
  type GroundworkService,
  type Logger,
  type MigrationSet,
  recordAudit,
  type ServiceHandler,
} from '@groundwork/core'
import { parseOptions } from '@groundwork/core/kit'
import { addJob, type Queryable } from '@groundwork/jobs'
import { createDeliverTask } from './deliver-task'
import { createDevOutbox, type DevOutboxApi } from './dev-outbox'
import { createDevPageHandler } from './dev-page'
import {
  createDevicesApi,
  DEVICE_COLUMNS,
  type Device,
  type DeviceRow,
  type DevicesApi,
  toDevice,
} from './devices'
import { pushError } from './errors'
import { createFanoutTask } from './fanout-task'
import { createPushHandler } from './handler'
import { parseSend, type SendInput, UUID } from './message'
import { migrations } from './migrations'
import {
  MessageCache,
  type NotificationQuery,
  type NotificationStatus,
  readNotification,
  type SendReceipt,
} from './notifications'
import { type PushOptions, pushOptionsSchema } from './options'
import type { PushProvider } from './providers/provider'
import { createStaleTask } from './stale-task'

/** Filters of `push.api.admin.listDevices`. */
export interface ListDevicesOptions {
  /** Only this user's devices. */
  userId?: string | undefined
  /** Include disabled devices. @default false */
  includeDisabled?: boolean | undefined
  /** @default 100, at most 1000 */
  limit?: number | undefined
}

/** `push.api.admin`: trusted server code, as the connecting user (no row-level security). */
export interface PushAdminApi {
  /** Devices of any user, newest first. */
  listDevices(options?: ListDevicesOptions): Promise<Device[]>
  /** Disables devices not registered again (refreshed) for `olderThanMs` (default: `staleAfter`); returns how many. */
  disableStale(options?: { olderThanMs?: number }): Promise<number>
}

/** The typed programmatic surface, `push.api` (the handler is a thin HTTP layer over it). */
export interface PushApi {
  /** The caller's devices, as that caller (row-level security on `push.devices`). */
  devices: DevicesApi
  /**
   * Stores the notification and enqueues its fan-out; pass a transaction first to do both inside
   * it (rolled back → nothing is sent). Validation and payload-size errors reach the caller here.
   *
   * @example
   * ```ts
   * await db.transaction(async (tx) => {
   *   await tx.query('update orders set status = $2 where id = $1', [orderId, 'shipped'])
   *   await push.api.send(tx, { to: { userIds: [userId] }, notification: { title: 'Shipped', body: 'Order 42 is on its way' } })
   * })
   * ```
   */
  send(input: SendInput): Promise<SendReceipt>
  send(executor: Queryable, input: SendInput): Promise<SendReceipt>
  /** A notification with its deliveries (`limit` at a time); null when there is none. */
  notification(id: string, query?: NotificationQuery): Promise<NotificationStatus | null>
  admin: PushAdminApi
  /** What the dev provider recorded. */
  dev: DevOutboxApi
}

/** What {@link createPush} returns: a `GroundworkService` plus the dev page handler. */
export interface Push extends GroundworkService<PushApi> {
  readonly name: 'push'
  readonly api: PushApi
  /** Devices (signed-in users, RLS), `POST /send` and `GET /notifications/:id` (senders). */
  readonly handler: ServiceHandler
  /** The dev page (service role only): what the dev provider recorded. 404 unless `devPage: true`. */
  readonly devHandler: ServiceHandler
  /** The `push` MigrationSet (apply after the jobs set). */
  readonly migrations: MigrationSet
  /** `push:fanout`, `push:deliver`, `push:disable-stale`: `createJobs({ db, tasks: [...push.tasks] })`. */
  readonly tasks: readonly AnyTaskDefinition[]
  readonly providers: readonly PushProvider[]
  /** Nothing to start (delivery runs on the jobs runner): resolves at once. */
  start(): Promise<void>
  /** Closes the providers' connections. Idempotent; the `Database` stays open. */
  close(): Promise<void>
}

const MISSING_SCHEMA = new Set(['3F000', '42P01', '42883'])

/**
 * Creates the push service: devices registered under row-level security, delivery through the
 * providers as @groundwork/jobs jobs (fan-out in batches, retries with backoff honouring
 * `Retry-After`), dead tokens pruned on the providers' definitive answers only.
 *
 * @example
 * ```ts
 * const push = createPush({ db, providers: [fcmProvider({ credentials }), apnsProvider({ key, keyId, teamId, topic })], authenticate })
 * const jobs = createJobs({ db, tasks: [...push.tasks] })
 * await migrate(db, [core, jobs.migrations, push.migrations])
 * await jobs.start()
 * app.use('/push/v1', toNodeHandler(push.handler))
 * await push.api.send({ to: { userIds: [userId] }, notification: { title: 'Hi', body: 'There' } })
 * ```
 */
export function createPush(options: PushOptions): Push {
  const resolved = parseOptions(pushOptionsSchema, options, 'createPush')
  if (resolved.devPage && nodeEnv() === 'production') {
    throw new ConfigError(
      'createPush.devPage',
      'must not be true when NODE_ENV is "production": the dev page shows every recorded push with its device token.',
    )
  }
  const db = resolved.db
  const logger: Logger = resolved.logger ?? db.logger
  const providers = resolved.providers
  const deliverTask = createDeliverTask({
    db,
    providers,
    messages: new MessageCache(db),
    logger,
    maxAttempts: resolved.maxAttempts,
    sendConcurrency: resolved.sendConcurrency,
  })
  const fanoutTask = createFanoutTask(db, deliverTask, {
    batchSize: resolved.batchSize,
    maxAttempts: resolved.maxAttempts,
  })

  async function send(...args: [SendInput] | [Queryable, SendInput]): Promise<SendReceipt> {
    const [executor, input] = args.length === 1 ? [null, args[0]] : args
    const parsed = parseSend(input)
    const enqueue = async (tx: Queryable): Promise<SendReceipt> => {
      const { rows } = await tx.query(
        'insert into push.notifications (target, message) values ($1, $2) returning id::text',
        [JSON.stringify(parsed.target), JSON.stringify(parsed.message)],
      )
      const id = rows[0]?.id as string
      const job = await addJob(tx, fanoutTask, { notificationId: id })
      return { id, jobId: job.id }
    }
    try {
      // Without a transaction of the caller's, our own: a notification never exists without its fan-out.
      return executor ? await enqueue(executor) : await db.transaction(enqueue)
    } catch (error) {
      throw notMigrated(error)
    }
  }

  async function disableStale(input: { olderThanMs?: number } = {}): Promise<number> {
    const olderThanMs = input.olderThanMs ?? resolved.staleAfter
    const { rows } = await db.query(
      `with d as (update push.devices set disabled_at = now(), disabled_reason = 'stale', updated_at = now()
         where disabled_at is null and last_seen_at < now() - make_interval(secs => $1::float8 / 1000) returning 1)
       select count(*)::int as n from d`,
      [olderThanMs],
    )
    return rows[0]?.n ?? 0
  }

  const admin: PushAdminApi = {
    async listDevices(filter = {}) {
      if (filter.userId !== undefined && !UUID.test(filter.userId)) return []
      const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 100), 1), 1000)
      const { rows } = await db.query<DeviceRow>(
        `select ${DEVICE_COLUMNS} from push.devices d
         where ($1::uuid is null or d.user_id = $1::uuid) and ($2 or d.disabled_at is null)
         order by d.created_at desc, d.id limit $3`,
        [filter.userId ?? null, filter.includeDisabled === true, limit],
      )
      return rows.map(toDevice)
    },
    disableStale,
  }

  const dev = createDevOutbox(db)
  const api: PushApi = {
    devices: createDevicesApi(db),
    send: send as PushApi['send'],
    notification: (id, query) => readNotification(db, id, query),
    admin,
    dev,
  }
  const handler = createPushHandler({
    api,
    authenticate: resolved.authenticate,
    serviceRole: db.roles.service,
    basePath: resolved.basePath,
    limits: { maxBytes: resolved.maxBodyBytes, maxJsonDepth: resolved.maxJsonDepth },
    cors: resolved.cors,
    onError: resolved.onError,
    audit: (entry) => recordAudit(db, entry),
  })
  const devHandler = createDevPageHandler({
    dev,
    enabled: resolved.devPage,
    authenticate: resolved.authenticate,
    serviceRole: db.roles.service,
    basePath: resolved.basePath,
    onError: resolved.onError,
  })

  let closed: Promise<void> | null = null
  return {
    name: 'push',
    api,
    handler,
    devHandler,
    migrations,
    tasks: [fanoutTask, deliverTask, createStaleTask(disableStale)],
    providers,
    start: () => Promise.resolve(),
    close() {
      closed ??= (async () => {
        await Promise.all(providers.map(async (provider) => provider.close?.()))
      })()
      return closed
    },
  }
}

function notMigrated(error: unknown): unknown {
  const code = (error as { code?: unknown }).code
  if (
    typeof code === 'string' &&
    MISSING_SCHEMA.has(code) &&
    /push\.|graphile_worker/.test(String((error as Error).message))
  ) {
    return pushError('PUSH_NOT_MIGRATED', 'The push schema is missing: apply the push migrations first', {
      cause: error,
      hint: 'await migrate(db, [coreMigrations, jobs.migrations, push.migrations]), or run `groundwork migrate`.',
    })
  }
  return error
}

/** `NODE_ENV`, read when a service is created (never at import); undefined outside Node. */
function nodeEnv(): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NODE_ENV
}
