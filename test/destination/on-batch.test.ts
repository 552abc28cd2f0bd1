import { Destination } from '@segment/actions-core'
import type { JSONObject, Result, SegmentEvent } from '@segment/actions-core'
import { withEndpoints } from '../../destinations/listrak-cross-channel'
import { json, ORDER_EVENT, orderMapping, startLocalServer, withSimulator } from '../helpers'
import type { LocalServer } from '../helpers'

/** The destination pointed at a server whose API and token endpoint are at these URLs. */
const destinationAt = (apiUrl: string, tokenUrl: string) => new Destination(withEndpoints({ apiUrl, tokenUrl }))

/** Settings as a CDP hands them to onBatch: destination settings, the oauth state and one subscription. */
function cdpSettings(accessToken?: string): JSONObject {
  return {
    client_id: 'simulator-client',
    client_secret: 'simulator-secret',
    oauth: accessToken ? { access_token: accessToken } : {},
    subscription: { subscribe: 'type = "track"', partnerAction: 'sendCustomEvent', mapping: orderMapping }
  }
}

const order = (properties: Record<string, unknown>, type = 'track'): SegmentEvent =>
  ({ type, event: 'Order Completed', properties }) as SegmentEvent

const statuses = (results: Result[]): number[] => results[0].multistatus?.map((node) => node.status) ?? []

