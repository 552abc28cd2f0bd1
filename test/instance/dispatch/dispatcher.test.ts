import { Dispatcher } from '../../../src/instance/dispatch/dispatcher'
import type { Item } from '../../../src/instance/dispatch/dispatcher'
import { AdaptiveLimiter } from '../../../src/instance/dispatch/limiter'
import type { Outcome } from '../../../src/instance/outcome'
import { RunFailure } from '../../../src/instance/preflight'
import type { Route } from '../../../src/instance/routes'

const route: Route = {
  index: 0,
  name: 'Orders',
  subscription: { subscribe: 'type = "track"', partnerAction: 'sendCustomEvent', mapping: {} },
  batchKeys: [],
  matches: () => true,
  batchKeyOf: () => ''
}

interface TestItem extends Item {
  id: string
}

const itemsOf = (...ids: string[]): TestItem[] =>
  ids.map((id) => ({ id, attempts: 0, event: { type: 'track', messageId: id } }))

/** A dispatcher whose batches `answer` decides, recording every batch sent and how each item ended. */
function dispatcherWith(answer: (items: TestItem[]) => Outcome[], maxAttempts = 3) {
  const sent: string[][] = []
  const ends: Record<string, string> = {}
  const failures: { error: unknown; unsettled: string[] }[] = []
  const dispatcher = new Dispatcher<TestItem>({
    limiter: new AdaptiveLimiter(2),
    retry: { maxAttempts, baseDelayMs: 1, maxDelayMs: 2 },
    send: (_route, items) => {
      sent.push(items.map((item) => item.id))
      return Promise.resolve({ outcomes: answer(items), statuses: {} })
    },
    settlement: {
      accepted: (item) => (ends[item.id] = 'accepted'),
      filtered: (item) => (ends[item.id] = 'filtered'),
      rejected: (item, _route, status, reason) => (ends[item.id] = `rejected ${status} ${reason}`),
      gaveUp: (item, _route, status, reason, attempts) => (ends[item.id] = `gave up ${status} ${reason} ${attempts}`)
    },
    onFailure: (error, _route, items) => failures.push({ error, unsettled: items.map((item) => item.id) })
  })
  return { dispatcher, sent, ends, failures }
}

const refusedWhole: Outcome = { kind: 'failed', status: 400, reason: 'Bad request', reporter: 'DESTINATION' }

describe('Dispatcher', () => {
  it('halves a batch refused whole until the event at fault stands alone, and sends the others', async () => {
    const { dispatcher, sent, ends, failures } = dispatcherWith((items) =>
      items.some((item) => item.id === 'c')
        ? items.map(() => refusedWhole)
        : items.map(() => ({ kind: 'accepted', warnings: [] }))
    )
    dispatcher.dispatch(route, itemsOf('a', 'b', 'c', 'd'))
    await dispatcher.idle()
    expect(ends).toEqual({ a: 'accepted', b: 'accepted', c: 'rejected 400 Bad request', d: 'accepted' })
    expect(sent.map((batch) => batch.join('')).sort()).toEqual(['ab', 'abcd', 'c', 'cd', 'd'])
    expect(dispatcher.stats.splits).toBe(2)
    expect(failures).toEqual([])
  })

  it('rejects each event of a batch that names its failures, without splitting it', async () => {
    const { dispatcher, ends } = dispatcherWith((items) =>
      items.map((item) =>
        item.id === 'b'
          ? { kind: 'failed', status: 400, reason: 'bad email', reporter: 'DESTINATION' }
          : { kind: 'accepted', warnings: [] }
      )
    )
    dispatcher.dispatch(route, itemsOf('a', 'b'))
    await dispatcher.idle()
    expect(ends).toEqual({ a: 'accepted', b: 'rejected 400 bad email' })
    expect(dispatcher.stats.splits).toBe(0)
  })

  it('stops the run, settling nothing, when a batch is refused whole for the run itself (401)', async () => {
    const { dispatcher, ends, failures } = dispatcherWith((items) =>
      items.map(() => ({ kind: 'failed', status: 401, reason: 'Unauthorized', reporter: 'DESTINATION' }))
    )
    dispatcher.dispatch(route, itemsOf('a', 'b'))
    await dispatcher.idle()
    expect(ends).toEqual({})
    expect(failures).toHaveLength(1)
    expect(failures[0].error).toBeInstanceOf(RunFailure)
    expect(failures[0].unsettled).toEqual(['a', 'b'])
  })

  it('gives events up after the retry budget, each with its last error, while the rest of their batch goes through', async () => {
    const failing: Record<string, Outcome> = {
      b: { kind: 'retry', status: 503, reason: 'busy' },
      c: { kind: 'retry', status: 502, reason: 'bad gateway' }
    }
    const { dispatcher, sent, ends, failures } = dispatcherWith((items) =>
      items.map((item) => failing[item.id] ?? { kind: 'accepted', warnings: [] })
    )
    dispatcher.dispatch(route, itemsOf('a', 'b', 'c'))
    await dispatcher.idle()
    expect(ends).toEqual({ a: 'accepted', b: 'gave up 503 busy 3', c: 'gave up 502 bad gateway 3' })
    expect(sent).toEqual([
      ['a', 'b', 'c'],
      ['b', 'c'],
      ['b', 'c']
    ])
    expect(dispatcher.stats).toMatchObject({ batches: 3, retriedBatches: 2, retriedEvents: 4 })
    expect(failures).toEqual([])
  })

  it('stops the run, settling nothing, when a whole batch still fails the same way after the retry budget', async () => {
    const { dispatcher, sent, ends, failures } = dispatcherWith((items) =>
      items.map(() => ({ kind: 'retry', status: 503, reason: 'down' }))
    )
    dispatcher.dispatch(route, itemsOf('a', 'b'))
    await dispatcher.idle()
    expect(sent).toHaveLength(3)
    expect(ends).toEqual({})
    expect(failures).toHaveLength(1)
    expect(String(failures[0].error)).toMatch(/still failing after 3 attempts \(503: down\)/)
    expect(failures[0].unsettled).toEqual(['a', 'b'])
  })

  it('sends a retried event again after a backoff, and settles it on the attempt that succeeds', async () => {
    let calls = 0
    const { dispatcher, ends } = dispatcherWith((items) =>
      items.map(() =>
        ++calls === 1 ? { kind: 'retry', status: 429, reason: 'slow down' } : { kind: 'accepted', warnings: [] }
      )
    )
    dispatcher.dispatch(route, itemsOf('a'))
    await dispatcher.idle()
    expect(ends).toEqual({ a: 'accepted' })
    expect(dispatcher.stats).toMatchObject({ batches: 2, retriedEvents: 1 })
  })
})
