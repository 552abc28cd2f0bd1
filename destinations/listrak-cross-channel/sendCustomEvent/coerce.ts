import type { AttributeType } from './contract'

export type SchemaAttrs = Record<string, AttributeType>

/** `ignored`: the keys with a value that the schema does not have, left out of the event. */
export type CoercionResult =
  { ok: true; dataFields: Record<string, string>; ignored: string[] } | { ok: false; message: string }

type Coerced = { ok: true; value: string } | { ok: false; reason: string }

const INTEGER_PATTERN = /^[+-]?\d+$/
const DECIMAL_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/
// ISO 8601 calendar date, optionally with a time and an offset: 2024-03-01, 2024-03-01T12:30:00.5Z, ...+02:00
const ISO_DATE_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i
// The form Listrak gets dates in, and Segment sends timestamps in: such a value is sent as it is.
const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
// Epoch values below this many are seconds (it is the year 5138 in seconds), above it milliseconds.
const EPOCH_MILLISECONDS_FROM = 1e11
// Smaller epoch values (before March 1973: 0, -1, a YYYYMMDD read as seconds) are mistakes far more often than dates.
const EPOCH_SECONDS_FROM = 1e8
// Eight digits are a date as warehouse exports write it, YYYYMMDD, never epoch seconds (which would be 1970-1973).
const COMPACT_DATE_PATTERN = /^(\d{4})(\d{2})(\d{2})$/

const fail = (reason: string): Coerced => ({ ok: false, reason })
const done = (value: string): Coerced => ({ ok: true, value })

function coerceString(value: unknown): Coerced {
  if (typeof value === 'string') return done(value)
  if (typeof value === 'number' || typeof value === 'boolean') return done(String(value))
  try {
    const json = JSON.stringify(value) as string | undefined
    return json === undefined ? fail('not a value JSON can hold') : done(json)
  } catch {
    // Nested too deep for the stack, in practice: an export cannot hold anything else JSON refuses.
    return fail('too deeply nested to write as JSON')
  }
}

function coerceInt(value: unknown): Coerced {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return done(String(value))
    return fail(Number.isInteger(value) ? 'beyond the range of exact integers' : 'not an integer')
  }
  if (typeof value === 'string' && INTEGER_PATTERN.test(value.trim())) {
    const parsed = Number(value.trim())
    if (Number.isSafeInteger(parsed)) return done(String(parsed))
    return fail('beyond the range of exact integers')
  }
  return fail('not an integer')
}

function coerceDouble(value: unknown): Coerced {
  if (typeof value === 'number') return Number.isFinite(value) ? done(String(value)) : fail('not a finite number')
  if (typeof value === 'string' && DECIMAL_PATTERN.test(value.trim())) {
    const parsed = Number(value.trim())
    if (Number.isFinite(parsed)) return done(String(parsed))
  }
  return fail('not a finite number')
}

function fromEpoch(epoch: number): Coerced {
  if (epoch < EPOCH_SECONDS_FROM) return fail('an epoch timestamp before 1973 (below 10^8 seconds), likely a mistake')
  const milliseconds = Math.abs(epoch) < EPOCH_MILLISECONDS_FROM ? epoch * 1000 : epoch
  const date = new Date(milliseconds)
  return Number.isNaN(date.getTime()) ? fail('an epoch value out of range') : done(date.toISOString())
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** Whether the parts name a real moment: no 30 February, no hour 24. */
function isCalendarMoment(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number
): boolean {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]
  return month >= 1 && month <= 12 && day >= 1 && day <= days && hour < 24 && minute < 60 && second < 60
}

/** The number the `length` digits of `text` from `from` on write (the caller has checked they are digits). */
function digitsAt(text: string, from: number, length: number): number {
  let value = 0
  for (let i = from; i < from + length; i++) value = value * 10 + text.charCodeAt(i) - 48
  return value
}

