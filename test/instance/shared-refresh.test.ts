import type { JSONObject } from '@segment/actions-core'
import { DestinationInstance, registryRecipe } from '../../src/instance'
import type { DestinationSource } from '../../src/instance'
import { definitionFor, orderMapping, settingsFor, withSimulator } from '../helpers'
import { startFailingProxy } from '../serve/fixtures'

const subscriptions = [
  {
    name: 'orders',
    key: 'subscriptions[0]',
    subscribe: 'type = "track"',
    partnerAction: 'sendCustomEvent',
    mapping: orderMapping
  }
]
const batch = (n: number) =>
  Array.from({ length: 10 }, (_, i) => ({
    event: { type: 'track' as const, properties: { email: `b${n}-${i}@example.com`, order_id: `${n}-${i}` } }
  }))

describe('a destination instance under a token expiry', () => {
  it.each<[string, (simulator: { apiUrl: string; tokenUrl: string }) => DestinationSource]>([
    ['in this thread', (simulator) => ({ definition: definitionFor(simulator) })],
    [
      'in a worker thread',
      ({ apiUrl, tokenUrl }) => ({
        recipe: registryRecipe('actions-listrak-cross-channel', { apiUrl, tokenUrl }),
        workers: 1
      })
    ]
  ])(
    '%s: 24 batches meeting one revoked token share one or two token requests, and lose no event',
    (_where, sourceFor) =>
      withSimulator({}, async (simulator) => {
        const instance = new DestinationInstance({
          source: sourceFor(simulator),
          settings: settingsFor(simulator) as unknown as JSONObject,
          subscriptions,
          batch: { size: 10, bytes: 1_000_000 }
        })
        const running = await instance.start()
        try {
          const [route] = instance.routes
          await running.send(route, batch(-1))
          const before = simulator.state.stats.tokensIssued
          simulator.state.revokeTokens()
          const results = await Promise.all(Array.from({ length: 24 }, (_, n) => running.send(route, batch(n))))
          expect(results.flatMap((result) => result.outcomes.map((outcome) => outcome.kind))).toEqual(
            Array(240).fill('accepted')
          )
          expect(simulator.state.stats.tokensIssued - before).toBeGreaterThanOrEqual(1)
          expect(simulator.state.stats.tokensIssued - before).toBeLessThanOrEqual(2)
          const orderIds = simulator.state.journal.map((entry) => entry.dataFields.orderId)
          expect(new Set(orderIds).size).toBe(250)
        } finally {
          await running.close()
        }
      })
  )
})

describe('starting a destination instance', () => {
  it("gets a new token when the account's choices are refused with a token revoked since it was issued", () =>
    withSimulator({}, async (simulator) => {
      // The first list of event configurations is answered 401, as after a revocation.
      let lists = 0
      const firstList = ({ method, url }: { method: string; url: string }) =>
        method === 'GET' && /eventConfigurations$/.test(url) && lists++ === 0
      const proxy = await startFailingProxy(simulator, '', 401, firstList)
      const instance = new DestinationInstance({
        source: { definition: definitionFor({ apiUrl: proxy.apiUrl, tokenUrl: simulator.tokenUrl }) },
        settings: settingsFor(simulator) as unknown as JSONObject,
        subscriptions: [{ ...subscriptions[0], mapping: { ...orderMapping, eventUID: 'Order Placed' } }],
        batch: { size: 10, bytes: 1_000_000 }
      })
      try {
        const tokensBefore = simulator.state.stats.tokensIssued
        const running = await instance.start()
        await running.close()
        expect(lists).toBeGreaterThan(1)
        expect(simulator.state.stats.tokensIssued - tokensBefore).toBe(2)
      } finally {
        await proxy.close()
      }
    }))
})
