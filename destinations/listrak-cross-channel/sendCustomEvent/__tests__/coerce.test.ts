import { coerceDataFields, coerceValue } from '../coerce'
import type { AttributeType } from '../contract'

const accepts: [AttributeType, unknown, string][] = [
  ['String', 'hello', 'hello'],
  ['String', 42, '42'],
  ['String', true, 'true'],
  ['String', { a: [1, 2] }, '{"a":[1,2]}'],
  ['Int', 42, '42'],
  ['Int', -7, '-7'],
  ['Int', ' 0042 ', '42'],
  ['Int', '+12', '12'],
  ['Double', 19.9, '19.9'],
  ['Double', '19.90', '19.9'],
  ['Double', '.5', '0.5'],
  ['Double', '1e3', '1000'],
  ['Double', 3, '3'],
  ['Date', '2024-03-01', '2024-03-01T00:00:00.000Z'],
  ['Date', '2024-03-01T10:20:30Z', '2024-03-01T10:20:30.000Z'],
  ['Date', '2024-03-01T10:20:30.123456Z', '2024-03-01T10:20:30.123Z'],
  ['Date', '2024-03-01T10:20:30+02:00', '2024-03-01T08:20:30.000Z'],
  ['Date', '2024-03-01T10:20:30-0530', '2024-03-01T15:50:30.000Z'],
  ['Date', '2024-03-01T10:20', '2024-03-01T10:20:00.000Z'],
  ['Date', 1700000000, '2023-11-14T22:13:20.000Z'],
  ['Date', 1700000000123, '2023-11-14T22:13:20.123Z'],
  ['Date', '1700000000', '2023-11-14T22:13:20.000Z'],
  ['Date', '2024-02-29T23:59:59.999Z', '2024-02-29T23:59:59.999Z'],
  ['Date', '2000-02-29', '2000-02-29T00:00:00.000Z'],
  ['Date', '0050-06-01T00:00:00.000Z', '0050-06-01T00:00:00.000Z'],
  ['Date', '0050-06-01', '0050-06-01T00:00:00.000Z'],
  ['Date', '20250102', '2025-01-02T00:00:00.000Z'],
  ['Date', 20240229, '2024-02-29T00:00:00.000Z'],
  ['Date', '100000000', '1973-03-03T09:46:40.000Z']
]

const refuses: [AttributeType, unknown, RegExp][] = [
  ['Int', 42.5, /not an integer/],
  ['Int', '42.5', /not an integer/],
  ['Int', '42.0', /not an integer/],
  ['Int', true, /not an integer/],
  ['Int', 2 ** 60, /beyond the range/],
  ['Int', '123456789012345678901', /beyond the range/],
  ['Int', '', /not an integer/],
  ['Double', 'twelve', /not a finite number/],
  ['Double', Infinity, /not a finite number/],
  ['Double', '1e999', /not a finite number/],
  ['Double', '', /not a finite number/],
  ['Double', [1], /not a finite number/],
  ['Date', 'last tuesday', /not an ISO 8601 date/],
  ['Date', '2024-02-30', /not a valid calendar date/],
  ['Date', '2024-13-01', /not a valid/],
  ['Date', '2024-03-01T25:00:00Z', /not a valid/],
  ['Date', '2023-02-29T00:00:00.000Z', /not a valid calendar date/],
  ['Date', '1900-02-29', /not a valid calendar date/],
  ['Date', '2024-03-01T24:00:00.000Z', /not a valid calendar date/],
  ['Date', '2024-04-31T00:00:00.000Z', /not a valid calendar date/],
  ['Date', NaN, /not a finite number/],
  ['Date', {}, /not an ISO 8601 date/],
  ['Date', '20250230', /read as YYYYMMDD, and this is not a valid calendar date/],
  ['Date', 20251301, /read as YYYYMMDD/],
  ['Date', '0', /an epoch timestamp before 1973/],
  ['Date', '-1', /an epoch timestamp before 1973/],
  ['Date', -1700000000, /an epoch timestamp before 1973/],
  ['Date', '1234567', /an epoch timestamp before 1973/]
]

describe('coerceValue', () => {
  it.each(accepts)('%s takes %p as %p', (type: AttributeType, value: unknown, expected: string) => {
    expect(coerceValue(type, value)).toEqual({ ok: true, value: expected })
  })

  it.each(refuses)('%s refuses %p', (type: AttributeType, value: unknown, reason: RegExp) => {
    const result = coerceValue(type, value)
    expect(result.ok).toBe(false)
    expect(!result.ok && result.reason).toMatch(reason)
  })
})

describe('coerceDataFields', () => {
  const schema = { orderId: 'String', itemCount: 'Int', placedAt: 'Date' } as const

  it('keeps schema keys, drops unknown keys (naming them) and empty values', () => {
    expect(coerceDataFields({ orderId: 7, itemCount: '3', extra: 'x', placedAt: null }, schema)).toEqual({
      ok: true,
      dataFields: { orderId: '7', itemCount: '3' },
      ignored: ['extra']
    })
  })

  it('names the field, its type and the value', () => {
    expect(coerceDataFields({ itemCount: 42.5 }, schema)).toEqual({
      ok: false,
      message: 'dataFields.itemCount (Int) cannot take the value 42.5: not an integer.'
    })
  })

  it('keeps a schema key named __proto__ as data, without touching any prototype', () => {
    const input = JSON.parse('{"__proto__": "x", "orderId": "1"}') as Record<string, unknown>
    const result = coerceDataFields(input, JSON.parse('{"__proto__": "String", "orderId": "String"}') as typeof schema)
    expect(result.ok && Object.getPrototypeOf(result.dataFields)).toBe(Object.prototype)
    expect(result.ok && JSON.stringify(result.dataFields)).toBe('{"__proto__":"x","orderId":"1"}')
    expect(({} as Record<string, unknown>).x).toBeUndefined()
  })

  it('shortens a long value in the message', () => {
    const result = coerceDataFields({ itemCount: 'y'.repeat(500) }, schema)
    expect(!result.ok && result.message.length).toBeLessThan(200)
  })
})