describe('Destination.onBatch against the simulator', () => {
  it('gives every index of a mixed batch its own status, filtered events included', () =>
    withSimulator({}, async (simulator) => {
      const destination = destinationAt(simulator.apiUrl, simulator.tokenUrl)
      const results = await destination.onBatch(
        [
          order({ email: 'ada@example.com', order_id: '1', total: 10, item_count: 1, ordered_at: '2024-01-02' }),
          order({ order_id: '2' }),
          order({ email: 'b@example.com', item_count: 42.5 }),
          order({ email: 'c@example.com', ordered_at: '2024-02-30' }),
          order({ email: 'd@example.com', mobileContactUid: 'nope' }),
          order({ email: 'e@example.com' }, 'identify')
        ],
        cdpSettings()
      )
      expect(statuses(results)).toEqual([200, 400, 400, 400, 400, 400])
      expect(results[0].multistatus?.[3]).toMatchObject({
        errormessage: expect.stringMatching(/not a valid calendar date/)
      })
      expect(results[0].multistatus?.[5]).toMatchObject({
        errormessage: expect.stringMatching(/does not match the subscription/)
      })
      expect(simulator.state.journal.map((entry) => entry.dataFields.orderId)).toEqual(['1'])
    }))

  it('sends an event with a good email and a malformed phone with the email alone, the phone reported as a warning', () =>
    withSimulator({}, async (simulator) => {
      const destination = destinationAt(simulator.apiUrl, simulator.tokenUrl)
      const results = await destination.onBatch(
        [order({ email: 'ada@example.com', phone: '12', order_id: '1' }), order({ phone: '12', order_id: '2' })],
        cdpSettings()
      )
      expect(statuses(results)).toEqual([200, 400])
      expect(results[0].multistatus?.[0]).toMatchObject({
        body: { warnings: [expect.stringMatching(/^phoneNumber "12" is not a phone number/)] }
      })
      expect(results[0].multistatus?.[1]).toMatchObject({
        errortype: 'PAYLOAD_VALIDATION_FAILED',
        errormessage: expect.stringMatching(/no usable identifier: phoneNumber "12"/)
      })
      expect(simulator.state.journal.map((entry) => entry.identifiers)).toEqual([
        [{ identifierType: 'EmailAddress', identifierValue: 'ada@example.com' }]
      ])
    }))

  it('sends track events to the event configuration named like them, as the preset maps them', () =>
    withSimulator({}, async (simulator) => {
      const destination = destinationAt(simulator.apiUrl, simulator.tokenUrl)
      const preset = withEndpoints({}).presets?.[0]
      const settings = {
        ...cdpSettings(),
        subscription: { subscribe: 'type = "track"', partnerAction: 'sendCustomEvent', mapping: preset?.mapping ?? {} }
      }
      const results = await destination.onBatch(
        [
          {
            type: 'track',
            event: 'Order Placed',
            context: { traits: { email: 'a@example.com' } },
            properties: { orderId: 'N1' }
          },
          { type: 'track', event: 'No Such Event', context: { traits: { email: 'b@example.com' } }, properties: {} }
        ] as SegmentEvent[],
        settings
      )
      expect(statuses(results)).toEqual([200, 404])
      expect(results[0].multistatus?.[1]).toMatchObject({ errormessage: expect.stringMatching(/name "No Such Event"/) })
      expect(simulator.state.journal).toMatchObject([{ eventUID: ORDER_EVENT.eventUID, dataFields: { orderId: 'N1' } }])
    }))

  it('refreshes a rejected token once and retries successfully', () =>
    withSimulator({}, async (simulator) => {
      const destination = destinationAt(simulator.apiUrl, simulator.tokenUrl)
      const refreshed: string[] = []
      const settings = cdpSettings('revoked-token')
      const results = await destination.onBatch([order({ email: 'ada@example.com', order_id: '1' })], settings, {
        onTokenRefresh: (tokens) => {
          refreshed.push(tokens.accessToken)
          return Promise.resolve()
        }
      })
      expect(statuses(results)).toEqual([200])
      expect(refreshed).toHaveLength(1)
      expect(simulator.state.stats.tokenRequests).toBe(1)
      expect(simulator.state.stats.eventsAccepted).toBe(1)
    }))

  it('reports a 429 as retryable for every event', () =>
    withSimulator({ rateLimit: { requestsPerSecond: 0.001, burst: 2 } }, async (simulator) => {
      const destination = destinationAt(simulator.apiUrl, simulator.tokenUrl)
      const settings = cdpSettings()
      // The first batch spends the burst on the schema GET and the POST; the next one is refused.
      await destination.onBatch([order({ email: 'a@example.com' })], settings)
      const results = await destination.onBatch(
        [order({ email: 'a@example.com' }), order({ email: 'b@example.com' })],
        settings
      )
      expect(statuses(results)).toEqual([429, 429])
      expect(results[0].multistatus?.[0]).toMatchObject({ errortype: 'TOO_MANY_REQUESTS' })
    }))

  it('reports a 5xx as retryable for every event', () =>
    withSimulator({ faults: { errorRate: 1 }, seed: 7 }, async (simulator) => {
      const destination = destinationAt(simulator.apiUrl, simulator.tokenUrl)
      const results = await destination.onBatch(
        [order({ email: 'a@example.com' }), order({ email: 'b@example.com' })],
        cdpSettings()
      )
      const [first, second] = statuses(results)
      expect([500, 503]).toContain(first)
      expect(second).toBe(first)
      expect(simulator.state.stats.eventsAccepted).toBe(0)
    }))

  it('completes batches of 1,000 whose answers run to 70 KB (actions-core must not leave a cloned body unread)', () =>
    withSimulator({}, async (simulator) => {
      const destination = destinationAt(simulator.apiUrl, simulator.tokenUrl)
      const events = Array.from({ length: 1000 }, (_, i) =>
        order({ email: `user${i}@example.com`, order_id: String(i) })
      )
      const settings = cdpSettings()
      for (let round = 0; round < 2; round++) {
        const results = await Promise.all([
          destination.onBatch(events, settings),
          destination.onBatch(events, settings)
        ])
        for (const result of results) expect(statuses(result)).toEqual(Array(1000).fill(200))
      }
      expect(simulator.state.stats.eventsAccepted).toBe(2 * 2 * 1000)
    }))

  it('fetches the schema once per eventUID, not per batch', () =>
    withSimulator({}, async (simulator) => {
      const destination = destinationAt(simulator.apiUrl, simulator.tokenUrl)
      const settings = cdpSettings()
      for (let i = 0; i < 3; i++) await destination.onBatch([order({ email: `u${i}@example.com` })], settings)
      // 1 unauthenticated GET (401), 1 GET of the schema, 3 POSTs; the token once.
      expect(simulator.state.stats.requests - simulator.state.stats.tokenRequests).toBe(5)
      expect(simulator.state.stats.eventsAccepted).toBe(3)
    }))

  it('answers 404 for every event of an unknown eventUID', () =>
    withSimulator({}, async (simulator) => {
      const destination = destinationAt(simulator.apiUrl, simulator.tokenUrl)
      const settings = cdpSettings()
      const subscription = settings.subscription as JSONObject
      settings.subscription = { ...subscription, mapping: { ...orderMapping, eventUID: 'no-such-event' } }
      const results = await destination.onBatch([order({ email: 'a@example.com' })], settings)
      expect(results[0].multistatus?.[0]).toMatchObject({
        status: 404,
        errormessage: expect.stringMatching(/no-such-event/)
      })
    }))
})

