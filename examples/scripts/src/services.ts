import { type Auth, createAuth } from '@groundwork/auth'
import { migrations as coreMigrations, type Database, migrate } from '@groundwork/core'
import { createJobs, type Jobs } from '@groundwork/jobs'
import { createMail, type Mail, outboxTransport, smtpTransport } from '@groundwork/mail'
import { createPush, devProvider, type Push } from '@groundwork/push'

/** The services a script uses: no handler is mounted, everything goes through each service's `api`. */
export interface ScriptServices {
  auth: Auth
  mail: Mail
  push: Push
  jobs: Jobs
  /** Applies core's and every service's migrations (idempotent); returns how many ran now. */
  migrate(): Promise<number>
  /** Closes every service (the job runner first). Does not close `db`. */
  close(): Promise<void>
}

/**
 * Creates the services for scripts on `db`: auth (users, apps, keys), mail (SMTP when `smtp` is
 * given, else the outbox), push (the dev provider, which records instead of sending; pass real
 * providers in production) and the job runner that delivers both.
 */
export function createScriptServices(options: {
  db: Database
  jwtSecret: string
  smtp?: { host: string; port: number; secure: boolean }
}): ScriptServices {
  const { db } = options
  const mail = createMail({
    db,
    transport: options.smtp ? smtpTransport(options.smtp) : outboxTransport(),
    from: 'Groundwork scripts <no-reply@example.com>',
  })
  const auth = createAuth({ db, jwt: { secret: options.jwtSecret }, mail: mail.api })
  const push = createPush({ db, providers: [devProvider()] })
  const jobs = createJobs({ db, tasks: [...auth.tasks, ...mail.tasks, ...push.tasks] })
  const services = [auth, mail, push, jobs]
  return {
    auth,
    mail,
    push,
    jobs,
    async migrate() {
      const applied = await migrate(db, [coreMigrations, ...services.map((service) => service.migrations)])
      return applied.length
    },
    async close() {
      for (const service of services.toReversed()) await service.close()
    },
  }
}
