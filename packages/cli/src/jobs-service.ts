import { createJobs, type Jobs } from '@groundwork/jobs'
import type { CommandContext } from './context'

const services = new WeakMap<CommandContext, Jobs>()

/** The jobs service on the command's database (no runner is started). */
export function jobsService(context: CommandContext): Jobs {
  let jobs = services.get(context)
  if (!jobs) {
    jobs = createJobs({ db: context.database() })
    services.set(context, jobs)
  }
  return jobs
}
