import type { SegmentEvent } from '@segment/actions-core'
import { normalizeName, suggestMapping } from '../../src/tools/suggest-mapping'

const track = (event: string, properties: Record<string, unknown>, traits: Record<string, unknown> = {}) =>
  ({ type: 'track', event, properties, context: { traits } }) as unknown as SegmentEvent

describe('suggestMapping', () => {
  it('matches names across camelCase, snake_case, kebab-case and case', () => {
    expect(['orderTotal', 'order_total', 'Order-Total', 'ORDER TOTAL'].map(normalizeName)).toEqual(
      Array(4).fill('ordertotal')
    )
    const suggestion = suggestMapping(
      { orderTotal: 'Double', itemCount: 'Int', signupDate: 'Date', firstName: 'String' },
      [
        track(
          'Order Completed',
          { order_total: 12.5, ITEM_COUNT: 2, 'Signup-Date': '2024-01-02' },
          { FirstName: 'Ada' }
        )
      ]
    )
    expect(suggestion.dataFields).toEqual({
      orderTotal: { '@path': '$.properties.order_total' },
      itemCount: { '@path': '$.properties.ITEM_COUNT' },
      signupDate: { '@path': '$.properties.Signup-Date' },
      firstName: { '@path': '$.context.traits.FirstName' }
    })
    expect(suggestion.unmatched).toEqual([])
  })

  it('prefers the path whose values fit the type', () => {
    const suggestion = suggestMapping({ total: 'Double' }, [
      track('Order Completed', { total: 'N/A' }, { total: 10 }),
      track('Order Completed', { total: 'unknown' }, { total: 11.5 })
    ])
    expect(suggestion.dataFields.total).toEqual({ '@path': '$.context.traits.total' })
    expect(suggestion.matches[0]).toMatchObject({ fits: 2, present: 2, name: 'exact' })
  })

  it('prefers an exact name to a partial one, and lists what it cannot match', () => {
    const suggestion = suggestMapping({ orderTotal: 'Double', giftWrap: 'String' }, [
      track('Order Completed', { total: 5, order_total: 6 })
    ])
    expect(suggestion.dataFields).toEqual({ orderTotal: { '@path': '$.properties.order_total' } })
    expect(suggestion.unmatched).toEqual([{ attribute: 'giftWrap', type: 'String' }])
  })

  it('falls back to a partial name, and takes no path whose values never fit', () => {
    const suggestion = suggestMapping({ orderTotal: 'Double', itemCount: 'Int' }, [
      track('Order Completed', { total: 5, item_count: 2.5 })
    ])
    expect(suggestion.matches).toEqual([
      expect.objectContaining({ attribute: 'orderTotal', path: '$.properties.total', name: 'partial' })
    ])
    expect(suggestion.unmatched).toEqual([{ attribute: 'itemCount', type: 'Int' }])
  })

  it('makes the suggestion from the track event that matches the most fields', () => {
    const suggestion = suggestMapping({ productId: 'String', price: 'Double' }, [
      track('Order Completed', { order_id: 'x' }),
      track('Product Viewed', { product_id: 'p1', price: 3 }),
      { type: 'page', properties: { product_id: 'p2' } } as unknown as SegmentEvent
    ])
    expect(suggestion.eventName).toBe('Product Viewed')
    expect(Object.keys(suggestion.dataFields)).toEqual(['productId', 'price'])
  })
})
