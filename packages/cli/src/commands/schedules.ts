import type { ParseArgsOptionsConfig } from 'node:util'
import { GroundworkError } from '@groundwork/core'
import type { SchedulePatch } from '@groundwork/jobs'
import { intFlag, jsonFlag, positional, stringFlag } from '../args'
import { type CommandArgs, defineGroup } from '../command'
import { jobsService } from '../jobs-service'

const COLUMNS = ['name', 'task', 'cron', 'timeZone', 'enabled', 'nextRunAt', 'lastRunAt']

const SCHEDULE_OPTIONS: ParseArgsOptionsConfig = {
  task: { type: 'string' },
  cron: { type: 'string' },
  tz: { type: 'string' },
  payload: { type: 'string' },
  backfill: { type: 'string' },
  queue: { type: 'string' },
  priority: { type: 'string' },
  'max-attempts': { type: 'string' },
  disabled: { type: 'boolean' },
}

function patchFrom({ values }: CommandArgs): SchedulePatch {
  const patch: SchedulePatch = {}
  const task = stringFlag(values.task)
  const cron = stringFlag(values.cron)
  const timeZone = stringFlag(values.tz)
  const payload = jsonFlag(values.payload, 'payload')
  const backfillSeconds = intFlag(values.backfill, 'backfill')
  const queue = stringFlag(values.queue)
  const priority = intFlag(values.priority, 'priority')
  const maxAttempts = intFlag(values['max-attempts'], 'max-attempts')
  if (task !== undefined) patch.task = task
  if (cron !== undefined) patch.cron = cron
  if (timeZone !== undefined) patch.timeZone = timeZone
  if (payload !== undefined) patch.payload = payload
  if (backfillSeconds !== undefined) patch.backfillSeconds = backfillSeconds
  if (queue !== undefined) patch.queue = queue
  if (priority !== undefined) patch.priority = priority
  if (maxAttempts !== undefined) patch.maxAttempts = maxAttempts
  if (values.disabled) patch.enabled = false
  return patch
}

/** `groundwork schedules list|create|update|enable|disable|delete`. */
export const schedulesGroup = defineGroup({
  name: 'schedules',
  summary: 'Manage recurring jobs stored in the database',
  commands: [
    {
      name: 'list',
      summary: 'List schedules',
      async run(context) {
        context.table(
          (await jobsService(context).api.schedules.list()) as unknown as Record<string, unknown>[],
          COLUMNS,
        )
      },
    },
    {
      name: 'create',
      summary: 'Create a schedule',
      usage:
        "<name> --task name --cron '*/5 * * * *' [--tz Europe/Paris] [--payload JSON] [--backfill seconds] [--disabled]",
      options: SCHEDULE_OPTIONS,
      async run(context, args) {
        const name = positional(args, 'name')
        const patch = patchFrom(args)
        const schedule = await jobsService(context).api.schedules.create({
          ...patch,
          name,
          task: patch.task ?? '',
          cron: patch.cron ?? '',
        })
        context.result(
          schedule,
          `Schedule ${schedule.name} created; next run ${schedule.nextRunAt?.toISOString() ?? '-'}.`,
        )
      },
    },
    {
      name: 'update',
      summary: 'Change a schedule',
      usage:
        '<name> [--task] [--cron] [--tz] [--payload] [--backfill] [--queue] [--priority] [--max-attempts]',
      options: SCHEDULE_OPTIONS,
      async run(context, args) {
        const schedule = await jobsService(context).api.schedules.update(
          positional(args, 'name'),
          patchFrom(args),
        )
        context.result(
          schedule,
          `Schedule ${schedule.name} updated; next run ${schedule.nextRunAt?.toISOString() ?? '-'}.`,
        )
      },
    },
    {
      name: 'enable',
      summary: 'Enable a schedule (its next tick is computed from now)',
      usage: '<name>',
      async run(context, args) {
        const schedule = await jobsService(context).api.schedules.enable(positional(args, 'name'))
        context.result(
          schedule,
          `Schedule ${schedule.name} enabled; next run ${schedule.nextRunAt?.toISOString() ?? '-'}.`,
        )
      },
    },
    {
      name: 'disable',
      summary: 'Disable a schedule',
      usage: '<name>',
      async run(context, args) {
        const schedule = await jobsService(context).api.schedules.disable(positional(args, 'name'))
        context.result(schedule, `Schedule ${schedule.name} disabled.`)
      },
    },
    {
      name: 'delete',
      summary: 'Delete a schedule',
      usage: '<name>',
      async run(context, args) {
        const name = positional(args, 'name')
        const deleted = await jobsService(context).api.schedules.delete(name)
        if (!deleted)
          throw new GroundworkError('JOBS_SCHEDULE_NOT_FOUND', `No schedule named "${name}"`, { status: 404 })
        context.result({ deleted: name }, `Schedule ${name} deleted.`)
      },
    },
  ],
})
