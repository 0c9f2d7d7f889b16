/**
 * `toNextJsHandler` in the same fixture app under `next dev` (`next({ dev: true })`, the route
 * compiled on its first request, ~5 s), which is what developers run.
 */
import { nextAdapterContract } from './adapters-next-support'

nextAdapterContract('dev')
