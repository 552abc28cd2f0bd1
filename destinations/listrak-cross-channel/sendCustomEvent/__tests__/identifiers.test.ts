import { normalizeIdentifiers } from '../identifiers'
import type { IdentifierInput } from '../identifiers'

describe('normalizeIdentifiers', () => {
  it('trims and lower-cases email, reduces phone to digits, trims the mobile contact UID', () => {
    expect(
      normalizeIdentifiers({
        emailAddress: '  Ada@Example.COM ',
        phoneNumber: '+1 (555) 123-4567',
        mobileContactUid: ' abc '
      })
    ).toEqual({
      ok: true,
      identifiers: [
        { identifierType: 'EmailAddress', identifierValue: 'ada@example.com' },
        { identifierType: 'PhoneNumber', identifierValue: '15551234567' },
        { identifierType: 'MobileContactUid', identifierValue: 'abc' }
      ],
      warnings: []
    })
  })

  it('treats blank values as absent', () => {
    expect(normalizeIdentifiers({ emailAddress: '   ', phoneNumber: '5551234567' })).toEqual({
      ok: true,
      identifiers: [{ identifierType: 'PhoneNumber', identifierValue: '5551234567' }],
      warnings: []
    })
  })

  it('leaves a malformed identifier out with a warning when another one is usable', () => {
    expect(normalizeIdentifiers({ emailAddress: 'ada@example.com', phoneNumber: '12' })).toEqual({
      ok: true,
      identifiers: [{ identifierType: 'EmailAddress', identifierValue: 'ada@example.com' }],
      warnings: ['phoneNumber "12" is not a phone number: it has 2 digits, expected 7 to 15.']
    })
    expect(normalizeIdentifiers({ emailAddress: 'n/a', phoneNumber: '555-123-4567' })).toEqual({
      ok: true,
      identifiers: [{ identifierType: 'PhoneNumber', identifierValue: '5551234567' }],
      warnings: ['emailAddress "n/a" is not a valid email address.']
    })
  })

  it('fails an event with no identifier, saying which fields to map', () => {
    const result = normalizeIdentifiers({ emailAddress: '' })
    expect(result).toEqual({
      ok: false,
      message: expect.stringMatching(/no usable identifier.*emailAddress, phoneNumber and mobileContactUid/)
    })
  })

  it.each([
    [{ emailAddress: 'not-an-email' }, /emailAddress "not-an-email" is not a valid email address/],
    [{ emailAddress: 'a b@c.com' }, /not a valid email address/],
    [{ phoneNumber: 'call me' }, /phoneNumber "call me" is not a phone number: it has 0 digits/],
    [{ phoneNumber: '1234567890123456' }, /16 digits/]
  ])('fails an event whose only identifier is malformed, saying why: %p', (input: IdentifierInput, message: RegExp) => {
    const result = normalizeIdentifiers(input)
    expect(result.ok).toBe(false)
    expect(!result.ok && result.message).toMatch(/^The event has no usable identifier: /)
    expect(!result.ok && result.message).toMatch(message)
  })
})
