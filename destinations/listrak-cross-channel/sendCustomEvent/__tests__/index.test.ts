import {
  createTestEvent,
  createTestIntegration,
  InvalidAuthenticationError,
  PayloadValidationError,
  RetryableError
} from '@segment/actions-core'
import type { JSONObject, SegmentEvent } from '@segment/actions-core'
import nock from 'nock'
import Destination from '../../index'
import { RETRYABLE_STATUSES } from '../results'

const API = 'https://api.listrak.com'
const BASE = '/crosschannel/v1'
const EVENT_UID = '6f1c1b8e-4d2a-4c1e-9a57-0b9a3f2e8c01'
const SCHEMA = { orderId: 'String', orderTotal: 'Double', itemCount: 'Int', orderDate: 'Date' }

const testDestination = createTestIntegration(Destination)
const auth = { accessToken: 'test-token', refreshToken: '' }
// The schema is cached per account and eventUID: a client of its own per test keeps the tests apart.
let client = 0
const freshSettings = () => ({ client_id: `client-${++client}`, client_secret: 'secret' })

const mapping = {
  eventUID: EVENT_UID,
  emailAddress: { '@path': '$.properties.email' },
  phoneNumber: { '@path': '$.properties.phone' },
  dataFields: {
    orderId: { '@path': '$.properties.order_id' },
    orderTotal: { '@path': '$.properties.total' },
    itemCount: { '@path': '$.properties.item_count' }
  }
}

const order = (properties: JSONObject): SegmentEvent =>
  createTestEvent({ type: 'track', event: 'Order Completed', properties })

/** Listrak's schema for the event configuration, as the contract gives it. */
function schemaAnswer(eventUID = EVENT_UID): void {
  nock(API)
    .get(`${BASE}/eventConfigurations/${eventUID}`)
    .reply(200, { data: { eventUID, eventName: 'Order Placed', eventSchemaAttrs: SCHEMA }, meta: { statusCode: 200 } })
}

beforeAll(() => nock.disableNetConnect())
afterEach(() => nock.cleanAll())
afterAll(() => nock.enableNetConnect())

