import { Analytics } from '@segment/analytics-node'
import { withSimulator } from '../helpers'
import { sampleEvents, startTestRelay } from './fixtures'

describe("Segment's Node.js SDK pointed at the relay", () => {
  it('delivers a mix of track, identify and page calls, each matching event exactly once', () =>
    withSimulator({}, async (simulator) => {
      const writeKey = 'segment-write-key'
      const relay = await startTestRelay(simulator, simulator, { credentials: { keys: [writeKey] } })
      const analytics = new Analytics({ writeKey, host: relay.url, flushAt: 7, maxRetries: 3 })
      const failures: unknown[] = []
      analytics.on('error', (error) => failures.push(error))
      try {
        const events = sampleEvents('sdk', 5)
        for (const event of events) {
          const { messageId, timestamp, context, properties, traits } = event as Record<string, never>
          if (event.type === 'identify') analytics.identify({ userId: messageId, messageId, timestamp, traits })
          else
            analytics.track({
              userId: messageId,
              event: String(event.event),
              messageId,
              timestamp,
              context,
              properties
            })
          analytics.page({ userId: 'reader', name: 'Home', properties: { path: '/' } })
        }
        await analytics.closeAndFlush({ timeout: 20_000 })
        expect(failures).toEqual([])
        const orders = simulator.state.journal.map((entry) => entry.dataFields.orderId).filter(Boolean)
        expect(orders.sort()).toEqual(['sdk-0', 'sdk-1', 'sdk-2', 'sdk-3', 'sdk-4'])
        // 5 orders, 5 product views, 5 sign-ups; the 15 page calls match no subscription.
        expect(simulator.state.journal).toHaveLength(15)
        const requests = relay.logs.filter((entry) => entry.path === '/v1/batch')
        expect(requests.length).toBeGreaterThan(1)
        expect(requests.every((entry) => entry.status === 200)).toBe(true)
        expect(requests.reduce((sum, entry) => sum + Number(entry.unmatched ?? 0), 0)).toBe(15)
      } finally {
        await relay.close()
      }
    }))
})
