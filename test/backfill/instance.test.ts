import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { DestinationDefinition, JSONObject } from '@segment/actions-core'
import { exportLines } from '../../scripts/sample-export'
import { Backfill } from '../../src/backfill'
import { ConfigError, registryRecipe } from '../../src/instance'
import type { SubscriptionConfig } from '../../src/instance'
import type { JournalEntry, RunningSimulator } from '../../src/simulator'
import { BROWSE_EVENT, json, ORDER_EVENT, SIGNUP_EVENT, startLocalServer, withSimulator } from '../helpers'
import { backfillOptions, readDeadLetters, runBackfill, subscriptions, workDir, writeCheckpoint } from './fixtures'

const [orders, views, signups] = subscriptions

/** A mixed Segment export: orders, product views, identify and page calls, with bad lines. */
function writeMixedExport(dir: string, count: number, name = 'mixed.ndjson'): { file: string; events: JSONObject[] } {
  const lines = [...exportLines({ count, seed: 42, otherEvents: true, badLines: true })]
  const file = path.join(dir, name)
  writeFileSync(file, `${lines.join('\n')}\n`)
  const events = lines.flatMap((line): JSONObject[] => {
    try {
      const value = JSON.parse(line) as unknown
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? [value as JSONObject] : []
    } catch {
      return []
    }
  })
  return { file, events }
}

/** What arrived, as sorted "eventUID identifiers dataFields" lines: comparable across runs. */
const delivered = (journal: JournalEntry[]): string[] =>
  journal.map((entry) => JSON.stringify([entry.eventUID, entry.identifiers, entry.dataFields])).sort()

const subscription = (name: string, rest: Omit<SubscriptionConfig, 'name' | 'key'>): SubscriptionConfig => ({
  name,
  key: `subscriptions[${name}]`,
  ...rest
})

/** A second subscription of order events, to the product-view event configuration. */
const alsoAsView = subscription('Orders as views', {
  subscribe: 'type = "track" and event = "Order Completed"',
  partnerAction: 'sendCustomEvent',
  mapping: {
    eventUID: BROWSE_EVENT.eventUID,
    emailAddress: { '@path': '$.context.traits.email' },
    dataFields: { productId: { '@path': '$.properties.order_id' } }
  }
})