describe('sendCustomEvent perform', () => {
  it('posts the event with its identifiers normalised and its values coerced to the schema', async () => {
    schemaAnswer()
    let posted: unknown
    nock(API)
      .post(`${BASE}/eventConfigurations/${EVENT_UID}/events`, (body) => {
        posted = body
        return true
      })
      .matchHeader('authorization', 'Bearer test-token')
      .reply(200, { data: [], meta: { statusCode: 200 } })

    await testDestination.testAction('sendCustomEvent', {
      event: order({
        email: ' Ada@Example.com ',
        phone: '+1 (555) 123-4567',
        order_id: 7,
        total: '19.90',
        item_count: 2
      }),
      mapping,
      settings: freshSettings(),
      auth
    })

    expect(posted).toEqual({
      events: [
        {
          identifiers: [
            { identifierType: 'EmailAddress', identifierValue: 'ada@example.com' },
            { identifierType: 'PhoneNumber', identifierValue: '15551234567' }
          ],
          dataFields: { orderId: '7', orderTotal: '19.9', itemCount: '2' }
        }
      ]
    })
  })

  it('sends a good email without the malformed phone beside it, and returns the warning in its body', async () => {
    schemaAnswer()
    let posted: { events: { identifiers: unknown[] }[] } | undefined
    nock(API)
      .post(`${BASE}/eventConfigurations/${EVENT_UID}/events`, (body: typeof posted) => {
        posted = body
        return true
      })
      .reply(200, { data: [], meta: { statusCode: 200 } })

    await testDestination.testAction('sendCustomEvent', {
      event: order({ email: 'ada@example.com', phone: '12', order_id: 'A' }),
      mapping,
      settings: freshSettings(),
      auth
    })

    expect(posted?.events[0].identifiers).toEqual([
      { identifierType: 'EmailAddress', identifierValue: 'ada@example.com' }
    ])
    const executed = testDestination.results.find((result) => result.output === 'Action Executed')
    expect(executed?.data).toMatchObject({
      warnings: ['phoneNumber "12" is not a phone number: it has 2 digits, expected 7 to 15.']
    })
  })

  it('throws a PayloadValidationError for an event with no usable identifier, and sends nothing', async () => {
    schemaAnswer()
    const post = nock(API).post(`${BASE}/eventConfigurations/${EVENT_UID}/events`).reply(200, {})

    const error = await testDestination
      .testAction('sendCustomEvent', { event: order({ phone: '12' }), mapping, settings: freshSettings(), auth })
      .catch((e: unknown) => e)

    expect(error).toBeInstanceOf(PayloadValidationError)
    expect(error).toMatchObject({
      status: 400,
      message: expect.stringMatching(/no usable identifier: phoneNumber "12"/)
    })
    expect(post.isDone()).toBe(false)
  })

  it('throws a PayloadValidationError naming the field for a value that will not coerce', async () => {
    schemaAnswer()
    await expect(
      testDestination.testAction('sendCustomEvent', {
        event: order({ email: 'a@example.com', total: 'N/A' }),
        mapping,
        settings: freshSettings(),
        auth
      })
    ).rejects.toThrow(
      new PayloadValidationError('dataFields.orderTotal (Double) cannot take the value "N/A": not a finite number.')
    )
  })

  it('throws a RetryableError for a 503 and an InvalidAuthenticationError for a 401', async () => {
    const settings = freshSettings()
    schemaAnswer()
    nock(API).post(`${BASE}/eventConfigurations/${EVENT_UID}/events`).reply(503, {})
    const unavailable = await testDestination
      .testAction('sendCustomEvent', { event: order({ email: 'a@example.com' }), mapping, settings, auth })
      .catch((e: unknown) => e)
    expect(unavailable).toBeInstanceOf(RetryableError)
    expect(unavailable).toMatchObject({ status: 503 })

    nock(API).post(`${BASE}/eventConfigurations/${EVENT_UID}/events`).reply(401, {})
    const refused = await testDestination
      .testAction('sendCustomEvent', { event: order({ email: 'a@example.com' }), mapping, settings, auth })
      .catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(InvalidAuthenticationError)
  })

  it('fails with a 502 when Listrak answers the schema with a body the contract does not allow', async () => {
    nock(API)
      .get(`${BASE}/eventConfigurations/${EVENT_UID}`)
      .reply(200, { data: { eventUID: EVENT_UID, eventSchemaAttrs: { orderId: 'Varchar' } } })
    await expect(
      testDestination.testAction('sendCustomEvent', {
        event: order({ email: 'a@example.com' }),
        mapping,
        settings: freshSettings(),
        auth
      })
    ).rejects.toMatchObject({ status: 502, message: expect.stringMatching(/does not match its API contract/) })
  })

  it('finds the event configuration by name when the value is not an eventUID', async () => {
    nock(API)
      .get(`${BASE}/eventConfigurations`)
      .reply(200, { data: [{ eventUID: EVENT_UID, eventName: 'Order Completed' }], meta: { statusCode: 200 } })
    schemaAnswer()
    const post = nock(API)
      .post(`${BASE}/eventConfigurations/${EVENT_UID}/events`)
      .reply(200, { data: [], meta: { statusCode: 200 } })

    await testDestination.testAction('sendCustomEvent', {
      event: order({ email: 'a@example.com' }),
      mapping: { ...mapping, eventUID: { '@path': '$.event' } },
      settings: freshSettings(),
      auth
    })

    expect(post.isDone()).toBe(true)
  })
})

