import { readFileSync } from 'node:fs'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { contractValidator, parseSimulatorConfig, startSimulator } from '../../src/simulator'
import type { RunningSimulator, SimulatorConfigInput } from '../../src/simulator'
import { BROWSE_EVENT, ORDER_EVENT, manualClock, withSimulator } from '../helpers'
import type { ManualClock } from '../helpers'

async function token(simulator: RunningSimulator, secret = simulator.credentials.clientSecret): Promise<Response> {
  return fetch(simulator.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: simulator.credentials.clientId,
      client_secret: secret
    })
  })
}

async function accessToken(simulator: RunningSimulator): Promise<string> {
  return ((await (await token(simulator)).json()) as { access_token: string }).access_token
}

function post(
  simulator: RunningSimulator,
  bearer: string,
  body: unknown,
  eventUID = ORDER_EVENT.eventUID,
  contentType = 'application/json'
) {
  return fetch(`${simulator.apiUrl}/eventConfigurations/${eventUID}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body)
  })
}

const get = (simulator: RunningSimulator, bearer: string, route: string) =>
  fetch(`${simulator.apiUrl}${route}`, { headers: { authorization: `Bearer ${bearer}` } })

/** Checks that `bearer` is taken for `ms` more milliseconds of `clock`, and refused from then on. */
async function expectValidFor(simulator: RunningSimulator, clock: ManualClock, bearer: string, ms: number) {
  clock.advance(ms - 1)
  expect((await get(simulator, bearer, '/eventConfigurations')).status).toBe(200)
  clock.advance(1)
  expect((await get(simulator, bearer, '/eventConfigurations')).status).toBe(401)
}

const email = (value: string) => ({ identifierType: 'EmailAddress', identifierValue: value })

describe('tokens', () => {
  it('issues a bearer token with expires_in for the configured credentials, 401 for others', () =>
    withSimulator({ tokenLifetimeSeconds: 120 }, async (simulator) => {
      const ok = await token(simulator)
      expect(ok.status).toBe(200)
      expect(await ok.json()).toEqual({
        access_token: expect.stringMatching(/^\w{20,}$/),
        token_type: 'Bearer',
        expires_in: 120
      })
      const refused = await token(simulator, 'wrong')
      expect(refused.status).toBe(401)
      expect(await refused.json()).toEqual({ error: 'invalid_client' })
    }))

  it('refuses other grant types and other encodings', () =>
    withSimulator({}, async (simulator) => {
      const grant = await fetch(simulator.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=password'
      })
      expect(grant.status).toBe(400)
      const encoding = await fetch(simulator.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}'
      })
      expect(encoding.status).toBe(400)
    }))

  it('answers 401 on every API route without a valid token', () =>
    withSimulator({}, async (simulator) => {
      for (const route of ['/eventConfigurations', `/eventConfigurations/${ORDER_EVENT.eventUID}`]) {
        expect((await get(simulator, 'made-up', route)).status).toBe(401)
        expect((await fetch(`${simulator.apiUrl}${route}`)).status).toBe(401)
      }
      expect((await post(simulator, 'made-up', { events: [] })).status).toBe(401)
    }))

  it('expires tokens after their lifetime', () => {
    const clock = manualClock()
    return withSimulator(
      { tokenLifetimeSeconds: 120 },
      async (simulator) => {
        await expectValidFor(simulator, clock, await accessToken(simulator), 120_000)
      },
      clock
    )
  })

  it('revokes tokens early, on demand and on a schedule', async () => {
    await withSimulator({}, async (simulator) => {
      const bearer = await accessToken(simulator)
      simulator.state.revokeTokens()
      expect((await get(simulator, bearer, '/eventConfigurations')).status).toBe(401)
    })
    const clock = manualClock()
    await withSimulator(
      { faults: { revokeTokensEveryMs: 100 } },
      async (simulator) => {
        clock.advance(50)
        await expectValidFor(simulator, clock, await accessToken(simulator), 50)
        await expectValidFor(simulator, clock, await accessToken(simulator), 100)
      },
      clock
    )
  })
})

describe('event configurations', () => {
  it('lists and details the built-in configurations, 404 for an unknown eventUID', () =>
    withSimulator({}, async (simulator) => {
      const bearer = await accessToken(simulator)
      const list = (await (await get(simulator, bearer, '/eventConfigurations')).json()) as {
        data: { eventName: string }[]
      }
      expect(list.data.map((config) => config.eventName)).toEqual(['Order Placed', 'Product Browsed', 'Signed Up'])
      const detail = (await (await get(simulator, bearer, `/eventConfigurations/${BROWSE_EVENT.eventUID}`)).json()) as {
        data: unknown
      }
      expect(detail.data).toEqual(BROWSE_EVENT)
      expect((await get(simulator, bearer, '/eventConfigurations/00000000-0000-0000-0000-000000000000')).status).toBe(
        404
      )
    }))

  it('serves configurations from the config', () =>
    withSimulator(
      {
        eventConfigurations: [
          { eventUID: '11111111-2222-3333-4444-555555555555', eventName: 'Custom', eventSchemaAttrs: { a: 'Int' } }
        ]
      },
      async (simulator) => {
        const bearer = await accessToken(simulator)
        const list = (await (await get(simulator, bearer, '/eventConfigurations')).json()) as { data: unknown[] }
        expect(list.data).toEqual([{ eventUID: '11111111-2222-3333-4444-555555555555', eventName: 'Custom' }])
      }
    ))
})

describe('POST events: the contract', () => {
  let simulator: RunningSimulator
  let bearer: string
  beforeAll(async () => {
    simulator = await startSimulator({ config: { limits: { maxBodyBytes: 2000, maxEventsPerRequest: 3 } } })
    bearer = await accessToken(simulator)
  })
  afterAll(() => simulator.close())

  const good = { identifiers: [email('a@example.com')], dataFields: { orderId: '1' } }

  it.each([
    [
      'no JSON content type',
      () => post(simulator, bearer, { events: [good] }, ORDER_EVENT.eventUID, 'text/plain'),
      415
    ],
    ['a body that is not JSON', () => post(simulator, bearer, '{"events": ['), 400],
    [
      'a dataFields value that is not a string',
      () => post(simulator, bearer, { events: [{ ...good, dataFields: { orderId: 1 } }] }),
      400
    ],
    [
      'an unknown identifierType',
      () => post(simulator, bearer, { events: [{ identifiers: [{ identifierType: 'Fax', identifierValue: '1' }] }] }),
      400
    ],
    [
      'an event without identifiers',
      () => post(simulator, bearer, { events: [{ identifiers: [], dataFields: {} }] }),
      400
    ],
    ['no events', () => post(simulator, bearer, { events: [] }), 400],
    ['more events than allowed', () => post(simulator, bearer, { events: [good, good, good, good] }), 400],
    [
      'a body over the size limit',
      () => post(simulator, bearer, { events: [{ ...good, dataFields: { orderId: 'x'.repeat(3000) } }] }),
      413
    ],
    [
      'an unknown eventUID',
      () => post(simulator, bearer, { events: [good] }, '00000000-0000-0000-0000-000000000000'),
      404
    ],
    [
      'the wrong method',
      () =>
        fetch(`${simulator.apiUrl}/eventConfigurations/${ORDER_EVENT.eventUID}/events`, {
          headers: { authorization: `Bearer ${bearer}` }
        }),
      405
    ]
  ])('answers %s with the right status', async (_case, send, status) => {
    const response = await send()
    expect(response.status).toBe(status)
    const body = (await response.json()) as { meta: { statusCode: number; message: string } }
    expect(body.meta).toMatchObject({ statusCode: status, message: expect.any(String) })
  })

  it('says which part of the body breaks the contract', async () => {
    const response = await post(simulator, bearer, { events: [{ ...good, dataFields: { orderId: 1 } }] })
    expect(((await response.json()) as { meta: { message: string } }).meta.message).toMatch(
      /\/events\/0\/dataFields\/orderId must be string/
    )
  })

  it('sends the security headers of the contract', async () => {
    const response = await get(simulator, bearer, '/eventConfigurations')
    for (const header of [
      'x-frame-options',
      'strict-transport-security',
      'x-content-type-options',
      'content-security-policy'
    ]) {
      expect(response.headers.get(header)).toBeTruthy()
    }
  })
})

describe('POST events: per-recipient results', () => {
  it('accepts good events, rejects malformed ones, and groups recipients by status', () =>
    withSimulator({}, async (simulator) => {
      const bearer = await accessToken(simulator)
      const response = await post(simulator, bearer, {
        events: [
          {
            identifiers: [email('a@example.com')],
            dataFields: { orderId: 'A', itemCount: '2', unknownKey: 'dropped' }
          },
          { identifiers: [email('not-an-email')], dataFields: {} },
          { identifiers: [{ identifierType: 'PhoneNumber', identifierValue: '555-1234' }] },
          { identifiers: [email('b@example.com')], dataFields: { itemCount: '2.5', orderDate: 'soon' } },
          {
            identifiers: [email('c@example.com'), { identifierType: 'PhoneNumber', identifierValue: '5551234567' }],
            dataFields: { orderTotal: '9.99', orderDate: '2024-01-01T00:00:00Z' }
          }
        ]
      })
      expect(response.status).toBe(200)
      const body = (await response.json()) as {
        data: { statusCode: number; identifiers: { identifierValue: string }[]; errors: { errorMessage: string }[] }[]
        meta: { message: string }
      }
      const accepted = body.data.find((group) => group.statusCode === 200)
      const rejected = body.data.find((group) => group.statusCode === 400)
      expect(body.data).toHaveLength(2)
      expect(accepted?.identifiers.map((i) => i.identifierValue)).toEqual([
        'a@example.com',
        'c@example.com',
        '5551234567'
      ])
      expect(rejected?.identifiers.map((i) => i.identifierValue)).toEqual(['not-an-email', '555-1234', 'b@example.com'])
      expect(rejected?.errors.map((e) => e.errorMessage)).toEqual([
        "EmailAddress 'not-an-email' is not a valid EmailAddress.",
        "PhoneNumber '555-1234' is not a valid PhoneNumber.",
        "Data field 'itemCount' value '2.5' is not a valid Int.",
        "Data field 'orderDate' value 'soon' is not a valid Date."
      ])
      expect(body.meta.message).toBe('2 of 5 events accepted.')
      expect(simulator.state.journal.map((entry) => entry.dataFields)).toEqual([
        { orderId: 'A', itemCount: '2' },
        { orderTotal: '9.99', orderDate: '2024-01-01T00:00:00Z' }
      ])
      expect(simulator.state.stats).toMatchObject({ eventsAccepted: 2, eventsRejected: 3 })
    }))

  it('records accepted events in an NDJSON journal file too', async () => {
    const journalPath = path.join(mkdtempSync(path.join(tmpdir(), 'sim-')), 'events.ndjson')
    const simulator = await startSimulator({ journalPath })
    const bearer = await accessToken(simulator)
    await post(simulator, bearer, { events: [{ identifiers: [email('a@example.com')], dataFields: { orderId: '1' } }] })
    await post(simulator, bearer, { events: [{ identifiers: [email('b@example.com')], dataFields: { orderId: '2' } }] })
    await simulator.close()
    const lines = readFileSync(journalPath, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown)
    expect(lines).toEqual(JSON.parse(JSON.stringify(simulator.state.journal)))
    expect(lines).toMatchObject([
      { seq: 1, requestId: 1, eventUID: ORDER_EVENT.eventUID, dataFields: { orderId: '1' } },
      { seq: 2, requestId: 2, dataFields: { orderId: '2' } }
    ])
  })
})

describe('rate limiting (leaky bucket)', () => {
  it('answers a burst with 429s and no Retry-After', () => {
    // The clock stands still: the 20 requests arrive at one instant however long the machine takes to send them.
    const clock = manualClock()
    return withSimulator(
      { rateLimit: { requestsPerSecond: 50, burst: 5 } },
      async (simulator) => {
        const bearer = await accessToken(simulator)
        const responses = await Promise.all(
          Array.from({ length: 20 }, () => get(simulator, bearer, '/eventConfigurations'))
        )
        const limited = responses.filter((response) => response.status === 429)
        expect(limited).toHaveLength(15)
        expect(limited.every((response) => response.headers.get('retry-after') === null)).toBe(true)
        expect(simulator.state.stats.status429).toBe(15)
      },
      clock
    )
  })

  it('lets a client paced under the rate through, and drains at the configured rate', () => {
    const clock = manualClock()
    return withSimulator(
      { rateLimit: { requestsPerSecond: 50, burst: 2 } },
      async (simulator) => {
        const bearer = await accessToken(simulator)
        const statuses: number[] = []
        for (let i = 0; i < 10; i++) {
          statuses.push((await get(simulator, bearer, '/eventConfigurations')).status)
          clock.advance(40)
        }
        expect(statuses).toEqual(Array(10).fill(200))
        const burst = await Promise.all([1, 2, 3].map(() => get(simulator, bearer, '/eventConfigurations')))
        expect(burst.map((response) => response.status).sort()).toEqual([200, 200, 429])
        clock.advance(20) // one request's worth at 50 a second
        expect((await get(simulator, bearer, '/eventConfigurations')).status).toBe(200)
        expect((await get(simulator, bearer, '/eventConfigurations')).status).toBe(429)
      },
      clock
    )
  })
})

describe('fault injection', () => {
  const body = { events: [{ identifiers: [email('a@example.com')], dataFields: {} }] }

  async function statuses(config: SimulatorConfigInput, count: number): Promise<number[]> {
    return withSimulator(config, async (simulator) => {
      const bearer = await accessToken(simulator)
      const result: number[] = []
      for (let i = 0; i < count; i++) {
        result.push(
          await post(simulator, bearer, body).then(
            (response) => response.status,
            () => 0
          )
        )
      }
      return result
    })
  }

  it('answers about the configured fraction with 500 or 503, the same way for the same seed', async () => {
    const first = await statuses({ faults: { errorRate: 0.3 }, seed: 42 }, 200)
    const failed = first.filter((status) => status === 500 || status === 503)
    expect(failed.length).toBeGreaterThan(35)
    expect(failed.length).toBeLessThan(85)
    expect(new Set(failed)).toEqual(new Set([500, 503]))
    expect(first.filter((status) => status === 200).length).toBe(200 - failed.length)
    expect(await statuses({ faults: { errorRate: 0.3 }, seed: 42 }, 200)).toEqual(first)
    expect(await statuses({ faults: { errorRate: 0.3 }, seed: 43 }, 200)).not.toEqual(first)
  })

  it('resets connections mid-request at the configured rate', () =>
    withSimulator({ faults: { resetRate: 0.5 }, seed: 3 }, async (simulator) => {
      const bearer = await accessToken(simulator)
      const outcomes: string[] = []
      for (let i = 0; i < 40; i++) {
        outcomes.push(
          await post(simulator, bearer, body).then(
            (response) => String(response.status),
            () => 'reset'
          )
        )
      }
      const resets = outcomes.filter((outcome) => outcome === 'reset').length
      expect(resets).toBe(simulator.state.stats.connectionResets)
      expect(resets).toBeGreaterThan(8)
      expect(simulator.state.stats.eventsAccepted).toBe(40 - resets)
    }))

  it('adds the configured latency', () =>
    withSimulator({ faults: { latencyMs: 60 } }, async (simulator) => {
      const bearer = await accessToken(simulator)
      const started = performance.now()
      await post(simulator, bearer, body)
      expect(performance.now() - started).toBeGreaterThanOrEqual(55)
    }))
})

describe('stats', () => {
  it('counts what happened, over HTTP and in-process', () =>
    withSimulator({}, async (simulator) => {
      const bearer = await accessToken(simulator)
      await post(simulator, bearer, {
        events: [{ identifiers: [email('a@example.com')] }, { identifiers: [email('bad')] }]
      })
      await get(simulator, 'nope', '/eventConfigurations')
      const stats = (await (await fetch(`${simulator.url}/_simulator/stats`)).json()) as Record<string, number>
      expect(stats).toMatchObject({
        tokenRequests: 1,
        tokensIssued: 1,
        status4xx: 1,
        eventsAccepted: 1,
        eventsRejected: 1
      })
      expect(stats.requests).toBe(4)
      expect(simulator.state.stats.requests).toBe(4)
    }))
})

describe('responses match the contract', () => {
  it('for every route that answers with a body schema', () =>
    withSimulator({}, async (simulator) => {
      const bearer = await accessToken(simulator)
      const checks: [string, Promise<Response>][] = [
        ['CustomEventConfigurationListResponse', get(simulator, bearer, '/eventConfigurations')],
        ['CustomEventDetailResponse', get(simulator, bearer, `/eventConfigurations/${ORDER_EVENT.eventUID}`)],
        [
          'CustomEventPostResponse',
          post(simulator, bearer, {
            events: [
              { identifiers: [email('a@example.com')], dataFields: { orderId: '1' } },
              { identifiers: [email('x')] }
            ]
          })
        ]
      ]
      for (const [schema, pending] of checks) {
        const validate = contractValidator(schema as Parameters<typeof contractValidator>[0])
        const body: unknown = await (await pending).json()
        expect({ schema, valid: validate(body), errors: validate.errors ?? null }).toEqual({
          schema,
          valid: true,
          errors: null
        })
      }
    }))

  it('the validator itself rejects a body that breaks the contract', () => {
    expect(contractValidator('CustomEventPostResponse')({ data: [{ statusCode: 'two hundred' }] })).toBe(false)
  })
})

describe('config', () => {
  it('names the key and what was expected', () => {
    expect(() => parseSimulatorConfig({ faults: { errorRate: 2 } })).toThrow(
      /faults\.errorRate: .*(<=|less than or equal)/i
    )
    expect(() =>
      parseSimulatorConfig({ eventConfigurations: [{ eventUID: 'x', eventName: 'n', eventSchemaAttrs: {} }] })
    ).toThrow(/eventConfigurations\.0\.eventUID/)
    expect(() => parseSimulatorConfig({ colour: 'blue' })).toThrow(/colour/)
  })
})
