import { post, sampleEvents, withRelay } from './fixtures'

/** The value of a counter sample in Prometheus's text format, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`)
  const line = text
    .split('\n')
    .find((row) =>
      row.startsWith(`${name}{`) || row.startsWith(`${name} `) ? wanted.every((label) => row.includes(label)) : false
    )
  return line ? Number(line.split(' ').pop()) : 0
}

describe('GET /metrics', () => {
  it("counts events by outcome in agreement with Listrak's journal", () =>
    withRelay({}, async (relay, simulator) => {
      const events = sampleEvents('metrics', 4)
      const noEmail = { ...events[0], messageId: 'metrics-no-email', context: {} }
      const page = { type: 'page', messageId: 'metrics-page', name: 'Home' }
      const body = JSON.stringify([...events, noEmail, page])
      expect((await post(`${relay.url}/v1/events`, body)).status).toBe(200)
      expect((await post(`${relay.url}/v1/events`, body)).status).toBe(200)

      const response = await fetch(`${relay.url}/metrics`)
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/)
      const text = await response.text()
      const journal = simulator.state.journal
      const delivered = (subscription: string) =>
        sample(text, 'listrak_relay_events_total', { subscription, outcome: 'delivered' })
      expect(delivered('Orders') + delivered('Product views') + delivered('Sign-ups')).toBe(journal.length)
      expect(journal).toHaveLength(12)
      expect(sample(text, 'listrak_relay_events_total', { subscription: 'Orders', outcome: 'repeat' })).toBe(4)
      expect(sample(text, 'listrak_relay_events_total', { outcome: 'rejected', code: '400' })).toBe(2)
      expect(sample(text, 'listrak_relay_events_total', { outcome: 'unmatched' })).toBe(2)
      expect(sample(text, 'listrak_relay_events_received_total')).toBe(28)
      expect(sample(text, 'listrak_relay_destination_requests_total', { status: '200' })).toBeGreaterThan(0)
      expect(sample(text, 'listrak_relay_request_duration_seconds_count', { path: '/v1/events', status: '200' })).toBe(
        2
      )
      expect(text).not.toContain('example.com')
    }))
})