function fromIsoString(text: string): Coerced {
  // Most dates are canonical: checked without a match array and its strings, read digit by digit.
  if (CANONICAL_UTC.test(text)) {
    const valid = isCalendarMoment(
      digitsAt(text, 0, 4),
      digitsAt(text, 5, 2),
      digitsAt(text, 8, 2),
      digitsAt(text, 11, 2),
      digitsAt(text, 14, 2),
      digitsAt(text, 17, 2)
    )
    return valid ? done(text) : fail('not a valid calendar date')
  }
  const match = ISO_DATE_PATTERN.exec(text)
  if (!match) return fail('not an ISO 8601 date or an epoch timestamp')
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', offset = 'Z'] = match
  // A date-time without an offset is read as UTC, as Segment's own timestamps are.
  const zone = offset.toUpperCase() === 'Z' ? 'Z' : `${offset.slice(0, 3)}:${offset.slice(-2)}`
  const date = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}${fraction.slice(0, 4)}${zone}`)
  if (Number.isNaN(date.getTime())) return fail('not a valid date')
  // Date rolls 2024-02-30 over into March; refuse it instead of changing the value.
  const valid = isCalendarMoment(Number(year), Number(month), Number(day), Number(hour), Number(minute), Number(second))
  return valid ? done(date.toISOString()) : fail('not a valid calendar date')
}

/** YYYYMMDD as the UTC midnight of that day. */
function fromCompactDate(text: string): Coerced | undefined {
  const match = COMPACT_DATE_PATTERN.exec(text)
  if (!match) return undefined
  const [, year, month, day] = match
  if (!isCalendarMoment(Number(year), Number(month), Number(day), 0, 0, 0))
    return fail('eight digits are read as YYYYMMDD, and this is not a valid calendar date')
  return done(`${year}-${month}-${day}T00:00:00.000Z`)
}

function coerceDate(value: unknown): Coerced {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return fail('not a finite number')
    return (Number.isInteger(value) && fromCompactDate(String(value))) || fromEpoch(value)
  }
  if (typeof value !== 'string') return fail('not an ISO 8601 date or an epoch timestamp')
  const text = value.trim()
  if (INTEGER_PATTERN.test(text)) return fromCompactDate(text) ?? fromEpoch(Number(text))
  return fromIsoString(text)
}

const coercers: Record<AttributeType, (value: unknown) => Coerced> = {
  String: coerceString,
  Int: coerceInt,
  Double: coerceDouble,
  Date: coerceDate
}

/** Coerces one value to a schema type, as the string Listrak's contract asks for. */
export function coerceValue(type: AttributeType, value: unknown): Coerced {
  return coercers[type](value)
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

/**
 * Turns mapped dataFields into the strings Listrak's contract asks for, typed by the event's
 * schema. Null and undefined values are left out (Listrak accepts gaps); keys the schema does not
 * have are left out too, since Listrak would discard them. The first value that cannot be
 * coerced fails the event with a message naming the field, its type and the value.
 */
export function coerceDataFields(dataFields: Record<string, unknown> | undefined, schema: SchemaAttrs): CoercionResult {
  const coerced: Record<string, string> = {}
  const ignored: string[] = []
  if (!dataFields) return { ok: true, dataFields: coerced, ignored }
  for (const key of Object.keys(dataFields)) {
    const value = dataFields[key]
    if (value === null || value === undefined) continue
    // Not Object.hasOwn: it is ES2022, and Segment's monorepo compiles with lib es2020.
    if (!Object.prototype.hasOwnProperty.call(schema, key)) {
      ignored.push(key)
      continue
    }
    const type = schema[key]
    const result = coerceValue(type, value)
    if (!result.ok) {
      return {
        ok: false,
        message: `dataFields.${key} (${type}) cannot take the value ${describe(value)}: ${result.reason}.`
      }
    }
    // A key named __proto__ must stay data: plain assignment would set a prototype instead.
    if (key === '__proto__')
      Object.defineProperty(coerced, key, { value: result.value, enumerable: true, writable: true, configurable: true })
    else coerced[key] = result.value
  }
  return { ok: true, dataFields: coerced, ignored }
}
