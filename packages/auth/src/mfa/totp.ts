import { Secret, TOTP } from 'otpauth'
import QRCode from 'qrcode'

/**
 * TOTP (RFC 6238) through `otpauth`: a maintained, dependency-light implementation of HOTP/TOTP
 * and the `otpauth://` Key URI format that every authenticator app reads, with Node's crypto
 * for the HMAC. 30-second steps, 6 digits, SHA-1 — what GoTrue enrolls and every app supports.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6238
 * @see https://github.com/google/google-authenticator/wiki/Key-Uri-Format
 */
const PERIOD = 30
const DIGITS = 6

/** A new factor's secret (160 random bits, base32) and its `otpauth://` URI. */
export function newTotpSecret(issuer: string, label: string): { secret: string; uri: string } {
  const secret = new Secret({ size: 20 })
  const totp = new TOTP({ issuer, label, secret, period: PERIOD, digits: DIGITS, algorithm: 'SHA1' })
  return { secret: secret.base32, uri: totp.toString() }
}

/**
 * The time step a code belongs to when it matches the current step or one either side (RFC 6238
 * §5.2's allowance for clock drift and typing time), else null. The caller refuses a step at or
 * before the last accepted one (§5.2: "the verifier MUST NOT accept the second attempt of the same OTP").
 */
export function totpStep(secret: string, code: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null
  const totp = new TOTP({
    secret: Secret.fromBase32(secret),
    period: PERIOD,
    digits: DIGITS,
    algorithm: 'SHA1',
  })
  const delta = totp.validate({ token: code, timestamp: now, window: 1 })
  if (delta === null) return null
  return totp.counter({ timestamp: now }) + delta
}

/** The current code of a secret (for tests and the bench). */
export function totpCode(secret: string, now = Date.now()): string {
  return new TOTP({
    secret: Secret.fromBase32(secret),
    period: PERIOD,
    digits: DIGITS,
    algorithm: 'SHA1',
  }).generate({
    timestamp: now,
  })
}

/**
 * The QR code of `uri` as an SVG document, as GoTrue answers `totp.qr_code` (auth-js turns it
 * into a `data:image/svg+xml;utf-8,` URL). `qrcode` is the long-standing reference encoder.
 */
export function qrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 })
}
