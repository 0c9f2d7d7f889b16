import { migrations as coreMigrations, type Database, type MigrationSet } from '@groundwork/core'
import express, { type Express } from 'express'
import { demoMigrations } from './demo-migrations'
import { healthRoute } from './health'

/** What the demo needs to compose the stack. */
export interface DemoOptions {
  db: Database
  /** HS256 secret shared by the issued keys and every package that verifies tokens. */
  jwtSecret: string
  /** The URL clients reach the server at (for links in mail). */
  publicUrl: string
}

/** The composed demo: an Express app, the migrations of everything mounted, and background services. */
export interface Demo {
  app: Express
  migrationSets: MigrationSet[]
  /** Starts background work (job runner, realtime listener). Call after migrating. */
  start(): Promise<void>
  stop(): Promise<void>
}

/**
 * Composes every Groundwork package into one Express 5 app, the way a host application would
 * (DESIGN §6): `/auth/v1`, `/rest/v1`, `/realtime/v1`, the admin endpoints, and `GET /health`.
 */
export function createDemo(options: DemoOptions): Demo {
  const { db } = options
  const app = express()
  app.disable('x-powered-by')
  const migrationSets: MigrationSet[] = [coreMigrations]
  const starters: (() => Promise<void>)[] = []
  const stoppers: (() => Promise<void>)[] = []

  // Packages mount here (each through toNodeHandler from @groundwork/core/node).

  migrationSets.push(demoMigrations())
  app.get('/health', healthRoute(db))

  return {
    app,
    migrationSets,
    async start() {
      for (const start of starters) await start()
    },
    async stop() {
      for (const stop of stoppers.reverse()) await stop()
    },
  }
}
