import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { workDir } from '../backfill/fixtures'
import { ORDER_EVENT, waitFor, withSimulator } from '../helpers'
import { runMain } from '../cli/run-main'
import { instance, ORDERS_UID, post, sampleEvents, startFailingProxy, startTestRelay, withRelay } from './fixtures'

describe('the relay answers for every event', () => {
  it('delivers each event to its subscription once, and a repeat of the request sends nothing', () =>
    withRelay({}, async (relay, simulator) => {
      const events = sampleEvents('a', 2)
      const first = await post(`${relay.url}/v1/events`, JSON.stringify(events))
      expect(first.status).toBe(200)
      expect(first.body.results?.map((result) => result.status)).toEqual(events.map(() => 'delivered'))
      expect(simulator.state.journal).toHaveLength(6)
      const again = await post(`${relay.url}/v1/events`, JSON.stringify(events))
      expect(again.status).toBe(200)
      expect(again.body.results?.map((result) => result.status)).toEqual(events.map(() => 'repeat'))
      expect(simulator.state.journal).toHaveLength(6)
    }))

  it('answers 200 naming the rejection of an event without identifiers beside a good one', () =>
    withSimulator({}, async (simulator) => {
      const deadLetterPath = path.join(workDir(), 'relay-dead-letters.ndjson')
      const relay = await startTestRelay(simulator, simulator, { deadLetterPath })
      try {
        const [good] = sampleEvents('b')
        const bad = { ...good, messageId: 'b-no-email', context: {} }
        const answer = await post(`${relay.url}/v1/events`, JSON.stringify([good, bad]))
        expect(answer.status).toBe(200)
        expect(answer.body.results).toMatchObject([
          { index: 0, status: 'delivered', subscription: 'Orders' },
          {
            index: 1,
            status: 'rejected',
            subscription: 'Orders',
            reason: expect.stringMatching(/no usable identifier/)
          }
        ])
        expect(simulator.state.journal).toHaveLength(1)
        await relay.close()
        const letters = readFileSync(deadLetterPath, 'utf8').trim().split('\n')
        const letter: unknown = JSON.parse(letters[0])
        expect(letters).toHaveLength(1)
        expect(letter).toMatchObject({ deadLetter: { subscription: 'Orders', status: 400 }, raw: JSON.stringify(bad) })
        // The log names the rejection without the reason's text, which may quote a value.
        expect(relay.logs).toContainEqual(
          expect.objectContaining({ level: 'warn', subscription: 'Orders', rejected: 400 })
        )
      } finally {
        await relay.close()
      }
    }))

  it('answers 503 when Listrak fails for one subscription, and the retry sends only what was not delivered', () =>
    withSimulator({}, async (simulator) => {
      const proxy = await startFailingProxy(simulator, ORDERS_UID)
      const relay = await startTestRelay({ apiUrl: proxy.apiUrl, tokenUrl: simulator.tokenUrl }, simulator)
      try {
        const body = JSON.stringify(sampleEvents('c', 3))
        const failed = await post(`${relay.url}/v1/events`, body)
        expect(failed.status).toBe(503)
        expect(failed.headers.get('retry-after')).toMatch(/^\d+$/)
        const perEvent = ['Orders:retry', 'Product views:delivered', 'Sign-ups:delivered']
        expect(failed.body.results?.map((result) => `${result.subscription}:${result.status}`)).toEqual([
          ...perEvent,
          ...perEvent,
          ...perEvent
        ])
        const delivered = simulator.state.journal.length
        expect(delivered).toBe(6)

        proxy.state.failing = false
        const retried = await post(`${relay.url}/v1/events`, body)
        expect(retried.status).toBe(200)
        const afterRetry = ['Orders:delivered', 'Product views:repeat', 'Sign-ups:repeat']
        expect(retried.body.results?.map((result) => `${result.subscription}:${result.status}`)).toEqual([
          ...afterRetry,
          ...afterRetry,
          ...afterRetry
        ])
        const journal = simulator.state.journal
        expect(journal).toHaveLength(9)
        expect(journal.slice(delivered).every((entry) => entry.eventUID === ORDER_EVENT.eventUID)).toBe(true)
      } finally {
        await relay.close()
        await proxy.close()
      }
    }))

  it('answers 503 for what is not finished within the deadline, and remembers it once delivered', () =>
    withSimulator({ faults: { latencyMs: 400 } }, async (simulator) => {
      const relay = await startTestRelay(simulator, simulator, { deadlineMs: 50 })
      try {
        const body = JSON.stringify(sampleEvents('d'))
        const late = await post(`${relay.url}/v1/events`, body)
        expect(late.status).toBe(503)
        expect(late.body.results?.every((result) => result.status === 'retry')).toBe(true)
        // The events were on their way: once Listrak has them, a retry sends nothing again.
        await waitFor(() => simulator.state.journal.length === 3, 'the late events to reach the simulator')
        await waitFor(async () => {
          const retried = await post(`${relay.url}/v1/events`, body)
          return retried.status === 200 && retried.body.results?.every((result) => result.status === 'repeat') === true
        }, 'a retry answered with repeats')
        expect(simulator.state.journal).toHaveLength(3)
      } finally {
        await relay.close()
      }
    }))
})

