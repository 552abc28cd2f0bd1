import { createHmac } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { ConfigError } from '../../src/instance'
import { withSimulator } from '../helpers'
import { post, sampleEvents, startTestRelay, withRelay } from './fixtures'

const KEY = 'relay-key-1'
const SECRET = 'shared-signing-secret'
const basic = (user: string) => `Basic ${Buffer.from(`${user}:`).toString('base64')}`
const sign = (data: string) => createHmac('sha1', SECRET).update(data).digest('hex')
const json = { 'content-type': 'application/json' }

describe('who may post', () => {
  it.each([
    ['a key as HTTP Basic user name (a Segment write key)', { authorization: basic(KEY) }, 200],
    ['a key as a bearer token', { authorization: `Bearer ${KEY}` }, 200],
    ['a second key, while keys rotate', { authorization: `Bearer old-key` }, 200],
    ['a wrong key', { authorization: basic('wrong') }, 401],
    ['no credentials', {}, 401]
  ])('%s', (_case, headers, status) =>
    withRelay({ credentials: { keys: [KEY, 'old-key'] } }, async (relay, simulator) => {
      const answer = await post(`${relay.url}/v1/events`, JSON.stringify(sampleEvents('k')), { ...json, ...headers })
      expect(answer.status).toBe(status)
      expect(simulator.state.journal).toHaveLength(status === 200 ? 3 : 0)
    })
  )

  it.each([
    ['one event signed as Segment signs it', (body: string) => sign(body), false, 200],
    ['a batch signed on its first event only (Segment batch mode)', (body: string) => sign(body), true, 200],
    ['a wrong signature', () => sign('something else'), false, 401]
  ])('%s', (_case, signatureOf, batch, status) =>
    withRelay({ credentials: { keys: [], signingSecret: SECRET } }, async (relay, simulator) => {
      const events = sampleEvents('s')
      const body = JSON.stringify(batch ? events : events[0])
      const signature = signatureOf(batch ? JSON.stringify(events[0]) : body)
      const answer = await post(`${relay.url}/v1/events`, body, { ...json, 'x-signature': signature })
      expect(answer.status).toBe(status)
      expect(simulator.state.journal).toHaveLength(status === 200 ? (batch ? 3 : 1) : 0)
    })
  )

  it('refuses to listen beyond loopback without credentials', () =>
    withSimulator({}, async (simulator) => {
      const error = await startTestRelay(simulator, simulator, { listen: { port: 0, host: '0.0.0.0' } }).catch(
        (problem: unknown) => problem
      )
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as Error).message).toMatch(/LISTRAK_RELAY_KEYS/)
    }))
})

