import { createTestIntegration, PayloadValidationError, RetryableError } from '@segment/actions-core'
import type { SegmentEvent } from '@segment/actions-core'
import { withEndpoints } from '../../destinations/listrak-cross-channel'
import { startSimulator } from '../../src/simulator'
import type { RunningSimulator } from '../../src/simulator'
import { definitionFor, ORDER_EVENT, orderMapping, settingsFor, tokenFrom } from '../helpers'

let simulator: RunningSimulator
beforeAll(async () => {
  simulator = await startSimulator()
})
afterAll(() => simulator.close())

const order = (properties: Record<string, unknown>): SegmentEvent =>
  ({ type: 'track', event: 'Order Completed', properties }) as SegmentEvent

describe('testAuthentication', () => {
  it('accepts the simulator credentials', async () => {
    const destination = createTestIntegration(definitionFor(simulator))
    await expect(destination.testAuthentication(settingsFor(simulator))).resolves.toBeUndefined()
  })

  it('says plainly that refused credentials are refused, without echoing the secret', async () => {
    const destination = createTestIntegration(definitionFor(simulator))
    const settings = { ...settingsFor(simulator), client_secret: 'not-the-secret-xyz' }
    const error = (await destination.testAuthentication(settings).catch((e: unknown) => e)) as Error
    expect(error.message).toMatch(/refused the client credentials \(HTTP 401\)/)
    expect(error.message).not.toContain('not-the-secret-xyz')
  })

  it('cannot be pointed at plain http to a host that is not this machine', () => {
    expect(() => withEndpoints({ apiUrl: simulator.apiUrl, tokenUrl: 'http://auth.example.com/OAuth2/Token' })).toThrow(
      /must use https/
    )
  })
})

describe('dynamic fields', () => {
  // A dropdown asks with the stored token, through extendRequest: actions-core keeps tokens.
  const authFor = async () => ({ accessToken: await tokenFrom(simulator), refreshToken: '' })

  it('lists the event configurations by name, with the stored token', async () => {
    const destination = createTestIntegration(definitionFor(simulator))
    const response = await destination.testDynamicField('sendCustomEvent', 'eventUID', {
      settings: settingsFor(simulator),
      auth: await authFor(),
      payload: {}
    })
    expect(response).toEqual({
      choices: expect.arrayContaining([
        { label: 'Order Placed', value: ORDER_EVENT.eventUID, description: `eventUID ${ORDER_EVENT.eventUID}` }
      ])
    })
    expect((response as { choices: unknown[] }).choices).toHaveLength(3)
  })

  it('returns an API failure (a refused token) as a dropdown error, not a crash', async () => {
    const destination = createTestIntegration(definitionFor(simulator))
    const response = await destination.testDynamicField('sendCustomEvent', 'eventUID', {
      settings: settingsFor(simulator),
      auth: { accessToken: 'not-a-token', refreshToken: '' },
      payload: {}
    })
    expect(response).toEqual({
      choices: [],
      error: { code: '401', message: 'Listrak rejected the access token (HTTP 401).' }
    })
  })

  it("offers the chosen event's schema attributes as dataFields keys", async () => {
    const destination = createTestIntegration(definitionFor(simulator))
    const response = await destination.testDynamicField('sendCustomEvent', 'dataFields.__keys__', {
      settings: settingsFor(simulator),
      auth: await authFor(),
      payload: { eventUID: ORDER_EVENT.eventUID }
    })
    const choices = (response as { choices: { value: string; type: string }[] }).choices
    expect(choices.map((choice) => choice.value).sort()).toEqual(Object.keys(ORDER_EVENT.eventSchemaAttrs).sort())
    expect(choices.find((choice) => choice.value === 'orderDate')?.type).toBe('datetime')
  })

  it('asks for an event configuration before listing keys', async () => {
    const destination = createTestIntegration(definitionFor(simulator))
    const response = await destination.testDynamicField('sendCustomEvent', 'dataFields.__keys__', {
      settings: settingsFor(simulator),
      payload: {}
    })
    expect(response).toMatchObject({ choices: [], error: { code: 'EVENT_NOT_SELECTED' } })
  })
})

