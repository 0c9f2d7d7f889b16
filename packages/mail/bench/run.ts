/**
 * `pnpm bench` for @groundwork/mail: renders/s of a cached template through `mail.api.render`
 * (built-in and stored), against the same work done by calling liquidjs directly (templates
 * parsed once, subject + escaped HTML rendered, text part derived with html-to-text), plus the
 * bare liquidjs render without the text part. Then enqueue rate of `mail.api.send` (validate + render
 * + add_job) against a raw `graphile_worker.add_job` of the same pre-rendered payload.
 *
 * Rounds are interleaved (baseline, ours, baseline, ours…) and medians reported, so drift hits
 * both alike. Uses the built package (self-reference `@groundwork/mail` → dist), i.e. what users
 * install. DATABASE_URL names the server (a scratch database is created and dropped there);
 * without it an embedded PostgreSQL is started for the run.
 */
import { randomBytes } from 'node:crypto'
import { migrations as coreMigrations, createDatabase, migrate, quoteIdent } from '@groundwork/core'
import { BUILTIN_TEMPLATES, createMail, htmlToText, type Mail, outboxTransport } from '@groundwork/mail'
import { Liquid } from 'liquidjs'
import pg from 'pg'

const RENDERS = Number(process.env.BENCH_RENDERS ?? 20_000)
const SENDS = Number(process.env.BENCH_SENDS ?? 2000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)

const VARIABLES = {
  confirmation_url:
    'https://app.example.com/auth/v1/verify?token=abcdef0123456789&type=signup&redirect_to=https%3A%2F%2Fapp.example.com',
  token: '123456',
  email: 'ada@example.com',
  site_url: 'https://app.example.com',
  data: { name: 'Ada <Lovelace>' },
}

const CUSTOM = {
  subject: 'Welcome to {{ site_url }}, {{ data.name }}',
  html: `<html><body><h1>Hello {{ data.name }}</h1>
<p>Thanks for signing up with {{ email }}.</p>
{% if token %}<p>Your code: <strong>{{ token }}</strong></p>{% endif %}
<p><a href="{{ confirmation_url }}">Confirm your address</a></p>
<ul>{% for i in (1..5) %}<li>Tip {{ i }} for {{ data.name | upcase }}</li>{% endfor %}</ul>
</body></html>`,
}

interface Case {
  name: string
  run(): Promise<unknown>
}

/** liquidjs called directly, templates parsed once: the hand-written baseline. */
function directCase(name: string, source: { subject: string; html: string }, withText: boolean): Case {
  const html = new Liquid({ outputEscape: 'escape', ownPropertyOnly: true })
  const plain = new Liquid({ ownPropertyOnly: true })
  const subjectTpl = plain.parse(source.subject)
  const htmlTpl = html.parse(source.html)
  return {
    name,
    async run() {
      const [subject, body] = await Promise.all([
        plain.render(subjectTpl, VARIABLES),
        html.render(htmlTpl, VARIABLES),
      ])
      return withText ? { subject, html: body, text: htmlToText(body) } : { subject, html: body }
    },
  }
}

function mailCase(name: string, mail: Mail, template: string): Case {
  return { name, run: () => mail.api.render({ template, variables: VARIABLES }) }
}

async function rate(c: Case, n: number): Promise<number> {
  const started = performance.now()
  for (let i = 0; i < n; i++) await c.run()
  return (n / (performance.now() - started)) * 1000
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

async function compare(title: string, cases: Case[], n: number): Promise<Map<string, number>> {
  const results = new Map<string, number[]>(cases.map((c) => [c.name, []]))
  for (const c of cases) await rate(c, Math.min(n, 2000)) // warm-up: JIT, caches
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? cases : [...cases].reverse()
    for (const c of order) results.get(c.name)?.push(await rate(c, n))
  }
  const medians = new Map([...results].map(([name, values]) => [name, median(values)]))
  console.log(`\n${title}`)
  console.log('| case                                   | per second (median) |')
  console.log('|----------------------------------------|---------------------|')
  for (const [name, value] of medians)
    console.log(`| ${name.padEnd(38)} | ${value.toFixed(0).padStart(19)} |`)
  return medians
}