describe('bodies it refuses, sending nothing, and lives on', () => {
  const big = 'x'.repeat(40_000)
  it.each([
    ['not JSON', '{"batch": [', json, 400, /not JSON/],
    [
      'not JSON, quoting no value',
      '{"email": "ada@example.com" x}',
      json,
      400,
      /^the body is not JSON \(at byte 28\)$/
    ],
    ['gzip without its header', gzipSync('[]'), json, 400, /Content-Encoding: gzip/],
    ['no events', '[]', json, 400, /no events/],
    ['an event that is not an object', '[1]', json, 400, /event 0: not a JSON object/],
    [
      "mParticle's own batch format",
      '{"events": [{"data": {}}]}',
      json,
      400,
      /event 0\.type: missing: a Segment-spec event has a type/
    ],
    [
      'an event of no Segment type',
      '[{"type": "order"}]',
      json,
      400,
      /event 0\.type: "order" is not a Segment event type \(track, /
    ],
    [
      'a batch without its array',
      '{"events": []}',
      json,
      400,
      /v1\/batch takes .*batch: the body has no "batch" array/,
      '/v1/batch'
    ],
    ['a messageId that is not a string', '[{"type": "track", "messageId": 7}]', json, 400, /event 0\.messageId: /],
    ['an event over 32 KB', JSON.stringify([{ type: 'track', properties: { big } }]), json, 413, /event 0: .* bytes/],
    ['a body over the limit', JSON.stringify([{ type: 'track', big: 'y'.repeat(5_000_000) }]), json, 413, /body/],
    ['another content type', 'a=b', { 'content-type': 'application/x-www-form-urlencoded' }, 415, /not JSON/],
    ['a path it does not serve', '[]', json, 404, /no such path/, '/v2/track']
  ])('%s', (_case, body, headers, status, message, path = '/v1/events') =>
    withRelay({}, async (relay, simulator) => {
      const answer = await post(`${relay.url}${path}`, body, headers)
      expect(answer.status).toBe(status)
      expect(answer.body.error).toMatch(message)
      const after = await post(`${relay.url}/v1/events`, JSON.stringify(sampleEvents('after')))
      expect(after.status).toBe(200)
      expect(simulator.state.journal).toHaveLength(3)
    })
  )
})

describe('what it reads', () => {
  it('takes gzip bodies, Segment batches with a shared context, and single events typed by their path', () =>
    withRelay({}, async (relay, simulator) => {
      const [order, view, signup] = sampleEvents('g')
      const batch = { batch: [{ ...order, context: undefined }], context: order.context }
      const zipped = await post(`${relay.url}/v1/batch`, gzipSync(JSON.stringify(batch)), {
        ...json,
        'content-encoding': 'gzip'
      })
      expect(zipped.body.results).toMatchObject([{ status: 'delivered', subscription: 'Orders' }])
      const tracked = await post(`${relay.url}/v1/track`, JSON.stringify({ ...view, type: undefined }))
      expect(tracked.body.results).toMatchObject([{ status: 'delivered', subscription: 'Product views' }])
      const page = await post(`${relay.url}/v1/page`, JSON.stringify({ messageId: 'g-page', name: 'Home' }))
      expect(page).toMatchObject({ status: 200, body: { results: [{ status: 'unmatched' }] } })
      const identified = await post(`${relay.url}/v1/identify`, JSON.stringify(signup))
      expect(identified.body.results).toMatchObject([{ status: 'delivered', subscription: 'Sign-ups' }])
      expect(simulator.state.journal).toHaveLength(3)
    }))

  it('refuses an element that is no event alone, delivering the others of its request', () =>
    withRelay({}, async (relay, simulator) => {
      const [order] = sampleEvents('mixed')
      const answer = await post(`${relay.url}/v1/events`, JSON.stringify([order, 5, { ...order, type: 'trak' }]))
      expect(answer.status).toBe(200)
      expect(answer.body.results).toMatchObject([
        { index: 0, status: 'delivered' },
        { index: 1, status: 'invalid', reason: 'event 1: not a JSON object' },
        {
          index: 2,
          status: 'invalid',
          reason: expect.stringMatching(/^event 2\.type: "trak" is not a Segment event type/)
        }
      ])
      expect(simulator.state.journal).toHaveLength(1)
    }))

  it('knows an event without a messageId by its content, so that its retry is a repeat', () =>
    withRelay({}, async (relay, simulator) => {
      const [order] = sampleEvents('m')
      const body = JSON.stringify({ ...order, messageId: undefined })
      expect((await post(`${relay.url}/v1/events`, body)).body.results).toMatchObject([{ status: 'delivered' }])
      expect((await post(`${relay.url}/v1/events`, body)).body.results).toMatchObject([{ status: 'repeat' }])
      expect(simulator.state.journal).toHaveLength(1)
    }))
})

describe('metrics', () => {
  it('asks a scraper for a key when the relay has keys', () =>
    withRelay({ credentials: { keys: [KEY] } }, async (relay) => {
      expect((await fetch(`${relay.url}/metrics`)).status).toBe(401)
      expect((await fetch(`${relay.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200)
    }))
})

describe('health', () => {
  it('is alive and ready, and not ready once it shuts down', () =>
    withSimulator({}, async (simulator) => {
      const relay = await startTestRelay(simulator, simulator)
      expect((await fetch(`${relay.url}/healthz`)).status).toBe(200)
      expect((await fetch(`${relay.url}/readyz`)).status).toBe(200)
      await relay.close()
      await expect(fetch(`${relay.url}/readyz`)).rejects.toThrow()
    }))
})
