import { Destination } from '@segment/actions-core'
import type { JSONObject, SegmentEvent } from '@segment/actions-core'
import { withEndpoints } from '../../destinations/listrak-cross-channel'
import { deliver } from '../../src/instance/deliver'
import { RunFailure } from '../../src/instance/preflight'
import type { SubscriptionSettings } from '../../src/instance/routes'
import { TOKEN_PATH } from '../../src/simulator'
import { json, orderMapping, startLocalServer, withSimulator } from '../helpers'
import type { LocalServer } from '../helpers'

const subscription: SubscriptionSettings = {
  subscribe: 'type = "track"',
  partnerAction: 'sendCustomEvent',
  mapping: orderMapping
}
const settings = (): JSONObject => ({ client_id: 'simulator-client', client_secret: 'simulator-secret', oauth: {} })

const order = (properties: Record<string, unknown>, type = 'track'): SegmentEvent =>
  ({ type, event: 'Order Completed', properties }) as SegmentEvent

const destinationAt = (server: { apiUrl: string; tokenUrl: string }) => new Destination(withEndpoints(server))

const ISSUED = { access_token: 'issued-token', token_type: 'Bearer', expires_in: 3600 }

/** Listrak's answer to a refused request. */
const refusal = (status: number, message: string) => ({
  meta: { statusCode: status, message, errors: [{ userMessage: message }] }
})

/**
 * A server with a token endpoint that answers `token`, and an API that answers 401 to a request without the
 * token it issues and `api` to every other.
 */
async function listrakAnswering(api: [number, unknown], token: [number, unknown] = [200, ISSUED]) {
  const server = await startLocalServer((request, response) => {
    if (request.url.startsWith(TOKEN_PATH)) return json(response, ...token)
    if (request.headers.authorization !== `Bearer ${ISSUED.access_token}`) {
      return json(response, 401, refusal(401, 'Unauthorized'))
    }
    json(response, ...api)
  })
  return { server, endpoints: { apiUrl: `${server.url}/crosschannel/v1`, tokenUrl: `${server.url}${TOKEN_PATH}` } }
}

async function withListrak<T>(
  api: [number, unknown],
  run: (endpoints: { apiUrl: string; tokenUrl: string }, server: LocalServer) => Promise<T>,
  token?: [number, unknown]
): Promise<T> {
  const { server, endpoints } = await listrakAnswering(api, token)
  try {
    return await run(endpoints, server)
  } finally {
    await server.close()
  }
}

const twoOrders = [order({ email: 'a@example.com', order_id: '1' }), order({ email: 'b@example.com', order_id: '2' })]

describe("deliver's outcome for each event", () => {
  it('accepts, filters and rejects event by event from the destination and the API', () =>
    withSimulator({}, async (simulator) => {
      const outcomes = await deliver(destinationAt(simulator), settings(), subscription, [
        order({ email: 'ada@example.com', phone: '12', order_id: '1' }),
        order({ order_id: '2' }),
        order({ email: 'e@example.com' }, 'identify')
      ])
      expect(outcomes).toEqual([
        { kind: 'accepted', warnings: [expect.stringMatching(/^phoneNumber "12" is not a phone number/)] },
        { kind: 'failed', status: 400, reason: expect.any(String), reporter: expect.any(String) },
        { kind: 'filtered' }
      ])
    }))

  it.each([429, 500, 502, 503, 504])('retries every event of a batch the API answers %i', (status) =>
    withListrak([status, refusal(status, 'try later')], async (endpoints) => {
      const outcomes = await deliver(destinationAt(endpoints), settings(), subscription, twoOrders)
      expect(outcomes).toEqual(twoOrders.map(() => ({ kind: 'retry', status, reason: expect.any(String) })))
    })
  )

  it('rejects every event of a batch the API refuses whole (400), each with the reason the API gave', () =>
    withListrak([400, { meta: { statusCode: 400, message: 'One or more events are invalid.' } }], async (endpoints) => {
      const outcomes = await deliver(destinationAt(endpoints), settings(), subscription, twoOrders)
      expect(outcomes).toEqual(
        twoOrders.map(() => ({
          kind: 'failed',
          status: 400,
          reason: expect.stringContaining('One or more events are invalid.'),
          reporter: expect.any(String)
        }))
      )
    }))

  it('retries, as a transport failure, a batch whose API cannot be reached', async () => {
    const { server, endpoints } = await listrakAnswering([200, {}])
    await server.close()
    const outcomes = await deliver(destinationAt(endpoints), settings(), subscription, twoOrders)
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['retry', 'retry'])
  })

  it('stops the run (RunFailure) when the token endpoint refuses the credentials', () =>
    withListrak(
      [200, {}],
      async (endpoints) => {
        await expect(deliver(destinationAt(endpoints), settings(), subscription, twoOrders)).rejects.toThrow(RunFailure)
      },
      [401, { error: 'invalid_client' }]
    ))
})