describe('Destination.onBatch against a local server with answers the simulator never gives', () => {
  let server: LocalServer
  let answer: { status: number; body: unknown }

  beforeAll(async () => {
    server = await startLocalServer((request, response) => {
      if (request.url.endsWith('/OAuth2/Token'))
        return json(response, 200, { access_token: 'local-token', expires_in: 60 })
      if (request.method === 'GET') {
        return json(response, 200, {
          data: { eventUID: ORDER_EVENT.eventUID, eventSchemaAttrs: ORDER_EVENT.eventSchemaAttrs }
        })
      }
      json(response, answer.status, answer.body)
    })
  })
  afterAll(() => server.close())

  const send = (events: SegmentEvent[]) =>
    destinationAt(`${server.url}/crosschannel/v1`, `${server.url}/OAuth2/Token`).onBatch(
      events,
      cdpSettings('local-token')
    )

  it('maps a group covering several events, and unmentioned events take the status in meta', async () => {
    answer = {
      status: 200,
      body: {
        data: [
          {
            statusCode: 200,
            identifiers: [
              { identifierType: 'EmailAddress', identifierValue: 'a@example.com' },
              { identifierType: 'EmailAddress', identifierValue: 'b@example.com' }
            ]
          },
          {
            statusCode: 400,
            identifiers: [{ identifierType: 'PhoneNumber', identifierValue: '5551234567' }],
            errors: [{ errorType: 'InvalidIdentifier', errorMessage: 'phone is not reachable' }]
          }
        ],
        meta: { statusCode: 202, message: 'Accepted' }
      }
    }
    const results = await send([
      order({ email: 'a@example.com' }),
      order({ email: 'b@example.com' }),
      order({ email: 'c@example.com', phone: '555-123-4567' }),
      order({ email: 'z@example.com' })
    ])
    expect(statuses(results)).toEqual([200, 200, 400, 202])
    expect(results[0].multistatus?.[2]).toMatchObject({ errormessage: expect.stringMatching(/phone is not reachable/) })
    const posted = JSON.parse(server.requests.at(-1)?.body ?? '{}') as { events: unknown[] }
    expect(posted.events).toHaveLength(4)
    expect(server.requests.at(-1)?.headers.authorization).toBe('Bearer local-token')
  })

  it('reports a whole-request 400 on every event as not retryable, with Listrak’s message', async () => {
    answer = {
      status: 400,
      body: { meta: { statusCode: 400, message: 'Bad Request', errors: [{ userMessage: 'bad events' }] } }
    }
    const results = await send([order({ email: 'a@example.com' }), order({ email: 'b@example.com' })])
    expect(statuses(results)).toEqual([400, 400])
    expect(results[0].multistatus?.[0]).toMatchObject({
      errormessage: 'Listrak answered HTTP 400: Bad Request; bad events'
    })
  })

  it('splits a batch into requests within batch_bytes', async () => {
    answer = { status: 200, body: { data: [], meta: { statusCode: 200 } } }
    const before = server.requests.filter((request) => request.method === 'POST').length
    const destination = destinationAt(`${server.url}/crosschannel/v1`, `${server.url}/OAuth2/Token`)
    const settings = cdpSettings('local-token')
    settings.subscription = {
      ...(settings.subscription as JSONObject),
      mapping: { ...orderMapping, batch_bytes: 1000 }
    }
    const events = Array.from({ length: 20 }, (_, i) =>
      order({ email: `user${i}@example.com`, order_id: 'x'.repeat(80) })
    )
    const results = await destination.onBatch(events, settings)
    expect(statuses(results)).toEqual(Array(20).fill(200))
    const posts = server.requests.filter((request) => request.method === 'POST').slice(before)
    expect(posts.length).toBeGreaterThan(2)
    for (const post of posts) expect(Buffer.byteLength(post.body)).toBeLessThanOrEqual(1000)
    expect(posts.flatMap((post) => (JSON.parse(post.body) as { events: unknown[] }).events)).toHaveLength(20)
  })
})

describe('Destination.onBatch when Listrak cannot be reached', () => {
  it('reports every event as retryable (503) with the reason', async () => {
    const server = await startLocalServer(() => undefined)
    const { url } = server
    await server.close()
    const results = await destinationAt(`${url}/crosschannel/v1`, `${url}/OAuth2/Token`).onBatch(
      [order({ email: 'a@example.com' })],
      cdpSettings('token')
    )
    expect(results[0].multistatus?.[0]).toMatchObject({
      status: 503,
      errormessage: expect.stringMatching(/ECONNREFUSED/)
    })
  })
})
