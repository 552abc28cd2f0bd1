import { Destination } from '@segment/actions-core'
import type { JSONObject } from '@segment/actions-core'
import { startSimulator } from '../../src/simulator'
import { definitionFor, orderMapping } from '../helpers'

describe('the live path when a token expires under load', () => {
  it('refreshes at most once per batch that met the expiry (actions-core keeps tokens), and loses no event', async () => {
    const simulator = await startSimulator()
    try {
      const destination = new Destination(definitionFor(simulator))
      const settings: JSONObject = {
        client_id: simulator.credentials.clientId,
        client_secret: simulator.credentials.clientSecret,
        oauth: {},
        subscription: { subscribe: 'type = "track"', partnerAction: 'sendCustomEvent', mapping: orderMapping }
      }
      const batch = (n: number) =>
        Array.from({ length: 10 }, (_, i) => ({
          type: 'track' as const,
          properties: { email: `b${n}-${i}@example.com`, order_id: `${n}-${i}` }
        }))
      // Warm up: a token and the schema in the cache.
      await destination.onBatch(batch(-1), settings)
      const before = simulator.state.stats.tokensIssued
      simulator.state.revokeTokens()

      const results = await Promise.all(Array.from({ length: 24 }, (_, n) => destination.onBatch(batch(n), settings)))

      const statuses = results.flatMap((result) => result[0].multistatus?.map((node) => node.status) ?? [])
      expect(statuses).toEqual(Array(240).fill(200))
      // The destination keeps no token of its own: each batch that met the revoked token refreshes once,
      // and actions-core hands the new token to the batches after it (the shared settings.oauth).
      expect(simulator.state.stats.tokensIssued - before).toBeGreaterThanOrEqual(1)
      expect(simulator.state.stats.tokensIssued - before).toBeLessThanOrEqual(24)
      const after = simulator.state.stats.tokensIssued
      await destination.onBatch(batch(24), settings)
      expect(simulator.state.stats.tokensIssued).toBe(after)
      const orderIds = simulator.state.journal.map((entry) => entry.dataFields.orderId)
      expect(new Set(orderIds).size).toBe(orderIds.length)
      expect(orderIds).toHaveLength(260)
    } finally {
      await simulator.close()
    }
  })
})