describe('testBatchAction', () => {
  it('gives the right status at every index of a mixed batch', async () => {
    const destination = createTestIntegration(definitionFor(simulator))
    const before = simulator.state.stats.eventsAccepted
    await destination.testBatchAction('sendCustomEvent', {
      settings: settingsFor(simulator),
      auth: { accessToken: await tokenFrom(simulator), refreshToken: '' },
      mapping: orderMapping,
      events: [
        order({ email: ' Ada@Example.com ', order_id: 'A1', total: '19.90', item_count: 2, ordered_at: 1700000000 }),
        order({ order_id: 'A2', total: 5 }),
        order({ email: 'bob@example.com', order_id: 'A3', item_count: 42.5 }),
        order({ email: 'cy@example.com', order_id: 'A4', ordered_at: 'last tuesday' }),
        order({ mobileContactUid: 'not-a-uuid', order_id: 'A5' }),
        order({ phone: '+1 (555) 123-4567', order_id: 'A6', ordered_at: '2024-03-01T10:00:00+02:00' })
      ]
    })
    const statuses = destination.results[0].multistatus?.map((result) => result.status)
    expect(statuses).toEqual([200, 400, 400, 400, 400, 200])
    const [ok, noIdentifier, badInt, badDate, rejected] = destination.results[0].multistatus ?? []
    expect(ok).toMatchObject({
      sent: {
        identifiers: [{ identifierType: 'EmailAddress', identifierValue: 'ada@example.com' }],
        dataFields: { orderId: 'A1', orderTotal: '19.9', itemCount: '2', orderDate: '2023-11-14T22:13:20.000Z' }
      }
    })
    expect(noIdentifier).toMatchObject({ errormessage: expect.stringMatching(/no usable identifier/) })
    expect(badInt).toMatchObject({
      errormessage: 'dataFields.itemCount (Int) cannot take the value 42.5: not an integer.'
    })
    expect(badDate).toMatchObject({
      errormessage: expect.stringMatching(/^dataFields\.orderDate \(Date\) .*"last tuesday"/)
    })
    expect(rejected).toMatchObject({
      errormessage: expect.stringMatching(/Listrak rejected the recipient \(400\).*not-a-uuid/)
    })
    expect(simulator.state.stats.eventsAccepted - before).toBe(2)
    expect(simulator.state.journal.at(-1)).toMatchObject({
      identifiers: [{ identifierType: 'PhoneNumber', identifierValue: '15551234567' }],
      dataFields: { orderId: 'A6', orderDate: '2024-03-01T08:00:00.000Z' }
    })
  })

  it('runs field validation (the fast-uri trap): a payload without eventUID is rejected by the framework', async () => {
    const destination = createTestIntegration(definitionFor(simulator))
    const { eventUID: _omitted, ...withoutEvent } = orderMapping
    await destination.testBatchAction('sendCustomEvent', {
      settings: settingsFor(simulator),
      mapping: { ...withoutEvent, batch_size: 'many' },
      events: [order({ email: 'a@example.com' })]
    })
    expect(destination.results[0].multistatus?.[0]).toMatchObject({
      status: 400,
      errortype: 'PAYLOAD_VALIDATION_FAILED',
      errormessage: expect.stringMatching(/Event Configuration|Batch Size/)
    })
  })
})

describe('testAction (one event, perform)', () => {
  it('sends one event with the default mappings', async () => {
    const destination = createTestIntegration(definitionFor(simulator))
    const responses = await destination.testAction('sendCustomEvent', {
      settings: settingsFor(simulator),
      auth: { accessToken: await tokenFrom(simulator), refreshToken: '' },
      useDefaultMappings: true,
      mapping: { eventUID: ORDER_EVENT.eventUID },
      event: {
        type: 'track',
        context: { traits: { email: 'dee@example.com' } },
        properties: { orderId: 'P1', orderTotal: 3 }
      }
    })
    const post = responses.find((response) => response.options.method === 'POST')
    expect(post?.status).toBe(200)
    expect(JSON.parse(post?.options.body as string)).toEqual({
      events: [
        {
          identifiers: [{ identifierType: 'EmailAddress', identifierValue: 'dee@example.com' }],
          dataFields: { orderId: 'P1', orderTotal: '3' }
        }
      ]
    })
  })

  it('throws a PayloadValidationError naming the field for a value that will not coerce', async () => {
    const destination = createTestIntegration(definitionFor(simulator))
    const error = await destination
      .testAction('sendCustomEvent', {
        settings: settingsFor(simulator),
        auth: { accessToken: await tokenFrom(simulator), refreshToken: '' },
        mapping: orderMapping,
        event: order({ email: 'a@example.com', total: 'twelve' })
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PayloadValidationError)
    expect(error).toMatchObject({ status: 400, message: expect.stringMatching(/dataFields\.orderTotal \(Double\)/) })
  })

  it('throws a RetryableError when Listrak answers 5xx', async () => {
    const failing = await startSimulator({ config: { faults: { errorRate: 1 } } })
    try {
      const destination = createTestIntegration(definitionFor(failing))
      const error = await destination
        .testAction('sendCustomEvent', {
          settings: settingsFor(failing),
          auth: { accessToken: await tokenFrom(failing), refreshToken: '' },
          mapping: orderMapping,
          event: order({ email: 'a@example.com' })
        })
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(RetryableError)
      expect([500, 503]).toContain((error as RetryableError).status)
    } finally {
      await failing.close()
    }
  })
})
