import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

// Browser and Node: Web APIs only, no Node built-ins; every module its own entry (tree-shakable).
export default defineConfig(
  packageBuild(
    {
      index: 'src/index.ts',
      connection: 'src/connection.ts',
      rest: 'src/rest.ts',
      auth: 'src/auth.ts',
      storage: 'src/storage.ts',
      realtime: 'src/realtime/index.ts',
      push: 'src/push.ts',
      keys: 'src/keys.ts',
      oauth: 'src/oauth.ts',
    },
    { platform: 'neutral', target: 'es2022' },
  ),
)
