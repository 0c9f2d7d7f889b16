import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base.ts'

export default defineConfig(
  packageBuild({
    index: 'src/index.ts',
    embedded: 'src/embedded.ts',
    node: 'src/node.ts',
    fastify: 'src/fastify.ts',
    next: 'src/next.ts',
    kit: 'src/kit/index.ts',
  }),
)