describe('a backfill of a destination instance', () => {
  it('delivers each event type of a mixed export to its event configuration in one pass', () =>
    withSimulator({}, async (simulator) => {
      const dir = workDir()
      const { file, events } = writeMixedExport(dir, 1500)
      const report = await runBackfill(backfillOptions(simulator, dir, [file]))
      expect(report.outcome).toBe('completed')

      const byEvent = (eventUID: string) => simulator.state.journal.filter((entry) => entry.eventUID === eventUID)
      const ofType = (test: (event: JSONObject) => boolean) => new Set(events.filter(test).map((e) => e.messageId))
      const arrivedEmails = (eventUID: string) =>
        new Set(byEvent(eventUID).map((entry) => entry.identifiers[0]?.identifierValue))
      // Every product view and identify call has a good email: each arrives once, at its own event configuration.
      const viewIds = ofType((e) => e.type === 'track' && e.event === 'Product Viewed')
      const identifyIds = ofType((e) => e.type === 'identify')
      expect(byEvent(BROWSE_EVENT.eventUID)).toHaveLength(viewIds.size)
      expect(byEvent(SIGNUP_EVENT.eventUID)).toHaveLength(identifyIds.size)
      expect(report.counts.subscriptions['Product views'].accepted).toBe(viewIds.size)
      expect(report.counts.subscriptions['Sign-ups'].accepted).toBe(identifyIds.size)
      expect(byEvent(BROWSE_EVENT.eventUID).every((entry) => entry.dataFields.productId?.startsWith('SKU-'))).toBe(true)
      expect([...arrivedEmails(SIGNUP_EVENT.eventUID)].every((email) => email?.includes('@'))).toBe(true)
      // Orders: accepted ones arrived, the others are dead letters of that subscription alone.
      const orderCounts = report.counts.subscriptions.Orders
      expect(byEvent(ORDER_EVENT.eventUID)).toHaveLength(orderCounts.accepted)
      const letters = readDeadLetters(path.join(dir, 'dead-letters.ndjson'))
      expect(letters.filter((letter) => letter.deadLetter.subscription === 'Orders')).toHaveLength(orderCounts.rejected)
      expect(letters.filter((letter) => letter.deadLetter.subscription === null)).toHaveLength(report.counts.unreadable)
      // Page calls match no subscription; the counts add up.
      const pages = ofType((e) => e.type === 'page').size
      expect(report.counts.unmatched).toBe(pages)
      const { read, unreadable, duplicates, unmatched } = report.counts
      const taken = orderCounts.accepted + orderCounts.rejected + viewIds.size + identifyIds.size
      expect(read).toBe(unreadable + duplicates + unmatched + taken)
    }))

  it('sends an event that matches two subscriptions to both', () =>
    withSimulator({}, async (simulator) => {
      const dir = workDir()
      const file = path.join(dir, 'orders.ndjson')
      const lines = [...exportLines({ count: 30, seed: 3 })]
      writeFileSync(file, lines.join('\n'))
      const report = await runBackfill(backfillOptions(simulator, dir, [file], { subscriptions: [orders, alsoAsView] }))
      expect(report.counts.subscriptions).toMatchObject({
        Orders: { accepted: 30, rejected: 0 },
        'Orders as views': { accepted: 30, rejected: 0 }
      })
      const ids = (eventUID: string) =>
        simulator.state.journal
          .filter((entry) => entry.eventUID === eventUID)
          .map((entry) => entry.dataFields.orderId ?? entry.dataFields.productId)
          .sort()
      expect(ids(ORDER_EVENT.eventUID)).toHaveLength(30)
      expect(ids(BROWSE_EVENT.eventUID)).toEqual(ids(ORDER_EVENT.eventUID))
      expect(report.counts.read).toBe(30)
    }))

  it('sends a replayed dead letter only to the subscription that rejected it, though another one matches it too', () =>
    withSimulator({}, async (simulator) => {
      const dir = workDir()
      const file = path.join(dir, 'earlier-dead-letters.ndjson')
      const letters = [...exportLines({ count: 4, seed: 5 })].map((raw, index) =>
        JSON.stringify({
          deadLetter: { subscription: index % 2 === 0 ? 'Orders' : 'Orders as views', where: `line ${index + 1}` },
          raw
        })
      )
      writeFileSync(file, letters.join('\n'))
      const report = await runBackfill(backfillOptions(simulator, dir, [file], { subscriptions: [orders, alsoAsView] }))
      expect(report.counts.subscriptions).toMatchObject({
        Orders: { accepted: 2 },
        'Orders as views': { accepted: 2 }
      })
      const arrived = (eventUID: string) => simulator.state.journal.filter((entry) => entry.eventUID === eventUID)
      expect(arrived(ORDER_EVENT.eventUID)).toHaveLength(2)
      expect(arrived(BROWSE_EVENT.eventUID)).toHaveLength(2)
    }))

  it('refuses a mapped data field the schema lacks (a typo) before sending; one that comes with the event is a warning', () =>
    withSimulator({}, async (simulator) => {
      const dir = workDir()
      const file = path.join(dir, 'orders.ndjson')
      writeFileSync(file, [...exportLines({ count: 10, seed: 5 })].join('\n'))
      const dataFields = orders.mapping.dataFields as Record<string, JSONObject>
      const { orderTotal, ...rest } = dataFields
      const typo = { ...orders, mapping: { ...orders.mapping, dataFields: { ...rest, orderTotl: orderTotal } } }
      const refused = runBackfill(backfillOptions(simulator, dir, [file], { subscriptions: [typo] }))
      await expect(refused).rejects.toThrow(ConfigError)
      await expect(refused).rejects.toThrow(
        /subscription "Orders": mapping\.dataFields\.orderTotl: not one of the keys the account offers for this field \(did you mean "orderTotal"\?\)/
      )
      expect(simulator.state.journal).toHaveLength(0)

      // Keys mapped as a whole are the event's own: those the schema lacks are left out, each with a warning.
      const whole = { ...orders, mapping: { ...orders.mapping, dataFields: { '@path': '$.properties' } } }
      const report = await runBackfill(backfillOptions(simulator, dir, [file], { subscriptions: [whole] }))
      expect(report.counts.subscriptions.Orders).toMatchObject({ accepted: 10, warnings: 10 })
    }))

  it('applies every mapping-kit directive: @case, @replace, @arrayPath, @json', () =>
    withSimulator(
      {
        eventConfigurations: [
          {
            eventUID: '5d0a6f3e-7b1c-4e2d-9f8a-3c4b5d6e7f80',
            eventName: 'Directives',
            eventSchemaAttrs: { currency: 'String', sku: 'String', skus: 'String', productsJson: 'String' }
          }
        ]
      },
      async (simulator) => {
        const dir = workDir()
        const file = path.join(dir, 'one.ndjson')
        writeFileSync(file, `${[...exportLines({ count: 1, seed: 9 })][0]}\n`)
        const event = JSON.parse(readFileSync(file, 'utf8')) as {
          properties: { products: { product_id: string }[] }
        }
        const directives = subscription('Directives', {
          subscribe: 'type = "track"',
          partnerAction: 'sendCustomEvent',
          mapping: {
            eventUID: '5d0a6f3e-7b1c-4e2d-9f8a-3c4b5d6e7f80',
            emailAddress: { '@case': { operator: 'upper', value: { '@path': '$.context.traits.email' } } },
            dataFields: {
              currency: { '@case': { operator: 'lower', value: { '@path': '$.properties.currency' } } },
              sku: {
                '@replace': {
                  pattern: 'SKU-',
                  replacement: 'P',
                  value: { '@path': '$.properties.products[0].product_id' }
                }
              },
              skus: {
                '@arrayPath': ['$.properties.products', { id: { '@path': '$.product_id' } }]
              },
              productsJson: { '@json': { mode: 'encode', value: { '@path': '$.properties.products' } } }
            }
          }
        })
        const report = await runBackfill(backfillOptions(simulator, dir, [file], { subscriptions: [directives] }))
        expect(report.counts.subscriptions.Directives).toMatchObject({ accepted: 1, rejected: 0 })
        const [entry] = simulator.state.journal
        const products = event.properties.products
        expect(entry.dataFields).toEqual({
          currency: 'usd',
          sku: products[0].product_id.replace('SKU-', 'P'),
          skus: JSON.stringify(products.map((product) => ({ id: product.product_id }))),
          productsJson: JSON.stringify(products)
        })
        // @case upper-cased the email; the destination lower-cases identifiers again.
        expect(entry.identifiers[0].identifierValue).toMatch(/@/)
      }
    ))

  it('resumes a record that one subscription had finished by sending it only to the other', () =>
    withSimulator({}, async (simulator) => {
      const dir = workDir()
      const file = path.join(dir, 'one.ndjson')
      writeFileSync(
        file,
        `${JSON.stringify({ type: 'track', event: 'Order Completed', messageId: 'm-1', context: { traits: { email: 'a@example.com' } }, properties: { order_id: 'O-1', product_id: 'SKU-1' } })}\n`
      )
      const view = subscription('Order views', {
        subscribe: 'type = "track" and event = "Order Completed"',
        partnerAction: 'sendCustomEvent',
        mapping: {
          eventUID: BROWSE_EVENT.eventUID,
          emailAddress: { '@path': '$.context.traits.email' },
          dataFields: { productId: { '@path': '$.properties.product_id' } }
        }
      })
      const checkpointPath = path.join(dir, 'checkpoint.json')
      const counts = { accepted: 0, rejected: 0, filtered: 0, warnings: 0 }
      await writeCheckpoint(
        backfillOptions(simulator, dir, [file], { subscriptions: [orders, view], checkpointPath }),
        {
          seq: 0,
          partlyFinished: [[0, 1, ['Orders']]],
          counts: {
            read: 0,
            blankLines: 0,
            unreadable: 0,
            unreadBytes: 0,
            duplicates: 0,
            unmatched: 0,
            subscriptions: { Orders: { ...counts, accepted: 1 }, 'Order views': counts }
          }
        }
      )
      const report = await runBackfill(
        backfillOptions(simulator, dir, [file], { subscriptions: [orders, view], checkpointPath })
      )
      expect(simulator.state.journal.map((entry) => entry.eventUID)).toEqual([BROWSE_EVENT.eventUID])
      expect(report.counts).toMatchObject({
        read: 1,
        subscriptions: { Orders: { accepted: 1 }, 'Order views': { accepted: 1 } }
      })
    }))
})