async function main() {
  let serverUrl = process.env.DATABASE_URL
  let embedded: { url: string; stop(): Promise<void> } | undefined
  if (!serverUrl) {
    const { startEmbeddedPostgres } = await import('@groundwork/core/embedded')
    embedded = await startEmbeddedPostgres()
    serverUrl = embedded.url
  }
  const name = `gw_bench_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  await admin.query(`create database ${quoteIdent(name)}`)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  const db = createDatabase({ connectionString: url.toString(), max: 5 })
  try {
    const mail = createMail({ db, transport: outboxTransport(), from: 'App <no-reply@example.com>' })
    // graphile-worker's schema is needed for the send part; the jobs set installs it.
    const { migrations: jobsMigrations } = await import('@groundwork/jobs')
    await migrate(db, [coreMigrations, jobsMigrations, mail.migrations])
    await mail.api.templates.upsert({ key: 'bench_custom', ...CUSTOM })
    console.log(`bench: ${ROUNDS} rounds × ${RENDERS} renders, ${SENDS} sends; medians`)

    const builtin = await compare(
      'built-in template (confirm_signup), cached',
      [
        directCase('liquidjs direct (subject+html)', BUILTIN_TEMPLATES.confirm_signup, false),
        directCase('liquidjs direct + html-to-text', BUILTIN_TEMPLATES.confirm_signup, true),
        mailCase('mail.api.render', mail, 'confirm_signup'),
      ],
      RENDERS,
    )
    const custom = await compare(
      'stored template (bench_custom), cached',
      [
        directCase('liquidjs direct (subject+html)', CUSTOM, false),
        directCase('liquidjs direct + html-to-text', CUSTOM, true),
        mailCase('mail.api.render', mail, 'bench_custom'),
      ],
      RENDERS,
    )

    const payload = await mail.api.send({
      template: 'confirm_signup',
      to: 'bench@example.com',
      variables: VARIABLES,
    })
    const raw = JSON.stringify(payload.message)
    const sends = await compare(
      'enqueue (one transaction each)',
      [
        {
          name: 'raw graphile_worker.add_job',
          run: () =>
            db.query('select graphile_worker.add_job($1, $2::json, max_attempts => 10)', ['mail:send', raw]),
        },
        {
          name: 'mail.api.send (validate+render+add_job)',
          run: () =>
            mail.api.send({ template: 'confirm_signup', to: 'bench@example.com', variables: VARIABLES }),
        },
      ],
      SENDS,
    )

    const ratio = (m: Map<string, number>, a: string, b: string) =>
      ((m.get(a) ?? 0) / (m.get(b) ?? 1)).toFixed(3)
    console.log('\nratios (mail / baseline):')
    console.log(
      `  built-in: vs same work ${ratio(builtin, 'mail.api.render', 'liquidjs direct + html-to-text')}, vs bare liquidjs ${ratio(builtin, 'mail.api.render', 'liquidjs direct (subject+html)')}`,
    )
    console.log(
      `  stored:   vs same work ${ratio(custom, 'mail.api.render', 'liquidjs direct + html-to-text')}, vs bare liquidjs ${ratio(custom, 'mail.api.render', 'liquidjs direct (subject+html)')}`,
    )
    console.log(
      `  send:     vs raw add_job ${ratio(sends, 'mail.api.send (validate+render+add_job)', 'raw graphile_worker.add_job')}`,
    )
    await mail.close()
  } finally {
    await db.close()
    await admin.query(`drop database if exists ${quoteIdent(name)} with (force)`)
    await admin.end()
    await embedded?.stop()
  }
}

await main()
