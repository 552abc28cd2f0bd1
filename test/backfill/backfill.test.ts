import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import type { DestinationDefinition } from '@segment/actions-core'
import { Backfill } from '../../src/backfill'
import path from 'node:path'
import { DEFAULT_EVENT_CONFIGURATIONS } from '../../src/simulator'
import type { RunningSimulator } from '../../src/simulator'
import { json, SIGNUP_EVENT, startLocalServer, waitFor, withSimulator } from '../helpers'
import {
  arrivals,
  backfillOptions,
  readDeadLetters,
  runBackfill,
  workDir,
  writeCheckpoint,
  writeExport
} from './fixtures'

const order = (
  orderId: string,
  properties: Record<string, unknown> = {},
  traits: Record<string, unknown> = { email: `${orderId}@example.com` }
) =>
  JSON.stringify({
    type: 'track',
    event: 'Order Completed',
    messageId: `m-${orderId}`,
    timestamp: '2025-01-01T00:00:00Z',
    context: { traits },
    properties: { order_id: orderId, ...properties }
  })

describe('backfill into the simulator', () => {
  it('delivers every good event exactly once, dead-letters the bad lines, and its counts add up', () =>
    withSimulator({}, async (simulator) => {
      const dir = workDir()
      const { file, lines, orderIds } = writeExport(dir, 300, {
        5: '{"type":"track","event":',
        10: '',
        20: order('NO-ID', {}, {}),
        30: order('BAD-INT', { quantity: 2.5 }),
        40: order('BAD-DATE').replace('2025-01-01T00:00:00Z', 'soon'),
        50: JSON.stringify({ type: 'identify', traits: { email: 'a@example.com' } }),
        60: '[1, 2, 3]'
      })
      appendFileSync(file, `${lines[1]}\n`) // line 2 again, same messageId: a repeat in the export

      const report = await runBackfill(backfillOptions(simulator, dir, [file]))

      const bad = new Set(['NO-ID', 'BAD-INT', 'BAD-DATE'])
      const good = orderIds.filter((id) => !bad.has(id))
      const arrived = arrivals(simulator)
      expect([...arrived.keys()].sort()).toEqual([...good].sort())
      expect([...arrived.values()].every((count) => count === 1)).toBe(true)

      expect(report.outcome).toBe('completed')
      // The identify call on line 50 goes to the sign-up subscription; the orders to theirs.
      expect(report.counts).toEqual({
        read: 307,
        blankLines: 1,
        unreadable: 2,
        unreadBytes: 0,
        duplicates: 1,
        unmatched: 0,
        unfinished: 0,
        subscriptions: {
          Orders: { accepted: 300, rejected: 3, filtered: 1, warnings: 0 },
          'Product views': { accepted: 0, rejected: 0, filtered: 304, warnings: 0 },
          'Sign-ups': { accepted: 1, rejected: 0, filtered: 303, warnings: 0 }
        }
      })
      expect(simulator.state.journal.filter((entry) => entry.eventUID === SIGNUP_EVENT.eventUID)).toHaveLength(1)

      const letters = readDeadLetters(path.join(dir, 'dead-letters.ndjson'))
      expect(letters.map((letter) => letter.deadLetter.seq).sort((a, b) => a - b)).toEqual([5, 20, 30, 40, 60])
      const byLine = new Map(letters.map((letter) => [letter.deadLetter.seq, letter]))
      expect(byLine.get(5)).toMatchObject({
        raw: '{"type":"track","event":',
        deadLetter: {
          where: 'line 5',
          subscription: null,
          status: null,
          reason: expect.stringMatching(/line 5 of .*not valid JSON/)
        }
      })
      expect(byLine.get(20)).toMatchObject({
        raw: order('NO-ID', {}, {}),
        deadLetter: { subscription: 'Orders', status: 400, reason: expect.stringMatching(/no usable identifier/) }
      })
      expect(byLine.get(30)?.deadLetter.reason).toMatch(/dataFields\.itemCount \(Int\) cannot take the value 2\.5/)
      expect(byLine.get(40)?.deadLetter.reason).toMatch(/dataFields\.orderDate \(Date\)/)
      expect(byLine.get(60)?.deadLetter.reason).toMatch(/not a JSON object/)
    }))

  it('still delivers everything through 500s, 503s, resets, 429s and tokens that expire mid-run', () =>
    withSimulator(
      {
        tokenLifetimeSeconds: 0.3,
        rateLimit: { requestsPerSecond: 40, burst: 4 },
        faults: { errorRate: 0.15, resetRate: 0.05, latencyMs: 5, latencyJitterMs: 10 },
        seed: 11
      },
      async (simulator) => {
        const dir = workDir()
        const { file, orderIds } = writeExport(dir, 600)
        const report = await runBackfill(
          backfillOptions(simulator, dir, [file], { batch: { size: 25, bytes: 4_000_000 }, concurrency: 4 })
        )
        const arrived = arrivals(simulator)
        expect(report.outcome).toBe('completed')
        expect(report.counts.subscriptions.Orders).toMatchObject({ accepted: 600, rejected: 0 })
        expect([...arrived.keys()].sort()).toEqual([...orderIds].sort())
        expect([...arrived.values()].every((count) => count === 1)).toBe(true)
        expect(report.dispatch.retriedEvents).toBeGreaterThan(0)
        expect(report.throttled).toBeGreaterThan(0)
        expect(simulator.state.stats.status5xx).toBeGreaterThan(0)
        expect(simulator.state.stats.tokensIssued).toBeGreaterThan(1)
        expect(existsSync(path.join(dir, 'dead-letters.ndjson'))).toBe(false)
      }
    ))

  it('stops the run when every attempt of a batch fails, dead-lettering nothing and keeping the events for a resume', () =>
    withSimulator({ faults: { errorRate: 1 } }, async (simulator) => {
      const dir = workDir()
      const { file } = writeExport(dir, 3)
      const checkpointPath = path.join(dir, 'checkpoint.json')
      const report = await runBackfill(
        backfillOptions(simulator, dir, [file], {
          checkpointPath,
          retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 }
        })
      )
      expect(report.outcome).toBe('aborted')
      expect(report.abortReason).toMatch(
        /subscription "Orders": still failing after 3 attempts \((500|503): .*\)\. The run stopped; nothing was dead-lettered for it\./
      )
      expect(report.counts).toMatchObject({ unfinished: 3, subscriptions: { Orders: { accepted: 0, rejected: 0 } } })
      expect(existsSync(path.join(dir, 'dead-letters.ndjson'))).toBe(false)
      expect(JSON.parse(readFileSync(checkpointPath, 'utf8'))).toMatchObject({ complete: false, position: null })
    }))

  it('stops when interrupted, checkpoints only finished lines, and a second run completes without sending anything twice', () =>
    withSimulator({ faults: { latencyMs: 20 } }, async (simulator) => {
      const dir = workDir()
      const { file, orderIds } = writeExport(dir, 600)
      const checkpointPath = path.join(dir, 'checkpoint.json')
      const interrupt = new AbortController()
      const watcher = setInterval(() => {
        if (simulator.state.journal.length >= 150) interrupt.abort()
      }, 5)
      const first = await runBackfill(
        backfillOptions(simulator, dir, [file], {
          checkpointPath,
          signal: interrupt.signal,
          batch: { size: 20, bytes: 4_000_000 }
        })
      )
      clearInterval(watcher)
      expect(first.outcome).toBe('aborted')
      const { read, unreadable, duplicates, unmatched, unfinished, subscriptions } = first.counts
      expect(read).toBe(unreadable + duplicates + unmatched + subscriptions.Orders.accepted)
      expect(unfinished).toBeGreaterThan(0)
      const checkpoint = JSON.parse(readFileSync(checkpointPath, 'utf8')) as {
        complete: boolean
        counts: { read: number; subscriptions: { Orders: { accepted: number } } }
      }
      expect(checkpoint.complete).toBe(false)
      expect(checkpoint.counts.subscriptions.Orders.accepted).toBe(simulator.state.journal.length)

      const second = await runBackfill(
        backfillOptions(simulator, dir, [file], { checkpointPath, batch: { size: 20, bytes: 4_000_000 } })
      )
      expect(second.outcome).toBe('completed')
      expect(second.resume?.alreadyFinished).toBe(checkpoint.counts.read)
      expect(second.counts.subscriptions.Orders.accepted).toBe(600)
      const arrived = arrivals(simulator)
      expect([...arrived.keys()].sort()).toEqual([...orderIds].sort())
      expect([...arrived.values()].every((count) => count === 1)).toBe(true)

      const third = await runBackfill(backfillOptions(simulator, dir, [file], { checkpointPath }))
      expect(third.outcome).toBe('already-complete')
      expect(simulator.state.journal).toHaveLength(600)
    }))

  it('keeps lines an earlier run finished in every later checkpoint, even when a later run stops before them', async () => {
    const dir = workDir()
    const { file, orderIds } = writeExport(dir, 10)
    const checkpointPath = path.join(dir, 'checkpoint.json')
    // As if a first run had finished lines 1-2 and, beyond them, line 5, then crashed.
    await withSimulator({}, (simulator) =>
      writeCheckpoint(backfillOptions(simulator, dir, [file], { checkpointPath }), {
        seq: 2,
        finishedAfter: [[0, 5]],
        counts: {
          read: 3,
          blankLines: 0,
          unreadable: 0,
          unreadBytes: 0,
          duplicates: 0,
          unmatched: 0,
          subscriptions: {
            Orders: { accepted: 3, rejected: 0, filtered: 0, warnings: 0 },
            'Product views': { accepted: 0, rejected: 0, filtered: 3, warnings: 0 },
            'Sign-ups': { accepted: 0, rejected: 0, filtered: 3, warnings: 0 }
          }
        }
      })
    )
    // A second run that finishes nothing (every post fails) and is stopped.
    await withSimulator({ faults: { errorRate: 1 } }, async (failing) => {
      const interrupt = new AbortController()
      const running = runBackfill(backfillOptions(failing, dir, [file], { checkpointPath, signal: interrupt.signal }))
      // Stopped once it has tried and failed, not at a moment that depends on the machine's speed.
      await waitFor(() => failing.state.stats.status5xx > 0, 'a post to fail')
      interrupt.abort()
      const stopped = await running
      expect(stopped.outcome).toBe('aborted')
    })
    const afterStop = JSON.parse(readFileSync(checkpointPath, 'utf8')) as {
      position: { seq: number }
      finishedAfter: [number, number][]
    }
    expect(afterStop.position.seq).toBe(2)
    expect(afterStop.finishedAfter).toEqual([[0, 5]])
    // A third run sends everything else, once, and never line 5.
    await withSimulator({}, async (simulator) => {
      const report = await runBackfill(backfillOptions(simulator, dir, [file], { checkpointPath }))
      expect(report.counts.read).toBe(10)
      expect(report.counts.subscriptions.Orders.accepted).toBe(10)
      expect(simulator.state.journal.map((entry) => entry.dataFields.orderId).sort()).toEqual(
        orderIds.filter((_, index) => ![0, 1, 4].includes(index)).sort()
      )
    })
  })

  it('refuses a checkpoint written for other inputs', () =>
    withSimulator({}, async (simulator) => {
      const dir = workDir()
      const { file } = writeExport(dir, 5)
      const { file: other } = writeExport(dir, 5, {}, 'other.ndjson')
      const checkpointPath = path.join(dir, 'checkpoint.json')
      await runBackfill(backfillOptions(simulator, dir, [file], { checkpointPath }))
      await expect(runBackfill(backfillOptions(simulator, dir, [other], { checkpointPath }))).rejects.toThrow(
        /cannot resume this run: it was written for the inputs .*export\.ndjson, not .*other\.ndjson/
      )
    }))

  it('refuses a checkpoint of version 3 (SHA-1 checksums), naming its version', () =>
    withSimulator({}, async (simulator) => {
      const dir = workDir()
      const { file } = writeExport(dir, 5)
      const checkpointPath = path.join(dir, 'checkpoint.json')
      await runBackfill(backfillOptions(simulator, dir, [file], { checkpointPath }))
      const saved = JSON.parse(readFileSync(checkpointPath, 'utf8')) as { version: number }
      writeFileSync(checkpointPath, JSON.stringify({ ...saved, version: 3 }))
      await expect(runBackfill(backfillOptions(simulator, dir, [file], { checkpointPath }))).rejects.toThrow(
        /checkpoint.json is of version 3, written by an earlier version of this tool, and cannot resume this run/
      )
    }))

  it('aborts at once when the credentials are refused', () =>
    withSimulator({}, async (simulator) => {
      const dir = workDir()
      const { file } = writeExport(dir, 5)
      const options = backfillOptions(simulator, dir, [file])
      const report = await runBackfill({ ...options, settings: { ...options.settings, client_secret: 'wrong' } })
      expect(report.outcome).toBe('aborted')
      expect(report.abortReason).toMatch(/Authentication failed: .*refused the client credentials/)
      expect(report.abortReason).not.toContain('wrong')
      expect(report.counts.read).toBe(0)
    }))
})