describe('export formats', () => {
  it('a JSON array export and a batch-payload export deliver exactly what the NDJSON of the same events delivers', async () => {
    const dir = workDir()
    const { file: ndjson, events } = writeMixedExport(dir, 400)
    const array = path.join(dir, 'export.json')
    writeFileSync(array, JSON.stringify(events, null, 2))
    const batches = path.join(dir, 'batches.ndjson')
    const chunks = Array.from({ length: Math.ceil(events.length / 50) }, (_, i) => events.slice(i * 50, i * 50 + 50))
    writeFileSync(batches, chunks.map((batch) => JSON.stringify({ batch, writeKey: 'w' })).join('\n'))
    const batchFile = path.join(dir, 'batch.json')
    writeFileSync(batchFile, JSON.stringify({ batch: events }, null, 1))

    const deliveredBy = (input: string) =>
      withSimulator({}, async (simulator: RunningSimulator) => {
        const report = await runBackfill(backfillOptions(simulator, workDir(), [input]))
        return { journal: delivered(simulator.state.journal), subscriptions: report.counts.subscriptions }
      })
    const expected = await deliveredBy(ndjson)
    expect(expected.journal.length).toBeGreaterThan(300)
    for (const input of [array, batches, batchFile]) expect(await deliveredBy(input)).toEqual(expected)
  })

  it('sends every element before a break in a JSON array, and counts, names and keeps the bytes it could not read', () =>
    withSimulator({}, async (simulator) => {
      const dir = workDir()
      const events = [...exportLines({ count: 6000, seed: 17 })].map((line) => JSON.parse(line) as JSONObject)
      // Pretty-printed, as JSON.stringify(events, null, 2) writes it; element 5,001 holds an unterminated string.
      const pieces = events.map((event) => JSON.stringify(event, null, 2).replace(/\n/g, '\n  '))
      pieces[5000] = pieces[5000].replace('"event": "Order Completed"', '"event": "Order Completed')
      const before = `[\n  ${pieces.slice(0, 5000).join(',\n  ')},\n  `
      const text = `${before}${pieces.slice(5000).join(',\n  ')}\n]\n`
      const file = path.join(dir, 'export.json')
      writeFileSync(file, text)
      const from = Buffer.byteLength(before)
      const bytes = Buffer.byteLength(text) - from

      const report = await runBackfill(backfillOptions(simulator, dir, [file], { maxLineBytes: 200_000 }))

      const orderIds = (list: JSONObject[]) => list.map((event) => (event.properties as JSONObject).order_id).sort()
      expect(simulator.state.journal.map((entry) => entry.dataFields.orderId).sort()).toEqual(
        orderIds(events.slice(0, 5000))
      )
      expect(report.counts).toMatchObject({ read: 5001, unreadable: 1, unreadBytes: bytes, unfinished: 0 })
      expect(report.counts.subscriptions.Orders).toMatchObject({ accepted: 5000, rejected: 0 })
      expect(report.notRead).toEqual([{ file, where: 'element 5001', from, bytes }])
      const letters = readDeadLetters(path.join(dir, 'dead-letters.ndjson'))
      expect(letters).toHaveLength(1)
      expect(letters[0]).toMatchObject({
        raw: text.slice(from, from + 200_000),
        deadLetter: {
          where: 'element 5001',
          subscription: null,
          truncated: true,
          notRead: { from, bytes },
          reason: expect.stringMatching(
            /^element 5001 of .*export\.json: the JSON breaks \(a line break inside a string at byte [\d,]+\); the rest of the input, [\d,]+ bytes from byte [\d,]+, is not read \(the first 200,000 kept here\)$/
          )
        }
      })
    }))

  it('reads one JSON array per line as NDJSON: every line is sent, and a broken line costs only itself', () =>
    withSimulator({}, async (simulator) => {
      const dir = workDir()
      const events = [...exportLines({ count: 150, seed: 18 })].map((line) => JSON.parse(line) as JSONObject)
      const lines = [0, 1, 2].map((i) => JSON.stringify(events.slice(i * 50, i * 50 + 50)))
      const file = path.join(dir, 'arrays.ndjson')
      writeFileSync(file, `${lines.join('\n')}\n`)
      const report = await runBackfill(backfillOptions(simulator, dir, [file]))
      expect(report.counts).toMatchObject({ read: 150, unreadable: 0 })
      expect(simulator.state.journal).toHaveLength(150)

      const broken = path.join(dir, 'broken.ndjson')
      writeFileSync(broken, `${lines[0]}\n${lines[1].slice(0, -20)}\n${lines[2]}\n`)
      const again = await withSimulator({}, async (other) => {
        const result = await runBackfill(backfillOptions(other, workDir(), [broken]))
        return { result, arrived: other.state.journal.length }
      })
      expect(again.arrived).toBe(100)
      expect(again.result.counts).toMatchObject({ read: 101, unreadable: 1 })
    }))

  it('takes a trailing comma after the last element of a JSON array for what it is: no phantom element', () =>
    withSimulator({}, async (simulator) => {
      const dir = workDir()
      const events = [...exportLines({ count: 3, seed: 19 })].map((line) => JSON.parse(line) as JSONObject)
      const file = path.join(dir, 'trailing.json')
      writeFileSync(file, `${JSON.stringify(events, null, 2).slice(0, -2)},\n]\n`)
      const report = await runBackfill(backfillOptions(simulator, dir, [file]))
      expect(report.counts).toMatchObject({ read: 3, unreadable: 0 })
      expect(simulator.state.journal).toHaveLength(3)
      expect(existsSync(path.join(dir, 'dead-letters.ndjson'))).toBe(false)
    }))

  it('names the element of a JSON array in a dead letter', () =>
    withSimulator({}, async (simulator) => {
      const dir = workDir()
      const file = path.join(dir, 'export.json')
      const good = {
        type: 'track',
        event: 'Order Completed',
        context: { traits: { email: 'a@example.com' } },
        properties: { order_id: 'A' }
      }
      writeFileSync(file, JSON.stringify([good, { ...good, properties: { order_id: 'B', total: 'N/A' } }, 42]))
      const report = await runBackfill(backfillOptions(simulator, dir, [file]))
      const letters = readDeadLetters(path.join(dir, 'dead-letters.ndjson'))
      const places = letters.map((letter) => [letter.deadLetter.where, letter.deadLetter.subscription])
      expect(places.sort()).toEqual([
        ['element 2', 'Orders'],
        ['element 3', null]
      ])
      expect(report.counts.subscriptions.Orders).toMatchObject({ accepted: 1, rejected: 1 })
    }))
})

