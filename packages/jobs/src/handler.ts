import { type Authenticate, type GroundworkError, type OnError, toGroundworkError } from '@groundwork/core'
import { z } from 'zod'
import type { JobState, JobsApi } from './api'
import { jobsError } from './errors'

/** Settings of {@link createJobsHandler}. */
export interface JobsHandlerSettings {
  api: JobsApi
  authenticate?: Authenticate | undefined
  /** The service role's name (`db.roles.service`): the only role let in. */
  serviceRole: string
  /** Stripped from the request path before routing, for frameworks that pass the full URL. */
  basePath: string
  onError?: OnError | undefined
}

type Route = {
  method: string
  pattern: RegExp
  run: (match: string[], request: Request, url: URL) => Promise<unknown>
  status?: number
}

const scheduleInput = z.object({
  name: z.string(),
  task: z.string(),
  cron: z.string(),
  timeZone: z.string().optional(),
  payload: z.unknown().optional(),
  enabled: z.boolean().optional(),
  backfillSeconds: z.number().int().nonnegative().optional(),
  queue: z.string().nullable().optional(),
  priority: z.number().int().nullable().optional(),
  maxAttempts: z.number().int().positive().nullable().optional(),
})
const schedulePatch = scheduleInput.omit({ name: true }).partial()
const rescheduleInput = z.object({
  runAt: z.iso.datetime({ offset: true }).optional(),
  priority: z.number().int().optional(),
  attempts: z.number().int().nonnegative().optional(),
  maxAttempts: z.number().int().positive().optional(),
})
const cancelInput = z.object({ reason: z.string().max(1000).optional() })
const refreshInput = z.object({ concurrently: z.boolean().optional() })
const registerInput = z.object({
  name: z.string(),
  schedule: z.string().nullable().optional(),
  timeZone: z.string().optional(),
  concurrently: z.boolean().optional(),
})

async function body<S extends z.ZodType>(request: Request, schema: S): Promise<z.output<S>> {
  const text = await request.text()
  let value: unknown = {}
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text)
    } catch {
      throw jobsError('JOBS_INVALID_REQUEST', 'The request body is not valid JSON')
    }
  }
  const result = schema.safeParse(value)
  if (!result.success) {
    const issue = result.error.issues[0]
    throw jobsError(
      'JOBS_INVALID_REQUEST',
      `Invalid body: ${issue?.path.map(String).join('.') || '(root)'} ${issue?.message ?? ''}`.trim(),
    )
  }
  return result.data
}

function intParam(url: URL, name: string): number | undefined {
  const value = url.searchParams.get(name)
  if (value === null) return undefined
  // At most 15 digits: always a safe integer, and within Postgres' bigint.
  if (!/^\d{1,15}$/.test(value))
    throw jobsError('JOBS_INVALID_REQUEST', `\`${name}\` must be an integer from 0 to 999999999999999`)
  return Number(value)
}

function param(url: URL, name: string): string | undefined {
  return url.searchParams.get(name) ?? undefined
}

function json(status: number, value: unknown): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  })
}

function errorResponse(error: GroundworkError): Response {
  const payload: Record<string, unknown> = { code: error.code, message: error.message }
  if (error.details !== undefined) payload.details = error.details
  if (error.hint !== undefined) payload.hint = error.hint
  return json(error.status, payload)
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw jobsError('JOBS_INVALID_REQUEST', 'Malformed percent-encoding in the path')
  }
}

/**
 * The admin HTTP handler (Web `Request` → `Response`), routes relative to where it is mounted.
 * Only the service role gets in: any other caller is answered 403 `{ code, message }`.
 */
