import { routeOf, routingOf } from '../../src/instance/routes'

const route = (index: number, subscribe: string, mapping: Record<string, unknown> = {}, batchKeys: string[] = []) =>
  routeOf(index, `route ${index}`, { subscribe, partnerAction: 'send', mapping: mapping as never }, batchKeys)

describe('routingOf', () => {
  it('sets the bit of each route whose trigger takes the event', () => {
    const routes = [route(0, 'type = "track"'), route(1, 'type = "identify"'), route(2, 'event = "Order Completed"')]
    expect(routingOf(routes, { type: 'track', event: 'Order Completed' } as never)).toEqual({ matched: 0b101 })
    expect(routingOf(routes, { type: 'page' } as never)).toEqual({ matched: 0 })
  })

  it('gives batch keys only when one is mapped from the event, and only for the routes matched', () => {
    const literal = route(0, 'type = "track"', { eventUID: 'e-1' }, ['eventUID'])
    const mapped = route(1, 'type = "track"', { eventUID: { '@path': '$.properties.uid' } }, ['eventUID'])
    const other = route(2, 'type = "identify"', { eventUID: { '@path': '$.properties.uid' } }, ['eventUID'])
    const event = { type: 'track', properties: { uid: 'u-7' } } as never
    expect(routingOf([literal], event)).toEqual({ matched: 1 })
    expect(routingOf([literal, mapped, other], event)).toEqual({ matched: 0b11, keys: ['', '{"eventUID":"u-7"}', ''] })
  })
})
