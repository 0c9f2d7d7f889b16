/**
 * Tree-shaking: an app that uses only REST must not carry storage, realtime, push, keys, oauth or
 * auth code, whether it imports the modular entry or the package root (`sideEffects: false`); every
 * module bundles for browsers (no Node built-ins: esbuild's browser platform refuses them); and the
 * REST + auth app is smaller than the same app with supabase-js.
 */
import { describe, expect, it } from 'vitest'
import { bundle, REST_AUTH_APP, SUPABASE_APP } from '../bench/bundle'

/** Strings only each module's code contains (survive minification: they are literals). */
const MARKERS = {
  rest: 'Accept-Profile',
  auth: 'gotrue',
  storage: '/object/',
  realtime: 'text/event-stream',
  push: '/devices',
  keys: '/user/api-keys',
  oauth: 'authorization_id', // auth-js calls /user/oauth/grants too; only this module reads the consent URL
}

const REST_ONLY_ENTRY = `
import { createConnection } from '@groundwork/client/connection'
import { createRestClient } from '@groundwork/client/rest'
export const rest = createRestClient(createConnection('https://api.example.com', 'key'))
`
const REST_ONLY_ROOT = `
import { createConnection, createRestClient } from '@groundwork/client'
export const rest = createRestClient(createConnection('https://api.example.com', 'key'))
`
const EVERYTHING = `
import { createClient } from '@groundwork/client'
export const client = createClient('https://api.example.com', 'key')
`

describe('@groundwork/client bundles', () => {
  it('carries every module in a full createClient bundle, for browsers', async () => {
    const { code } = await bundle(EVERYTHING, { fromSource: true })
    for (const [module, marker] of Object.entries(MARKERS)) {
      expect(code.includes(marker), `${module} code in the full bundle`).toBe(true)
    }
  }, 60_000)

  for (const [name, source] of [
    ['@groundwork/client/rest', REST_ONLY_ENTRY],
    ['the package root', REST_ONLY_ROOT],
  ] as const) {
    it(`leaves storage, realtime, push, keys, oauth and auth out of a REST-only bundle (from ${name})`, async () => {
      const { code } = await bundle(source, { fromSource: true })
      expect(code.includes(MARKERS.rest), 'REST code in the bundle').toBe(true)
      for (const module of ['storage', 'realtime', 'push', 'keys', 'oauth', 'auth'] as const) {
        expect(code.includes(MARKERS[module]), `${module} code in a REST-only bundle`).toBe(false)
      }
    }, 60_000)
  }

  it('makes the REST + auth app smaller than the same app on supabase-js (min+gzip)', async () => {
    const ours = await bundle(REST_AUTH_APP, { fromSource: true })
    const supabase = await bundle(SUPABASE_APP)
    expect(ours.code.includes(MARKERS.auth)).toBe(true)
    expect(ours.code.includes(MARKERS.storage)).toBe(false)
    expect(ours.gzipped).toBeLessThan(supabase.gzipped)
  }, 60_000)
})