export function createJobsHandler(settings: JobsHandlerSettings): (request: Request) => Promise<Response> {
  const { api } = settings
  const routes: Route[] = [
    {
      method: 'GET',
      pattern: /^\/jobs$/,
      run: (_, __, url) =>
        api.listJobs({
          state: param(url, 'state') as JobState | undefined,
          task: param(url, 'task'),
          queue: param(url, 'queue'),
          limit: intParam(url, 'limit'),
          offset: intParam(url, 'offset'),
        }),
    },
    { method: 'GET', pattern: /^\/jobs\/stats$/, run: () => api.stats() },
    {
      method: 'GET',
      pattern: /^\/jobs\/([^/]+)$/,
      run: async ([id]) =>
        (await api.getJob(id as string)) ??
        Promise.reject(jobsError('JOBS_NOT_FOUND', `No job with id ${id}`)),
    },
    { method: 'POST', pattern: /^\/jobs\/([^/]+)\/retry$/, run: ([id]) => api.retry(id as string) },
    {
      method: 'POST',
      pattern: /^\/jobs\/([^/]+)\/cancel$/,
      run: async ([id], request) => api.cancel(id as string, (await body(request, cancelInput)).reason),
    },
    {
      method: 'POST',
      pattern: /^\/jobs\/([^/]+)\/reschedule$/,
      run: async ([id], request) => {
        const input = await body(request, rescheduleInput)
        return api.reschedule(id as string, {
          ...input,
          runAt: input.runAt ? new Date(input.runAt) : undefined,
        })
      },
    },
    { method: 'GET', pattern: /^\/schedules$/, run: async () => ({ items: await api.schedules.list() }) },
    {
      method: 'POST',
      pattern: /^\/schedules$/,
      status: 201,
      run: async (_, request) => api.schedules.create(await body(request, scheduleInput)),
    },
    {
      method: 'GET',
      pattern: /^\/schedules\/([^/]+)$/,
      run: async ([name]) =>
        (await api.schedules.get(name as string)) ??
        Promise.reject(jobsError('JOBS_SCHEDULE_NOT_FOUND', `No schedule named "${name}"`)),
    },
    {
      method: 'PATCH',
      pattern: /^\/schedules\/([^/]+)$/,
      run: async ([name], request) =>
        api.schedules.update(name as string, await body(request, schedulePatch)),
    },
    {
      method: 'DELETE',
      pattern: /^\/schedules\/([^/]+)$/,
      run: async ([name]) => {
        if (!(await api.schedules.delete(name as string)))
          throw jobsError('JOBS_SCHEDULE_NOT_FOUND', `No schedule named "${name}"`)
        return { deleted: name }
      },
    },
    {
      method: 'GET',
      pattern: /^\/runs$/,
      run: (_, __, url) =>
        api.listRuns({
          task: param(url, 'task'),
          jobId: param(url, 'jobId'),
          outcome: param(url, 'outcome') as 'success' | 'failure' | undefined,
          limit: intParam(url, 'limit'),
          offset: intParam(url, 'offset'),
        }),
    },
    { method: 'GET', pattern: /^\/matviews$/, run: async () => ({ items: await api.matviews.list() }) },
    {
      method: 'POST',
      pattern: /^\/matviews$/,
      status: 201,
      run: async (_, request) => {
        const { name, ...options } = await body(request, registerInput)
        return api.matviews.register(name, options)
      },
    },
    {
      method: 'POST',
      pattern: /^\/matviews\/([^/]+)\/refresh$/,
      run: async ([name], request) => api.matviews.refresh(name as string, await body(request, refreshInput)),
    },
  ]

  async function authorize(request: Request): Promise<void> {
    if (!settings.authenticate) {
      throw jobsError('JOBS_FORBIDDEN', 'The jobs admin API is disabled: pass `authenticate` to createJobs()')
    }
    const principal = await settings.authenticate(request)
    if (principal.role !== settings.serviceRole) {
      throw jobsError('JOBS_FORBIDDEN', 'The jobs admin API requires the service role')
    }
  }

  return async (request) => {
    try {
      await authorize(request)
      const url = new URL(request.url)
      let path = url.pathname
      if (settings.basePath && path.startsWith(settings.basePath)) path = path.slice(settings.basePath.length)
      path = `/${path.replace(/^\/+|\/+$/g, '')}`
      const matching = routes.filter((route) => route.pattern.test(path))
      if (matching.length === 0) throw jobsError('JOBS_NOT_FOUND', `No route for ${path}`)
      const route = matching.find((candidate) => candidate.method === request.method)
      if (!route) {
        const allow = [...new Set(matching.map((candidate) => candidate.method))].join(', ')
        return new Response(JSON.stringify({ code: 'JOBS_METHOD_NOT_ALLOWED', message: `Use ${allow}` }), {
          status: 405,
          headers: { 'content-type': 'application/json; charset=utf-8', allow },
        })
      }
      const match = (route.pattern.exec(path) as RegExpExecArray).slice(1).map(decodeSegment)
      const result = await route.run(match, request, url)
      return json(route.status ?? 200, result)
    } catch (error) {
      return errorResponse(toGroundworkError(error, settings.onError, request))
    }
  }
}
