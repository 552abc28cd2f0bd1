import type { SegmentEvent } from '@segment/actions-core'
import { normalizeName, suggestMapping } from '../../src/tools/suggest-mapping'

const track = (event: string, properties: Record<string, unknown>, traits: Record<string, unknown> = {}) =>
  ({ type: 'track', event, properties, context: { traits } }) as unknown as SegmentEvent
const identify = (traits: Record<string, unknown>, contextTraits?: Record<string, unknown>) =>
  ({
    type: 'identify',
    traits,
    ...(contextTraits ? { context: { traits: contextTraits } } : {})
  }) as unknown as SegmentEvent
const page = (name: string, properties: Record<string, unknown>, traits: Record<string, unknown> = {}) =>
  ({ type: 'page', name, properties, context: { traits } }) as unknown as SegmentEvent

function suggest(...args: Parameters<typeof suggestMapping>) {
  const suggestion = suggestMapping(...args)
  if (!suggestion) throw new Error('no suggestion')
  return suggestion
}

describe('suggestMapping', () => {
  it('matches names across camelCase, snake_case, kebab-case and case', () => {
    expect(['orderTotal', 'order_total', 'Order-Total', 'ORDER TOTAL'].map(normalizeName)).toEqual(
      Array(4).fill('ordertotal')
    )
    const suggestion = suggest({ orderTotal: 'Double', itemCount: 'Int', signupDate: 'Date', firstName: 'String' }, [
      track('Order Completed', { order_total: 12.5, ITEM_COUNT: 2, 'Signup-Date': '2024-01-02' }, { FirstName: 'Ada' })
    ])
    expect(suggestion.dataFields).toEqual({
      orderTotal: { '@path': '$.properties.order_total' },
      itemCount: { '@path': '$.properties.ITEM_COUNT' },
      signupDate: { '@path': '$.properties.Signup-Date' },
      firstName: { '@path': '$.context.traits.FirstName' }
    })
    expect(suggestion.unmatched).toEqual([])
  })

  it('prefers the path whose values fit the type', () => {
    const suggestion = suggest({ total: 'Double' }, [
      track('Order Completed', { total: 'N/A' }, { total: 10 }),
      track('Order Completed', { total: 'unknown' }, { total: 11.5 })
    ])
    expect(suggestion.dataFields.total).toEqual({ '@path': '$.context.traits.total' })
    expect(suggestion.matches[0]).toMatchObject({ fits: 2, present: 2, name: 'exact' })
  })

  it('prefers an exact name to a partial one, and lists what it cannot match', () => {
    const suggestion = suggest({ orderTotal: 'Double', giftWrap: 'String' }, [
      track('Order Completed', { total: 5, order_total: 6 })
    ])
    expect(suggestion.dataFields).toEqual({ orderTotal: { '@path': '$.properties.order_total' } })
    expect(suggestion.unmatched).toEqual([{ attribute: 'giftWrap', type: 'String' }])
  })

  it('falls back to a partial name, and takes no path whose values never fit', () => {
    const suggestion = suggest({ orderTotal: 'Double', itemCount: 'Int' }, [
      track('Order Completed', { total: 5, item_count: 2.5 })
    ])
    expect(suggestion.matches).toEqual([
      expect.objectContaining({ attribute: 'orderTotal', path: '$.properties.total', name: 'partial' })
    ])
    expect(suggestion.unmatched).toEqual([{ attribute: 'itemCount', type: 'Int' }])
  })

  it('makes the suggestion from the track event that matches the most fields', () => {
    const suggestion = suggest({ productId: 'String', price: 'Double' }, [
      track('Order Completed', { order_id: 'x' }),
      track('Product Viewed', { product_id: 'p1', price: 3 }),
      { type: 'page', properties: { product_id: 'p2' } } as unknown as SegmentEvent
    ])
    expect(suggestion.eventName).toBe('Product Viewed')
    expect(Object.keys(suggestion.dataFields)).toEqual(['productId', 'price'])
  })

  it('suggests from identify calls for a schema of traits, with their own trigger and paths', () => {
    const schema = { firstName: 'String', lastName: 'String', signupDate: 'Date' } as const
    const traits = (n: number) => ({ email: `p${n}@example.com`, firstName: `F${n}`, lastName: `L${n}` })
    const suggestion = suggest(schema, [
      track('Order Completed', { order_id: 'x', name: 'Sweater' }, traits(1)),
      track('Product Viewed', { name: 'Jacket' }, traits(2)),
      identify(traits(3), traits(3)),
      identify({ ...traits(4), phone: '+1 555 0100' }),
      page('Home', { path: '/' }, traits(5))
    ])
    expect(suggestion).toMatchObject({ type: 'identify', subscribe: 'type = "identify"' })
    expect(suggestion.eventName).toBeUndefined()
    expect(suggestion.dataFields).toEqual({
      firstName: { '@path': '$.traits.firstName' },
      lastName: { '@path': '$.traits.lastName' }
    })
    expect(suggestion.identifiers).toEqual({
      emailAddress: { '@path': '$.traits.email' },
      phoneNumber: { '@path': '$.traits.phone' }
    })
    expect(suggestion.unmatched).toEqual([{ attribute: 'signupDate', type: 'Date' }])
  })

  it('takes identifiers from where the sample has them, with a fallback when some events have them elsewhere', () => {
    const withContext = suggest({ orderId: 'String' }, [
      track('Order Completed', { order_id: 'a' }, { email: 'a@example.com' }),
      track('Order Completed', { order_id: 'b', email: 'b@example.com' }),
      track('Order Completed', { order_id: 'c' }, { email: 'c@example.com' })
    ])
    const path = { '@path': '$.context.traits.email' }
    expect(withContext.identifiers).toEqual({
      emailAddress: { '@if': { exists: path, then: path, else: { '@path': '$.properties.email' } } }
    })
    expect(withContext.subscribe).toBe('type = "track" and event = "Order Completed"')
    expect(
      suggest({ firstName: 'String' }, [identify({ firstName: 'Ada' }, { email: 'ada@example.com' })]).identifiers
    ).toEqual({ emailAddress: { '@path': '$.context.traits.email' } })
  })

  it('suggests from page calls, their properties and their name', () => {
    const suggestion = suggest({ pageName: 'String', url: 'String' }, [
      track('Order Completed', { order_id: 'x' }),
      page('Pricing', { url: 'https://shop.example.com/pricing' }),
      page('Home', { url: 'https://shop.example.com/' })
    ])
    expect(suggestion).toMatchObject({ type: 'page', subscribe: 'type = "page"' })
    expect(suggestion.dataFields).toEqual({ pageName: { '@path': '$.name' }, url: { '@path': '$.properties.url' } })
  })

  it('has no suggestion for a sample without track, identify or page calls', () => {
    expect(
      suggestMapping({ a: 'String' }, [{ type: 'screen', name: 'Home' } as unknown as SegmentEvent])
    ).toBeUndefined()
  })
})