describe('backfill against a server that rejects a whole batch for one bad event', () => {
  it('splits the batch until the bad event stands alone, and delivers the rest', async () => {
    const accepted: string[] = []
    const server = await startLocalServer((request, response) => {
      if (request.url.endsWith('/OAuth2/Token')) return json(response, 200, { access_token: 't', expires_in: 600 })
      if (request.url.endsWith('/eventConfigurations'))
        return json(response, 200, {
          data: DEFAULT_EVENT_CONFIGURATIONS.map(({ eventUID, eventName }) => ({ eventUID, eventName }))
        })
      if (request.method === 'GET') {
        const detail = DEFAULT_EVENT_CONFIGURATIONS.find(({ eventUID }) => request.url.endsWith(eventUID))
        return json(response, 200, { data: detail })
      }
      const body = JSON.parse(request.body) as { events: { dataFields: { orderId: string } }[] }
      if (body.events.some((event) => event.dataFields.orderId === 'POISON')) {
        return json(response, 400, { meta: { statusCode: 400, message: 'One or more events are invalid.' } })
      }
      accepted.push(...body.events.map((event) => event.dataFields.orderId))
      json(response, 200, { data: [], meta: { statusCode: 200 } })
    })
    try {
      const dir = workDir()
      const { file, orderIds } = writeExport(dir, 40, { 17: order('POISON') })
      const fake = {
        apiUrl: `${server.url}/crosschannel/v1`,
        tokenUrl: `${server.url}/OAuth2/Token`,
        credentials: { clientId: 'c', clientSecret: 's' }
      }
      const report = await runBackfill(
        backfillOptions(fake as unknown as RunningSimulator, dir, [file], { batch: { size: 16, bytes: 4_000_000 } })
      )
      expect(report.counts.subscriptions.Orders).toMatchObject({ accepted: 40, rejected: 1 })
      expect(report.dispatch.splits).toBeGreaterThanOrEqual(4)
      expect(accepted.sort()).toEqual(orderIds.filter((id) => id !== 'POISON').sort())
      const [letter] = readDeadLetters(path.join(dir, 'dead-letters.ndjson'))
      expect(letter.deadLetter).toMatchObject({
        seq: 17,
        subscription: 'Orders',
        status: 400,
        reason: 'Listrak answered HTTP 400: One or more events are invalid.'
      })
    } finally {
      await server.close()
    }
  })
})