describe('preflight', () => {
  it('stops before sending or dead-lettering anything when a literal choice is not one the account offers', () =>
    withSimulator({}, async (simulator) => {
      const dir = workDir()
      const file = path.join(dir, 'orders.ndjson')
      writeFileSync(file, [...exportLines({ count: 20, seed: 1 })].join('\n'))
      const typo = { ...orders, mapping: { ...orders.mapping, eventUID: `${ORDER_EVENT.eventUID.slice(0, -1)}0` } }
      const report = await runBackfill(
        backfillOptions(simulator, dir, [file], { subscriptions: [typo, views, signups] })
      )
      expect(report.outcome).toBe('aborted')
      expect(report.abortReason).toMatch(
        /mapping\.eventUID: ".*" is not one of the choices the account offers \(did you mean "6f1c1b8e-4d2a-4c1e-9a57-0b9a3f2e8c01"\?\)/
      )
      expect(report.counts.read).toBe(0)
      expect(simulator.state.stats.eventsAccepted + simulator.state.stats.eventsRejected).toBe(0)
      expect(simulator.state.journal).toHaveLength(0)
      expect(existsSync(path.join(dir, 'dead-letters.ndjson'))).toBe(false)
    }))

  it('lists every configuration problem at once, naming each key', () =>
    withSimulator({}, async (simulator) => {
      const dir = workDir()
      const options = backfillOptions(simulator, dir, [], {
        settings: { ...backfillOptions(simulator, dir, []).settings, clientID: 'x' },
        subscriptions: [
          { ...orders, mapping: { ...orders.mapping, emailAdress: { '@path': '$.email' } } },
          { ...views, subscribe: 'type = ' },
          { ...signups, mapping: { emailAddress: { '@path': '$.traits.email' } } }
        ],
        batch: { size: 100_000, bytes: 4_000_000 }
      })
      const error = await Promise.resolve()
        .then(() => new Backfill(options))
        .catch((problem: unknown) => problem)
      expect(error).toBeInstanceOf(ConfigError)
      const { message } = error as ConfigError
      expect(message).toMatch(/settings\.clientID: .* has no such setting \(did you mean "client_id"\?\)/)
      expect(message).toMatch(
        /subscriptions\[0\]\.mapping\.emailAdress: the action has no field "emailAdress" \(did you mean "emailAddress"\?\)/
      )
      expect(message).toMatch(/subscriptions\[2\]\.mapping\.eventUID: the action requires this field/)
      expect(message).toMatch(/batching\.size: 100000 is more than the action allows \(10000\)/)
    }))
})

