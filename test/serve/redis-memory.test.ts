import { RedisMemory } from '../../src/serve'
import { ORDER_EVENT, waitFor, withSimulator } from '../helpers'
import { startRedis } from '../redis-server'
import type { TestRedis } from '../redis-server'
import { ORDERS_UID, post, sampleEvents, startFailingProxy, startTestRelay } from './fixtures'

let redis: TestRedis
beforeAll(async () => {
  redis = await startRedis()
})
afterAll(() => redis.stop())

const states: string[] = []
const connect = (prefix: string) =>
  RedisMemory.connect({ url: redis.url, claimTtlMs: 5000, prefix, onState: (state) => states.push(state) })

describe('RedisMemory', () => {
  it('claims an event once across relays, remembers deliveries, and releases only its own claim', async () => {
    const [a, b] = await Promise.all([connect('unit:'), connect('unit:')])
    try {
      expect(await a.claim('e1')).toBe('claimed')
      expect(await b.claim('e1')).toBe('in-flight')
      await b.release('e1')
      expect(await b.claim('e1')).toBe('in-flight')
      await a.delivered('e1')
      expect(await b.claim('e1')).toBe('delivered')
      expect(await a.claim('e2')).toBe('claimed')
      await a.release('e2')
      expect(await b.claim('e2')).toBe('claimed')
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  it('names the URL without its password when Redis cannot be reached', async () => {
    const error = await RedisMemory.connect({
      url: 'redis://:hunter2@127.0.0.1:1',
      claimTtlMs: 1000,
      onState: () => undefined
    }).catch((problem: unknown) => problem as Error)
    expect((error as Error).message).toMatch(/^Cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/)
    expect((error as Error).message).not.toContain('hunter2')
  })
})

describe('relays sharing one Redis', () => {
  it('sends each event once when a request answered 503 by one relay is retried on the other', () =>
    withSimulator({}, async (simulator) => {
      const proxy = await startFailingProxy(simulator, ORDERS_UID)
      const [memoryA, memoryB] = await Promise.all([connect('shared:'), connect('shared:')])
      const failing = await startTestRelay({ apiUrl: proxy.apiUrl, tokenUrl: simulator.tokenUrl }, simulator, {
        memory: memoryA
      })
      const healthy = await startTestRelay(simulator, simulator, { memory: memoryB })
      try {
        const body = JSON.stringify(sampleEvents('lb', 3))
        expect((await post(`${failing.url}/v1/events`, body)).status).toBe(503)
        expect(simulator.state.journal).toHaveLength(6)
        const retried = await post(`${healthy.url}/v1/events`, body)
        expect(retried.status).toBe(200)
        const statuses = retried.body.results?.map((result) => result.status)
        expect(statuses).toEqual([
          'delivered',
          'repeat',
          'repeat',
          'delivered',
          'repeat',
          'repeat',
          'delivered',
          'repeat',
          'repeat'
        ])
        const { journal } = simulator.state
        expect(journal).toHaveLength(9)
        expect(journal.filter((entry) => entry.eventUID === ORDER_EVENT.eventUID)).toHaveLength(3)
      } finally {
        await Promise.all([failing.close(), healthy.close()])
        await proxy.close()
      }
    }))

  it('answers 503 and sends nothing while Redis is down, and recovers by itself when it is back', () =>
    withSimulator({}, async (simulator) => {
      const memory = await connect('outage:')
      const relay = await startTestRelay(simulator, simulator, { memory })
      try {
        expect((await post(`${relay.url}/v1/events`, JSON.stringify(sampleEvents('before')))).status).toBe(200)
        expect(simulator.state.journal).toHaveLength(3)
        states.length = 0
        await redis.stop()
        await waitFor(async () => (await fetch(`${relay.url}/readyz`)).status === 503, 'readyz to turn 503')
        const during = JSON.stringify(sampleEvents('during'))
        const refused = await post(`${relay.url}/v1/events`, during)
        expect(refused.status).toBe(503)
        expect(refused.body.error).toMatch(/memory of delivered events cannot be reached/)
        expect(simulator.state.journal).toHaveLength(3)

        await redis.start()
        await waitFor(async () => (await fetch(`${relay.url}/readyz`)).status === 200, 'readyz to turn 200 again')
        expect(states).toEqual(['unreachable', 'reachable'])
        const retried = await post(`${relay.url}/v1/events`, during)
        expect(retried.status).toBe(200)
        expect(simulator.state.journal).toHaveLength(6)
        expect((await post(`${relay.url}/v1/events`, during)).body.results?.every((r) => r.status === 'repeat')).toBe(
          true
        )
        expect(simulator.state.journal).toHaveLength(6)
      } finally {
        await relay.close()
      }
    }))
})
