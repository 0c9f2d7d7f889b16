import type { CreatedApiKey, User } from '@groundwork/auth'
import type { ScriptServices } from './services'

/**
 * Creates a confirmed user (as `supabase.auth.admin.createUser({ email_confirm: true })` does), an
 * app they own and an app key acting as them — narrowed to reading and writing the tables listed.
 * The key's plaintext is in the result this once: only its hash is stored.
 */
export async function createUserWithKey(
  services: ScriptServices,
  input: { email: string; password: string; tables: string[] },
): Promise<{ user: User; key: CreatedApiKey }> {
  const user = await services.auth.api.admin.createUser({
    email: input.email,
    password: input.password,
    email_confirm: true,
  })
  const app = await services.auth.api.apps.create({ name: `${input.email} scripts`, owner_id: user.id })
  const key = await services.auth.api.keys.create({
    name: 'nightly import',
    type: 'app',
    app_id: app.id,
    scopes: ['read', 'write'],
    allowed_tables: input.tables,
  })
  return { user, key }
}

/** A welcome mail from a template stored in the database (editable later without a deploy). */
export async function sendWelcomeMail(services: ScriptServices, user: User): Promise<string> {
  await services.mail.api.templates.upsert({
    key: 'welcome',
    subject: 'Welcome, {{ email }}',
    html: '<p>Welcome to the app, {{ email }}!</p>',
  })
  const receipt = await services.mail.api.send({
    template: 'welcome',
    to: user.email ?? '',
    variables: { email: user.email },
  })
  return receipt.jobId
}

/**
 * Registers a device for the user (as their app would, with their claims: RLS applies) and sends
 * them a notification; delivery runs as jobs.
 */
export async function notifyUser(services: ScriptServices, user: User, deviceToken: string): Promise<string> {
  await services.push.api.devices.register(
    { claims: { sub: user.id, role: 'authenticated' } },
    { token: deviceToken, provider: 'fcm', platform: 'android' },
  )
  const { id } = await services.push.api.send({
    to: { userIds: [user.id] },
    notification: { title: 'Hello', body: 'Your account is ready' },
  })
  return id
}
