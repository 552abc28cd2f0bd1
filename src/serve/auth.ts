import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

/** Who may post events: keys (HTTP Basic with the key as user name, or a bearer token), or a signing secret. */
export interface RelayCredentials {
  /** Several while keys are rotated. */
  keys: string[]
  /** Segment's Webhooks (Actions) shared secret: `X-Signature` is the hex HMAC-SHA1 of the body. */
  signingSecret?: string
}

/** Compares in constant time, whatever the lengths: both sides are hashed to the same length first. */
function same(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest()
  return timingSafeEqual(digest(given), digest(expected))
}

/** The key a request presents: HTTP Basic's user name (Segment's write key, password empty) or a bearer token. */
function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const [scheme, value] = (headers.authorization ?? '').split(' ', 2)
  if (!value) return undefined
  if (scheme.toLowerCase() === 'bearer') return value.trim()
  if (scheme.toLowerCase() !== 'basic') return undefined
  const decoded = Buffer.from(value, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon === -1 ? decoded : decoded.slice(0, colon)
}

export const hasCredentials = (credentials: RelayCredentials): boolean =>
  credentials.keys.length > 0 || credentials.signingSecret !== undefined

/** Whether the request presents one of the keys. Every key is compared, so the time taken tells nothing. */
export function keyAccepted(headers: IncomingHttpHeaders, credentials: RelayCredentials): boolean {
  const key = presentedKey(headers)
  if (key === undefined) return false
  return credentials.keys.reduce((found, expected) => same(key, expected) || found, false)
}

/**
 * Whether `X-Signature` is the HMAC-SHA1 of the body, or, for a JSON array, of `JSON.stringify` of its first
 * element: in batch mode Segment's Webhooks (Actions) signs the first event only.
 */
export function signatureAccepted(headers: IncomingHttpHeaders, body: Buffer, parsed: () => unknown, secret: string) {
  const signature = headers['x-signature']
  if (typeof signature !== 'string') return false
  const sign = (data: Buffer | string) => createHmac('sha1', secret).update(data).digest('hex')
  if (same(signature.toLowerCase(), sign(body))) return true
  const json = parsed()
  return Array.isArray(json) && json.length > 0 && same(signature.toLowerCase(), sign(JSON.stringify(json[0])))
}