describe('backfill driving another destination', () => {
  it('dead-letters the one event a destination throws on, after splitting the batch around it', async () => {
    const sent: string[] = []
    const definition: DestinationDefinition<Record<string, never>> = {
      name: 'Thrower',
      mode: 'cloud',
      actions: {
        send: {
          title: 'Send',
          description: 'Sends ids, and throws on a poisoned one.',
          fields: { id: { label: 'ID', description: 'The id.', type: 'string', required: true } },
          perform: () => undefined,
          performBatch: (_request, { payload }) => {
            if (payload.some((item: { id: string }) => item.id === 'poison')) throw new Error('cannot handle poison')
            sent.push(...payload.map((item: { id: string }) => item.id))
          }
        }
      }
    }
    const dir = workDir()
    const file = path.join(dir, 'ids.ndjson')
    const ids = Array.from({ length: 12 }, (_, i) => (i === 7 ? 'poison' : `id-${i}`))
    writeFileSync(file, ids.map((id) => JSON.stringify({ type: 'track', properties: { id } })).join('\n'))
    const report = await new Backfill({
      source: { definition },
      settings: {},
      subscriptions: [
        {
          name: 'ids',
          key: 'subscriptions[0]',
          subscribe: 'type = "track"',
          partnerAction: 'send',
          mapping: { id: { '@path': '$.properties.id' } }
        }
      ],
      inputs: [file],
      batch: { size: 12, bytes: 1_000_000 },
      concurrency: 2,
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
      deadLetterPath: path.join(dir, 'dl.ndjson')
    }).run()
    expect(report.counts.subscriptions.ids).toMatchObject({ accepted: 11, rejected: 1 })
    expect(sent.sort()).toEqual(ids.filter((id) => id !== 'poison').sort())
    expect(readDeadLetters(path.join(dir, 'dl.ndjson'))).toMatchObject([
      {
        deadLetter: {
          where: 'line 8',
          subscription: 'ids',
          status: 400,
          reason: 'The mapping failed: cannot handle poison'
        }
      }
    ])
  })
})