describe('the runner knows no Listrak', () => {
  it('drives a minimal sync-mode destination from a test registry, over HTTP', async () => {
    const received: { syncMode: unknown; ids: string[] }[] = []
    const server = await startLocalServer((request, response) => {
      const body = JSON.parse(request.body) as { syncMode: unknown; ids: string[] }
      received.push(body)
      json(response, 200, { ok: true })
    })
    try {
      const definition: DestinationDefinition<{ endpoint: string }> = {
        name: 'Minimal Sync',
        mode: 'cloud',
        authentication: {
          scheme: 'custom',
          fields: { endpoint: { label: 'Endpoint', description: 'Where to send.', type: 'string', required: true } }
        },
        actions: {
          upsert: {
            title: 'Upsert',
            description: 'Upserts or deletes records by id.',
            syncMode: {
              label: 'Sync mode',
              description: 'What to do with the records.',
              default: 'upsert',
              choices: [
                { label: 'Upsert', value: 'upsert' },
                { label: 'Delete', value: 'delete' }
              ]
            },
            fields: { id: { label: 'ID', description: 'The record id.', type: 'string', required: true } },
            perform: () => undefined,
            performBatch: (request, { settings, payload, syncMode }) =>
              request(settings.endpoint, {
                method: 'post',
                json: { syncMode, ids: payload.map((item: { id: string }) => item.id) }
              })
          }
        }
      }
      const registry = { 'minimal-sync': { definition } }
      const dir = workDir()
      const file = path.join(dir, 'ids.ndjson')
      writeFileSync(file, ['a', 'b', 'c'].map((id) => JSON.stringify({ type: 'identify', userId: id })).join('\n'))
      const report = await new Backfill({
        source: { definition: registry['minimal-sync'].definition },
        settings: { endpoint: server.url },
        subscriptions: [
          {
            name: 'users',
            key: 'subscriptions[0]',
            subscribe: 'type = "identify"',
            mapping: { id: { '@path': '$.userId' }, __segment_internal_sync_mode: 'delete' }
          }
        ],
        inputs: [file],
        batch: { size: 10, bytes: 1_000_000 },
        concurrency: 1,
        retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
        deadLetterPath: path.join(dir, 'dl.ndjson')
      }).run()
      expect(report.counts.subscriptions.users).toMatchObject({ accepted: 3, rejected: 0 })
      expect(received).toEqual([{ syncMode: 'delete', ids: ['a', 'b', 'c'] }])
    } finally {
      await server.close()
    }
  })
})

