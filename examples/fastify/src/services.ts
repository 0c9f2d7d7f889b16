import { readdirSync, readFileSync } from 'node:fs'
import { createAuth } from '@groundwork/auth'
import {
  migrations as coreMigrations,
  type Database,
  defineMigrations,
  type GroundworkService,
  type MigrationSet,
} from '@groundwork/core'
import { createJobs } from '@groundwork/jobs'
import { createMail, outboxTransport } from '@groundwork/mail'
import { createRealtime } from '@groundwork/realtime'
import { createRest } from '@groundwork/rest'

/** What the example composes. */
export interface ServicesOptions {
  db: Database
  /** HS256 secret of the issued tokens and the anon / service_role keys. */
  jwtSecret: string
  /** Where clients reach the app (links in mail). */
  publicUrl: string
  /** Sign-ups are confirmed at once (Supabase's local default); else a confirmation mail. @default false */
  autoconfirm?: boolean
}

/**
 * The Groundwork services of the example — auth, REST, realtime, mail and the job runner that
 * delivers it — with the migrations of everything, including the demo's todo schema
 * (the repository's `migrations/`). Framework-free: the Fastify app only mounts `handler`s.
 */
export function createServices(options: ServicesOptions) {
  const { db } = options
  const mail = createMail({ db, transport: outboxTransport(), from: 'Example <no-reply@example.com>' })
  const auth = createAuth({
    db,
    jwt: { secret: options.jwtSecret },
    siteUrl: options.publicUrl,
    mail: mail.api,
    mailerAutoconfirm: options.autoconfirm ?? false,
  })
  const rest = createRest({ db, authenticate: auth.authenticate })
  const realtime = createRealtime({ db, authenticate: auth.authenticate })
  const contributors: GroundworkService[] = [auth, rest, realtime, mail]
  const jobs = createJobs({ db, tasks: contributors.flatMap((service) => service.tasks) })
  const services: GroundworkService[] = [...contributors, jobs]
  const migrationSets: MigrationSet[] = [
    coreMigrations,
    ...services.map((service) => service.migrations),
    todoMigrations(),
  ]
  return { auth, rest, realtime, mail, jobs, services, migrationSets }
}

/** The demo's todo schema (lists, todos, RLS policies), shared by every example. */
function todoMigrations(): MigrationSet {
  const dir = new URL('../../../migrations/', import.meta.url)
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.sql'))
    .map((name) => [name, readFileSync(new URL(name, dir), 'utf8')] as const)
  return defineMigrations('demo', Object.fromEntries(files))
}
