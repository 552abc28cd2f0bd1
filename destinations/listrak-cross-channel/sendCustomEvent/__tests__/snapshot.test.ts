import { createTestEvent, createTestIntegration } from '@segment/actions-core'
import type { JSONObject } from '@segment/actions-core'
import nock from 'nock'
import destination from '../../index'

const testDestination = createTestIntegration(destination)
const destinationSlug = 'ListrakCrossChannel'
const actionSlug = 'sendCustomEvent'
const API = 'https://api.listrak.com/crosschannel/v1'
const EVENT_UID = '2b7d9f40-8c3e-4f6a-b1d2-7e5a9c0f4d12'

// Segment's template answers every request with an empty 200; this destination reads the event's
// schema first, so the schema GET gets an answer of the contract's shape.
function answerAll(): void {
  nock(API)
    .persist()
    .get(`/eventConfigurations/${EVENT_UID}`)
    .reply(200, {
      data: {
        eventUID: EVENT_UID,
        eventName: 'Product Browsed',
        eventSchemaAttrs: { sku: 'String', price: 'Double', quantity: 'Int', viewedAt: 'Date' }
      }
    })
  nock(API)
    .persist()
    .post(/.*/)
    .reply(200, { data: [], meta: { statusCode: 200 } })
}

const event = createTestEvent({
  type: 'track',
  event: 'Product Viewed',
  timestamp: '2024-03-01T10:20:30.000Z',
  context: { traits: { email: 'Snapshot@Example.com', phone: '+1 555 010 2030' } },
  properties: { sku: 'SKU-1', price: '12.50', quantity: 3, viewedAt: 1709288430, color: 'red' }
})

async function postedBody(mapping: JSONObject, client: string): Promise<unknown> {
  const responses = await testDestination.testAction('sendCustomEvent', {
    event,
    mapping,
    settings: { client_id: client, client_secret: 'snapshot-secret' },
    auth: { accessToken: 'snapshot-token', refreshToken: '' }
  })
  const post = responses.find((response) => response.request.method === 'POST')
  return JSON.parse(await (post?.request as Request).text()) as unknown
}

beforeAll(() => nock.disableNetConnect())
afterEach(() => nock.cleanAll())
afterAll(() => nock.enableNetConnect())

describe(`Testing snapshot for ${destinationSlug}'s ${actionSlug} destination action:`, () => {
  it('required fields', async () => {
    answerAll()
    const body = await postedBody(
      { eventUID: EVENT_UID, phoneNumber: { '@path': '$.context.traits.phone' } },
      'action-snapshot-required'
    )
    expect(body).toMatchSnapshot()
  })

  it('all fields', async () => {
    answerAll()
    const body = await postedBody(
      {
        eventUID: EVENT_UID,
        emailAddress: { '@path': '$.context.traits.email' },
        phoneNumber: { '@path': '$.context.traits.phone' },
        mobileContactUid: 'b3f1c1a0-0000-4000-8000-000000000001',
        dataFields: { sku: { '@path': '$.properties.sku' }, price: { '@path': '$.properties.price' } }
      },
      'action-snapshot-all'
    )
    expect(body).toMatchSnapshot()
  })
})
