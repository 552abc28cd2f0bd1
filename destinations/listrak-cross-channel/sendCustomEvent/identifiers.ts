import type { Identifier } from './contract'

export interface IdentifierInput {
  emailAddress?: string
  phoneNumber?: string
  mobileContactUid?: string
}

/**
 * The identifiers an event is sent with, and a warning for each mapped value that was left out
 * because it is malformed; or, when no identifier is usable, why the event cannot be sent.
 */
export type IdentifiersResult =
  { ok: true; identifiers: Identifier[]; warnings: string[] } | { ok: false; message: string }

// Deliberately loose: one @, no spaces, a dot in the domain. Listrak has the final word.
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
// E.164 allows at most 15 digits; fewer than 7 cannot be a callable number anywhere.
const MIN_PHONE_DIGITS = 7
const MAX_PHONE_DIGITS = 15

const blank = (value: string | undefined): boolean => value === undefined || value.trim() === ''

/**
 * Normalises the mapped identifiers: email trimmed and lower-cased, phone reduced to its digits.
 * A malformed value is left out with a warning, so that a good email still reaches Listrak when
 * the phone next to it is garbage; an event needs at least one usable identifier.
 */
export function normalizeIdentifiers(input: IdentifierInput): IdentifiersResult {
  const identifiers: Identifier[] = []
  const warnings: string[] = []

  if (!blank(input.emailAddress)) {
    const email = String(input.emailAddress).trim().toLowerCase()
    if (EMAIL_PATTERN.test(email)) identifiers.push({ identifierType: 'EmailAddress', identifierValue: email })
    else warnings.push(`emailAddress ${JSON.stringify(input.emailAddress)} is not a valid email address.`)
  }

  if (!blank(input.phoneNumber)) {
    const digits = String(input.phoneNumber).replace(/\D/g, '')
    if (digits.length >= MIN_PHONE_DIGITS && digits.length <= MAX_PHONE_DIGITS) {
      identifiers.push({ identifierType: 'PhoneNumber', identifierValue: digits })
    } else {
      warnings.push(
        `phoneNumber ${JSON.stringify(input.phoneNumber)} is not a phone number: it has ${digits.length} digits, expected ${MIN_PHONE_DIGITS} to ${MAX_PHONE_DIGITS}.`
      )
    }
  }

  if (!blank(input.mobileContactUid)) {
    identifiers.push({ identifierType: 'MobileContactUid', identifierValue: String(input.mobileContactUid).trim() })
  }

  if (identifiers.length > 0) return { ok: true, identifiers, warnings }
  if (warnings.length > 0) return { ok: false, message: `The event has no usable identifier: ${warnings.join(' ')}` }
  return {
    ok: false,
    message:
      'The event has no usable identifier: emailAddress, phoneNumber and mobileContactUid are all missing or empty. Map at least one of them.'
  }
}
