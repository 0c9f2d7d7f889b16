import { createDatabase } from '@groundwork/core'
import { createGeo } from '@groundwork/geo'
import { createRest } from '@groundwork/rest'

const url = 'postgres://postgres@127.0.0.1:5432/geo_scratch'
const db = createDatabase({ connectionString: url, max: 2 })
const geo = createGeo({ db, rest: () => rest })
const rest = createRest({ db, extensions: [geo.rest], listen: false })
const t = performance.now()
for (let i = 0; i < 40; i++) {
  const r = await rest.handler(
    new Request('http://x/bench_points', { headers: { accept: process.argv[2] ?? 'application/geo+json' } }),
  )
  await r.arrayBuffer()
}
console.log(performance.now() - t)
await db.close()
