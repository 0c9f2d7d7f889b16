import { isGroundworkError } from '@groundwork/core'
import { describe, expect, it } from 'vitest'
import { poolOptionsFromEnv, restOptionsFromEnv } from './config-from-env'

function configError(run: () => unknown): { code: string; field: string } {
  try {
    run()
  } catch (error) {
    if (isGroundworkError(error))
      return { code: error.code, field: (error as { field?: string }).field ?? '' }
  }
  throw new Error('expected a ConfigError')
}

describe('restOptionsFromEnv', () => {
  it("maps PostgREST's variables with its value syntax", () => {
    expect(
      restOptionsFromEnv({
        PGRST_DB_SCHEMAS: 'public, personal',
        PGRST_DB_ANON_ROLE: 'web_anon',
        PGRST_DB_EXTRA_SEARCH_PATH: 'public,extensions',
        PGRST_DB_MAX_ROWS: '1000',
        PGRST_DB_AGGREGATES_ENABLED: 'True',
        PGRST_DB_TX_END: 'rollback-allow-override',
        PGRST_DB_PLAN_ENABLED: '1',
        PGRST_DB_PRE_REQUEST: 'api.check_request',
        PGRST_OPENAPI_MODE: 'ignore-privileges',
        PGRST_SERVER_TIMING_ENABLED: 'true',
        PGRST_JWT_CACHE_MAX_LIFETIME: '3600',
        PGRST_SERVER_CORS_ALLOWED_ORIGINS: 'https://a.example, https://b.example',
        PGRST_DB_CHANNEL_ENABLED: 'false',
        PGRST_DB_PREPARED_STATEMENTS: '0',
      }),
    ).toEqual({
      schemas: ['public', 'personal'],
      anonRole: 'web_anon',
      extraSearchPath: ['public', 'extensions'],
      maxRows: 1000,
      aggregates: true,
      txEnd: 'rollback-allow-override',
      planEnabled: true,
      preRequest: 'api.check_request',
      openapiMode: 'ignore-privileges',
      serverTimingEnabled: true,
      jwtCacheMaxLifetime: 3600,
      cors: { origins: ['https://a.example', 'https://b.example'] },
      listen: false,
      preparedStatements: false,
    })
  })

  it('leaves unset and empty variables to the defaults, and reads the legacy aliases', () => {
    expect(restOptionsFromEnv({ PGRST_DB_SCHEMAS: '', HOME: '/root' })).toEqual({})
    expect(
      restOptionsFromEnv({ PGRST_DB_SCHEMA: 'api', PGRST_MAX_ROWS: '5', PGRST_PRE_REQUEST: 'f' }),
    ).toEqual({
      schemas: ['api'],
      maxRows: 5,
      preRequest: 'f',
    })
    expect(restOptionsFromEnv({ PGRST_DB_EXTRA_SEARCH_PATH: '' })).toEqual({ extraSearchPath: [] })
  })

  it('refuses what PostgREST refuses, naming the variable', () => {
    expect(configError(() => restOptionsFromEnv({ PGRST_DB_SCHEMAS: 'public,pg_catalog' }))).toEqual({
      code: 'CORE_CONFIG_INVALID',
      field: 'PGRST_DB_SCHEMAS',
    })
    expect(configError(() => restOptionsFromEnv({ PGRST_DB_TX_END: 'sometimes' })).field).toBe(
      'PGRST_DB_TX_END',
    )
    expect(configError(() => restOptionsFromEnv({ PGRST_DB_MAX_ROWS: 'many' })).field).toBe(
      'PGRST_DB_MAX_ROWS',
    )
    expect(configError(() => restOptionsFromEnv({ PGRST_DB_PLAN_ENABLED: 'yes' })).field).toBe(
      'PGRST_DB_PLAN_ENABLED',
    )
    expect(configError(() => restOptionsFromEnv({ PGRST_DB_CHANNEL: 'other' })).field).toBe(
      'PGRST_DB_CHANNEL',
    )
  })
})

describe('poolOptionsFromEnv', () => {
  it("maps PostgREST's pool settings onto pg.Pool's", () => {
    expect(
      poolOptionsFromEnv({
        PGRST_DB_URI: 'postgres://app@db/app',
        PGRST_DB_POOL: '20',
        PGRST_DB_POOL_ACQUISITION_TIMEOUT: '10',
        PGRST_DB_POOL_MAX_IDLETIME: '30',
        PGRST_DB_POOL_MAX_LIFETIME: '1800',
      }),
    ).toEqual({
      connectionString: 'postgres://app@db/app',
      max: 20,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      maxLifetimeSeconds: 1800,
    })
  })
})
