import type { JSONObject } from '@segment/actions-core'
import { ConfigError, DestinationInstance } from '../../src/instance'
import { definitionFor, ORDER_EVENT, orderMapping } from '../helpers'

const endpoints = { apiUrl: 'http://127.0.0.1:9/crosschannel/v1', tokenUrl: 'http://127.0.0.1:9/OAuth2/Token' }
const instanceOf = (subscriptions: { name: string; subscribe: string; mapping: JSONObject }[]) =>
  new DestinationInstance({
    source: { definition: definitionFor(endpoints) },
    settings: { client_id: 'id', client_secret: 'secret' },
    subscriptions: subscriptions.map((subscription, index) => ({ ...subscription, key: `subscriptions[${index}]` })),
    batch: { size: 100, bytes: 1_000_000 }
  })

describe('a subscription that repeats another', () => {
  it('is refused: the same trigger to the same event configuration would send every event twice', () => {
    const orders = { name: 'Orders', subscribe: 'type = "track" and event = "Order Completed"', mapping: orderMapping }
    const twin = { ...orders, name: 'Order Placed', subscribe: 'type = "track"  and event = "Order Completed"' }
    const make = () => instanceOf([orders, twin])
    expect(make).toThrow(ConfigError)
    expect(make).toThrow(
      `subscriptions[1]: repeats subscriptions[0] ("Orders"), the same trigger and the same eventUID "${ORDER_EVENT.eventUID}"`
    )
  })

  it('is not one with another trigger or another event configuration', () => {
    const orders = { name: 'Orders', subscribe: 'type = "track" and event = "Order Completed"', mapping: orderMapping }
    const refunds = { ...orders, name: 'Refunds', subscribe: 'type = "track" and event = "Order Refunded"' }
    const other = { ...orders, name: 'Other', mapping: { ...orderMapping, eventUID: 'another-event' } }
    expect(instanceOf([orders, refunds, other]).routes).toHaveLength(3)
  })
})

describe('a trigger the parser reads otherwise than it is written', () => {
  const orders = (subscribe: string) => [{ name: 'Orders', subscribe, mapping: orderMapping }]
  it.each([
    ['event = Order Completed', 'event = \\"Order\\"'],
    ['type = ', 'type = \\"eos\\"'],
    ['not properties.coupon exists', 'properties.coupon != null']
  ])('is refused, saying how it was read: %s', (subscribe, read) => {
    expect(() => instanceOf(orders(subscribe))).toThrow(
      `subscriptions[0].subscribe: Segment's parser reads ${JSON.stringify(subscribe)} as "${read}"`
    )
  })

  it.each([
    "type = 'track' and event = 'Order Completed'",
    'type = "track" AND (event = "A" or event = "B")',
    'properties.email exists and properties.total >= 10.5',
    'contains(event, "Order") and type != "page"'
  ])('is not one written another way: %s', (subscribe) => {
    expect(instanceOf(orders(subscribe)).routes).toHaveLength(1)
  })
})