describe('coalescing', () => {
  it('sends 500 concurrent single-event requests in at most 50 Listrak requests, answering each with its own', () =>
    withSimulator({}, async (simulator) => {
      // A linger longer than the default: on a busy machine 500 requests take longer than 20 ms to arrive.
      const relay = await startTestRelay(simulator, simulator, { lingerMs: 200 })
      try {
        const orders = sampleEvents('one', 500).filter((event) => event.event === 'Order Completed')
        const answers = await Promise.all(orders.map((event) => post(`${relay.url}/v1/track`, JSON.stringify(event))))
        answers.forEach((answer, i) => {
          expect(answer.status).toBe(200)
          expect(answer.body.results).toEqual([
            { index: 0, messageId: orders[i].messageId, subscription: 'Orders', status: 'delivered' }
          ])
        })
        const { journal } = simulator.state
        expect(journal).toHaveLength(500)
        const listrakRequests = new Set(journal.map((entry) => entry.requestId)).size
        expect(listrakRequests).toBeLessThanOrEqual(50)
      } finally {
        await relay.close()
      }
    }))
})

describe("the relay's dead letters", () => {
  it('replay through a backfill to the subscription that rejected them, and are refused for a subscription renamed', () =>
    withSimulator({}, async (simulator) => {
      const dir = workDir()
      const deadLetterPath = path.join(dir, 'relay-dead-letters.ndjson')
      const relay = await startTestRelay(simulator, simulator, { deadLetterPath })
      const [order] = sampleEvents('replay')
      try {
        const noEmail = { ...order, messageId: 'replay-no-email', context: {} }
        expect((await post(`${relay.url}/v1/events`, JSON.stringify([noEmail]))).body.results).toMatchObject([
          { status: 'rejected' }
        ])
      } finally {
        await relay.close()
      }
      // Fixed by hand: the email put back.
      const fixed = readFileSync(deadLetterPath, 'utf8').replace(
        '"context\\":{}',
        '"context\\":{\\"traits\\":{\\"email\\":\\"fixed@example.com\\"}}'
      )
      writeFileSync(deadLetterPath, fixed)
      const env = {
        LISTRAK_CLIENT_ID: simulator.credentials.clientId,
        LISTRAK_CLIENT_SECRET: simulator.credentials.clientSecret
      }
      const endpoints = { apiUrl: simulator.apiUrl, tokenUrl: simulator.tokenUrl }
      const subscriptions = instance.subscriptions.map(({ key: _key, ...subscription }) => subscription)
      const config = (renamed: boolean) => {
        const file = path.join(dir, `instance-${renamed}.json`)
        const named = renamed
          ? subscriptions.map((s) => (s.name === 'Orders' ? { ...s, name: 'Orders (renamed)' } : s))
          : subscriptions
        writeFileSync(file, JSON.stringify({ endpoints, subscriptions: named }))
        return file
      }
      const out = path.join(dir, 'replay-dead-letters.ndjson')
      const refused = await runMain(
        ['backfill', '--quiet', '--config', config(true), '--dead-letter', out, deadLetterPath],
        env
      )
      expect(refused.status).toBe(2)
      expect(refused.stderr).toMatch(/subscriptions the configuration does not have: "Orders" .*Nothing was sent\./)
      expect(simulator.state.journal).toHaveLength(0)
      const replayed = await runMain(
        ['backfill', '--quiet', '--config', config(false), '--dead-letter', out, deadLetterPath],
        env
      )
      expect(replayed.status).toBe(0)
      expect(simulator.state.journal.map((entry) => entry.dataFields.orderId)).toEqual(['replay-0'])
    }))
})
