import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { apnsProvider } from './providers/apns'
import { fcmProvider } from './providers/fcm'

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString()
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString()
const account = {
  type: 'service_account' as const,
  project_id: 'demo',
  private_key: rsa,
  private_key_id: 'abc',
  client_email: 'push@demo.iam.gserviceaccount.com',
  token_uri: 'https://oauth2.googleapis.com/token',
}

describe('fcmProvider credentials, validated at creation', () => {
  it('accepts the key file as JSON text or as an object, with escaped newlines too', async () => {
    const fromText = fcmProvider({ credentials: JSON.stringify(account) })
    expect(fromText.projectId).toBe('demo')
    await fromText.close?.()
    const escaped = fcmProvider({
      credentials: { ...account, private_key: rsa.replaceAll('\n', '\\n') },
      projectId: 'other',
    })
    expect(escaped.projectId).toBe('other')
    await escaped.close?.()
  })

  it('names the field that is wrong', () => {
    const cases: [unknown, RegExp][] = [
      ['{not json', /`fcmProvider\.credentials`.*service-account JSON/],
      [{ ...account, type: 'authorized_user' }, /`fcmProvider\.credentials\.type`/],
      [{ ...account, private_key: 'nope' }, /`fcmProvider\.credentials\.private_key`.*RSA private key/],
      [{ ...account, private_key: ec }, /`fcmProvider\.credentials\.private_key`/],
      [{ ...account, client_email: 'x' }, /`fcmProvider\.credentials\.client_email`/],
      [{ ...account, project_id: undefined }, /`fcmProvider\.credentials\.project_id`/],
    ]
    for (const [credentials, message] of cases) {
      expect(() => fcmProvider({ credentials: credentials as never })).toThrow(message)
    }
    expect(() => fcmProvider({ credentials: account as never, url: 'ftp://x' })).toThrow(/`fcmProvider\.url`/)
  })

  it('never echoes the private key in its errors', () => {
    try {
      fcmProvider({ credentials: { ...account, private_key: `${rsa}garbage` } as never })
    } catch (error) {
      expect((error as Error).message).not.toContain('PRIVATE KEY')
    }
  })
})

describe('apnsProvider options, validated at creation', () => {
  const options = { key: ec, keyId: 'ABC123DEFG', teamId: 'DEF123GHIJ', topic: 'com.example.app' }

  it('accepts a P-256 .p8 key', async () => {
    const provider = apnsProvider(options)
    expect(provider.handles).toEqual(['apns'])
    await provider.close?.()
  })

  it('names the field that is wrong', () => {
    expect(() => apnsProvider({ ...options, key: rsa })).toThrow(/`apnsProvider\.key`.*P-256/)
    expect(() => apnsProvider({ ...options, keyId: 'short' })).toThrow(/`apnsProvider\.keyId`/)
    expect(() => apnsProvider({ ...options, teamId: 'lowercase12' })).toThrow(/`apnsProvider\.teamId`/)
    expect(() => apnsProvider({ ...options, hosts: { production: 'x:8443' } })).toThrow(
      /`apnsProvider\.hosts\.production`/,
    )
  })
})