describe('worker threads', () => {
  it('deliver through workers exactly what the main thread delivers, and dead-letter the same records', async () => {
    const dir = workDir()
    const { file } = writeMixedExport(dir, 600)
    // Every kind of record a worker parses and routes for the main thread, which numbers them: blank lines, a
    // batch payload (whose elements are records of their own), a repeat of one of its elements, a replayed dead
    // letter (for one subscription), lines that are not events; and a JSON array, which this thread parses.
    const [first, second, third, fourth, fifth] = [...exportLines({ count: 5, seed: 9 })]
    const replayed = { deadLetter: { subscription: 'Orders', file: 'old.ndjson', where: 'line 9', seq: 9 }, raw: third }
    const extra = ['', '  ', JSON.stringify({ batch: [JSON.parse(first), JSON.parse(second)] }), first]
    const more = [JSON.stringify(replayed), '[1, 2]', '{"broken', 'null', JSON.stringify({ batch: [] }), fourth]
    writeFileSync(file, `${[...extra, readFileSync(file, 'utf8').trimEnd(), ...more].join('\n')}\n`)
    const array = path.join(dir, 'array.json')
    writeFileSync(array, `[\n${[fifth, fourth, '{"type": "track"}', '7'].join(',\n')}\n]`)

    const deliveredWith = (workers: number) =>
      withSimulator({}, async (simulator) => {
        const endpoints = { apiUrl: simulator.apiUrl, tokenUrl: simulator.tokenUrl }
        const recipe = registryRecipe('actions-listrak-cross-channel', endpoints)
        const options = backfillOptions(simulator, workDir(), [file, array], { source: { recipe, workers } })
        const report = await runBackfill(options)
        // Workers keep only the text of events in flight: a dead letter still holds the record as read.
        const deadLetters = readDeadLetters(options.deadLetterPath)
          .map(({ raw, deadLetter }) => ({ raw, ...deadLetter, run: undefined, at: undefined }))
          .sort((a, b) => a.seq - b.seq || String(a.subscription).localeCompare(String(b.subscription)))
        return {
          journal: delivered(simulator.state.journal),
          counts: report.counts,
          requests: report.requests > 0,
          deadLetters
        }
      })
    const alone = await deliveredWith(0)
    expect(alone.journal.length).toBeGreaterThan(400)
    expect(alone.counts.blankLines).toBeGreaterThanOrEqual(2)
    expect(alone.counts.duplicates).toBeGreaterThanOrEqual(2)
    expect(alone.deadLetters.map(({ where }) => where)).toContain('element 4')
    expect(await deliveredWith(2)).toEqual(alone)
  })
})
