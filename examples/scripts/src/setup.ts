import { createDatabase } from '@groundwork/core'
import { createScriptServices } from './services'
import { createUserWithKey, notifyUser, sendWelcomeMail } from './tasks'

/**
 * `pnpm --filter @groundwork/example-scripts setup -- <email>`: migrates, creates a confirmed user
 * with an API key, mails them and pushes to their (dev) device, then runs the job runner until
 * both are delivered. Needs DATABASE_URL and JWT_SECRET (the server's, so the key and tokens work
 * there).
 */
async function main() {
  const email = process.argv[2] ?? `someone+${Date.now()}@example.com`
  const { DATABASE_URL, JWT_SECRET } = process.env
  if (!DATABASE_URL || !JWT_SECRET) throw new Error('Set DATABASE_URL and JWT_SECRET')
  const db = createDatabase({ connectionString: DATABASE_URL })
  const services = createScriptServices({ db, jwtSecret: JWT_SECRET })
  try {
    console.log(`migrations applied: ${await services.migrate()}`)
    const { user, key } = await createUserWithKey(services, {
      email,
      password: crypto.randomUUID(),
      tables: ['public.todos'],
    })
    console.log(`user ${user.id} <${user.email}>\napi key (shown once): ${key.key}`)
    await sendWelcomeMail(services, user)
    const notification = await notifyUser(services, user, `example-device-${user.id}`)
    await services.jobs.start()
    for (let i = 0; i < 100; i++) {
      const status = await services.push.api.notification(notification)
      const mails = await services.mail.api.outbox.list({ to: email })
      if (status?.fannedOutAt && mails.length > 0) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    console.log('mail and push delivered (see mail.outbox and push.dev_outbox)')
  } finally {
    await services.close()
    await db.close()
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