describe('sendCustomEvent performBatch', () => {
  it('gives every event its own result, with warnings in the body of a success', async () => {
    schemaAnswer()
    nock(API)
      .post(`${BASE}/eventConfigurations/${EVENT_UID}/events`)
      .reply(200, {
        data: [
          {
            statusCode: 400,
            identifiers: [{ identifierType: 'EmailAddress', identifierValue: 'rejected@example.com' }],
            errors: [{ errorType: 'InvalidIdentifier', errorMessage: 'unsubscribed' }]
          }
        ],
        meta: { statusCode: 200 }
      })

    await testDestination.testBatchAction('sendCustomEvent', {
      events: [
        order({ email: 'ada@example.com', phone: '12' }),
        order({ phone: '12' }),
        order({ email: 'rejected@example.com' }),
        order({ email: 'bob@example.com', item_count: 1.5 })
      ],
      mapping,
      settings: freshSettings(),
      auth
    })

    const results = testDestination.results[0].multistatus ?? []
    expect(results.map((result) => result.status)).toEqual([200, 400, 400, 400])
    expect(results[0]).toMatchObject({
      body: { warnings: [expect.stringMatching(/^phoneNumber "12"/)] },
      sent: { identifiers: [{ identifierType: 'EmailAddress', identifierValue: 'ada@example.com' }] }
    })
    expect(results[1]).toMatchObject({
      errortype: 'PAYLOAD_VALIDATION_FAILED',
      errormessage: expect.stringMatching(/no usable identifier/)
    })
    expect(results[2]).toMatchObject({ errormessage: 'Listrak rejected the recipient (400): unsubscribed' })
    expect(results[3]).toMatchObject({
      errortype: 'PAYLOAD_VALIDATION_FAILED',
      errormessage: 'dataFields.itemCount (Int) cannot take the value 1.5: not an integer.'
    })
  })

  it('sends a batch that fits batch_bytes to the byte as one body, and splits it when it is one byte over', async () => {
    // Two bytes a character in UTF-8: the bound is in bytes, not characters.
    const events = [order({ email: 'a@example.com', order_id: 'é'.repeat(600) }), order({ email: 'b@example.com' })]
    const sent = events.map((event) => ({
      identifiers: [{ identifierType: 'EmailAddress', identifierValue: (event.properties as JSONObject).email }],
      dataFields: { orderId: (event.properties as JSONObject).order_id }
    }))
    const bytes = Buffer.byteLength(JSON.stringify({ events: sent }))
    const bodiesAt = async (batchBytes: number) => {
      nock.cleanAll()
      schemaAnswer()
      const bodies: unknown[] = []
      nock(API)
        .post(`${BASE}/eventConfigurations/${EVENT_UID}/events`, (body) => bodies.push(body) > 0)
        .times(2)
        .reply(200, { data: [], meta: { statusCode: 200 } })
      await testDestination.testBatchAction('sendCustomEvent', {
        events,
        mapping: { ...mapping, batch_bytes: batchBytes },
        settings: freshSettings(),
        auth
      })
      return bodies
    }
    expect(await bodiesAt(bytes)).toEqual([{ events: sent }])
    expect(await bodiesAt(bytes - 1)).toEqual([{ events: [sent[0]] }, { events: [sent[1]] }])
  })

  it('reports a whole-request 429 on every event, as retryable', async () => {
    schemaAnswer()
    nock(API).post(`${BASE}/eventConfigurations/${EVENT_UID}/events`).reply(429, {})
    await testDestination.testBatchAction('sendCustomEvent', {
      events: [order({ email: 'a@example.com' }), order({ email: 'b@example.com' })],
      mapping,
      settings: freshSettings(),
      auth
    })
    expect(testDestination.results[0].multistatus).toMatchObject([
      { status: 429, errortype: 'TOO_MANY_REQUESTS' },
      { status: 429, errortype: 'TOO_MANY_REQUESTS' }
    ])
  })
})

describe('the event configuration cache', () => {
  const send = (actionConfigId: string) =>
    testDestination.testAction('sendCustomEvent', {
      event: order({ email: 'a@example.com' }),
      mapping,
      settings: { client_id: 'shared-client', client_secret: 'secret' },
      auth,
      subscriptionMetadata: { actionConfigId, destinationConfigId: 'd', actionId: 'a', sourceId: 's' }
    })

  it("is kept per subscription (actionConfigId): one subscription reads the schema once, another never reads the first's", async () => {
    const schema = nock(API)
      .get(`${BASE}/eventConfigurations/${EVENT_UID}`)
      .times(2)
      .reply(200, { data: { eventUID: EVENT_UID, eventSchemaAttrs: SCHEMA } })
    nock(API)
      .post(`${BASE}/eventConfigurations/${EVENT_UID}/events`)
      .times(3)
      .reply(200, { data: [], meta: { statusCode: 200 } })

    await send('subscription-1')
    await send('subscription-1')
    expect(schema.pendingMocks()).toHaveLength(1)
    await send('subscription-2')
    expect(schema.isDone()).toBe(true)
  })
})

describe('large answers', () => {
  it('reads a per-recipient answer of more than 16 KB (actions-core must not leave a cloned body unread)', async () => {
    const emails = Array.from({ length: 400 }, (_, i) => `recipient-${i}@example.com`)
    schemaAnswer()
    nock(API)
      .post(`${BASE}/eventConfigurations/${EVENT_UID}/events`)
      .reply(200, {
        data: emails.map((email) => ({
          statusCode: 200,
          identifiers: [{ identifierType: 'EmailAddress', identifierValue: email }]
        })),
        meta: { statusCode: 200 }
      })

    await testDestination.testBatchAction('sendCustomEvent', {
      events: emails.map((email) => order({ email })),
      mapping,
      settings: freshSettings(),
      auth
    })

    expect(testDestination.results[0].multistatus?.map((result) => result.status)).toEqual(emails.map(() => 200))
  })
})

describe('RETRYABLE_STATUSES', () => {
  it('is exactly the set the pipeline retries', () => {
    expect([...RETRYABLE_STATUSES].sort()).toEqual([408, 429, 500, 502, 503, 504])
  })
})
