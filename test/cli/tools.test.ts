import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { startSimulator } from '../../src/simulator'
import type { RunningSimulator } from '../../src/simulator'
import type { PreviewedEvent, PreviewSummary } from '../../src/tools/preview'
import { workDir } from '../backfill/fixtures'
import { ORDER_EVENT } from '../helpers'
import { runCli } from './run-cli'

let simulator: RunningSimulator
let env: NodeJS.ProcessEnv
let api: string[]
beforeAll(async () => {
  simulator = await startSimulator()
  env = { LISTRAK_CLIENT_ID: simulator.credentials.clientId, LISTRAK_CLIENT_SECRET: simulator.credentials.clientSecret }
  api = ['--api-url', simulator.apiUrl, '--token-url', simulator.tokenUrl]
})
afterAll(() => simulator.close())

const order = (properties: Record<string, unknown>, traits: Record<string, unknown> = { email: 'ada@example.com' }) =>
  JSON.stringify({
    type: 'track',
    event: 'Order Completed',
    timestamp: '2025-02-03T04:05:06Z',
    context: { traits },
    properties
  })

describe('listrak configs', () => {
  it('lists the event configurations as a table, and as JSON', async () => {
    const run = await runCli(['configs', ...api], { env })
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(new RegExp(`Order Placed +${ORDER_EVENT.eventUID}`))
    const json = await runCli(['configs', '--json', ...api], { env })
    expect(JSON.parse(json.stdout)).toHaveLength(3)
  })

  it('says plainly when the credentials are refused, with a non-zero exit', async () => {
    const run = await runCli(['configs', ...api], { env: { ...env, LISTRAK_CLIENT_SECRET: 'nope-secret-999' } })
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(/refused the client credentials \(HTTP 401\)/)
    expect(run.stderr).not.toContain('nope-secret-999')
  })

  it('says plainly when the API cannot be reached', async () => {
    const run = await runCli(['configs', '--api-url', 'http://127.0.0.1:9/v1', '--token-url', 'http://127.0.0.1:9/t'], {
      env
    })
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(/Cannot reach the Listrak API at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)/)
  })

  it('takes the API location from a config file', async () => {
    const dir = workDir()
    const config = path.join(dir, 'c.json')
    writeFileSync(
      config,
      JSON.stringify({
        endpoints: { apiUrl: simulator.apiUrl, tokenUrl: simulator.tokenUrl },
        subscription: { mapping: {} }
      })
    )
    expect((await runCli(['configs', '--config', config], { env })).status).toBe(0)
    // --api-url and --token-url win over the file.
    const unreachable = path.join(dir, 'unreachable.json')
    writeFileSync(
      unreachable,
      JSON.stringify({
        endpoints: { apiUrl: 'http://127.0.0.1:9/v1', tokenUrl: 'http://127.0.0.1:9/t' },
        subscription: { mapping: {} }
      })
    )
    expect((await runCli(['configs', '--config', unreachable], { env })).status).toBe(1)
    expect((await runCli(['configs', '--config', unreachable, ...api], { env })).status).toBe(0)
  })
})

describe('listrak schema', () => {
  it("shows the event's fields, types and features", async () => {
    const run = await runCli(['schema', ORDER_EVENT.eventUID, ...api], { env })
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/Order Placed/)
    expect(run.stdout).toMatch(/Used by: Workflow/)
    expect(run.stdout).toMatch(/orderTotal +Double/)
    expect(JSON.parse((await runCli(['schema', ORDER_EVENT.eventUID, '--json', ...api], { env })).stdout)).toEqual(
      ORDER_EVENT
    )
  })

  it('finds an event configuration by its name too, as the action does', async () => {
    const run = await runCli(['schema', 'Order Placed', '--json', ...api], { env })
    expect(run.status).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ eventUID: ORDER_EVENT.eventUID })
  })

  it('says plainly that an eventUID is unknown', async () => {
    const run = await runCli(['schema', '00000000-0000-0000-0000-000000000000', ...api], { env })
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(
      /Listrak has no event configuration with eventUID "00000000-0000-0000-0000-000000000000"/
    )
  })
})

describe('listrak preview', () => {
  it('finds each kind of problem, sends nothing, and sums up', async () => {
    const dir = workDir()
    const config = path.join(dir, 'backfill.json')
    writeFileSync(
      config,
      JSON.stringify({
        endpoints: { apiUrl: simulator.apiUrl, tokenUrl: simulator.tokenUrl },
        subscription: {
          subscribe: 'type = "track"',
          mapping: {
            eventUID: ORDER_EVENT.eventUID,
            emailAddress: { '@path': '$.context.traits.email' },
            phoneNumber: { '@path': '$.context.traits.phone' },
            dataFields: {
              orderId: { '@path': '$.properties.order_id' },
              orderTotal: { '@path': '$.properties.total' },
              orderDate: { '@path': '$.timestamp' },
              giftWrap: { '@path': '$.properties.gift_wrap' }
            }
          }
        }
      })
    )
    const sample = path.join(dir, 'sample.ndjson')
    writeFileSync(
      sample,
      [
        order({ order_id: 'A', total: 10 }),
        order({ order_id: 'B', total: 'N/A' }),
        order({ order_id: 'C' }, {}),
        order({ order_id: 'D' }, { email: 'not an email' }),
        order({ order_id: 'E', gift_wrap: true }),
        JSON.stringify({ type: 'page', name: 'Home' }),
        '{"broken":',
        order({ order_id: 'F' }, { email: 'f@example.com', phone: '12' })
      ].join('\n')
    )
    const before = simulator.state.stats.eventsAccepted
    const run = await runCli(['preview', '--json', '--config', config, sample], { env })
    expect(run.status).toBe(0)
    const { events, summary } = JSON.parse(run.stdout) as { events: PreviewedEvent[]; summary: PreviewSummary }
    expect(simulator.state.stats.eventsAccepted).toBe(before)
    const kinds = (index: number) => events[index].problems.map((problem) => `${problem.kind} ${problem.field}`)

    expect(events[0]).toMatchObject({
      outcome: 'would-send',
      requestBody: {
        events: [
          {
            identifiers: [{ identifierType: 'EmailAddress', identifierValue: 'ada@example.com' }],
            dataFields: { orderId: 'A', orderTotal: '10', orderDate: '2025-02-03T04:05:06.000Z' }
          }
        ]
      }
    })
    expect(kinds(0)).toEqual([
      'never-mapped dataFields.itemCount',
      'never-mapped dataFields.currency',
      'never-mapped dataFields.couponCode'
    ])
    expect(events[0].problems[0].message).toBe('Int field "itemCount" is not in the mapping.')
    expect(events[1]).toMatchObject({ outcome: 'rejected', status: 400 })
    expect(kinds(1)).toContain('will-not-coerce dataFields.orderTotal')
    expect(events[2].outcome).toBe('rejected')
    expect(kinds(2)).toContain('missing-identifier emailAddress')
    expect(kinds(3)).toContain('invalid-identifier emailAddress')
    expect(events[4].outcome).toBe('would-send')
    expect(kinds(4)).toContain('not-in-schema dataFields.giftWrap')
    expect(events[4].problems.find((problem) => problem.kind === 'not-in-schema')?.message).toMatch(
      /Listrak would discard it/
    )
    expect(events[5]).toMatchObject({ outcome: 'filtered', problems: [] })
    expect(kinds(6)).toEqual(['unreadable (line)'])
    // A malformed phone beside a good email is left out: the event is still sent, with the email.
    expect(events[7]).toMatchObject({
      outcome: 'would-send',
      requestBody: { events: [{ identifiers: [{ identifierType: 'EmailAddress', identifierValue: 'f@example.com' }] }] }
    })
    expect(kinds(7)).toContain('invalid-identifier phoneNumber')
    expect(summary).toMatchObject({ events: 8, wouldSend: 3, filtered: 1, rejected: 4 })
    expect(summary.commonProblems[0]).toMatchObject({ kind: 'never-mapped', field: 'dataFields.itemCount', count: 6 })

    const text = await runCli(['preview', '--config', config, '--limit', '2', sample], { env })
    expect(text.stdout).toMatch(/line 2: track "Order Completed": would be REJECTED \(400\)/)
    expect(text.stdout).toMatch(/2 events: 1 would be sent, 0 filtered, 1 rejected\./)
  })

  it('reads stdin and refuses a bad --limit', async () => {
    const dir = workDir()
    const config = path.join(dir, 'backfill.json')
    const mapping = { eventUID: ORDER_EVENT.eventUID, emailAddress: { '@path': '$.context.traits.email' } }
    writeFileSync(
      config,
      JSON.stringify({
        endpoints: { apiUrl: simulator.apiUrl, tokenUrl: simulator.tokenUrl },
        subscription: { mapping }
      })
    )
    const run = await runCli(['preview', '--config', config], { env, input: order({ order_id: 'S' }) })
    expect(run.stdout).toMatch(/1 events: 1 would be sent/)
    expect(await runCli(['preview', '--config', config, '--limit', 'x'], { env })).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/--limit/)
    })
  })
})

describe('listrak mapping init', () => {
  it('maps a sample whose names differ in case and style, and preview works on the result straight away', async () => {
    const dir = workDir()
    const sample = path.join(dir, 'sample.ndjson')
    writeFileSync(
      sample,
      [
        JSON.stringify({
          type: 'track',
          event: 'Order Completed',
          context: { traits: { email: 'a@example.com', Currency: 'EUR' } },
          properties: {
            ORDER_ID: 'X1',
            'order-total': '19.99',
            itemcount: 2,
            OrderDate: '2025-01-01',
            coupon_code: 'HELLO'
          }
        }),
        JSON.stringify({
          type: 'track',
          event: 'Order Completed',
          context: { traits: { email: 'b@example.com', Currency: 'USD' } },
          properties: { ORDER_ID: 'X2', 'order-total': 5, itemcount: 1, OrderDate: 1735689600 }
        }),
        JSON.stringify({ type: 'page', name: 'Home' })
      ].join('\n')
    )
    const out = path.join(dir, 'backfill.json')
    const run = await runCli(['mapping', 'init', ORDER_EVENT.eventUID, '--sample', sample, '--out', out, ...api], {
      env
    })
    expect(run.status).toBe(0)
    expect(run.stderr).toMatch(/Mapped 6 of 6 fields of Order Placed/)
    const config = JSON.parse(readFileSync(out, 'utf8')) as {
      subscription: { subscribe: string; mapping: { dataFields: unknown } }
    }
    expect(config.subscription.subscribe).toBe('type = "track" and event = "Order Completed"')
    expect(config.subscription.mapping.dataFields).toEqual({
      orderId: { '@path': '$.properties.ORDER_ID' },
      orderTotal: { '@path': '$.properties.order-total' },
      itemCount: { '@path': '$.properties.itemcount' },
      orderDate: { '@path': '$.properties.OrderDate' },
      currency: { '@path': '$.context.traits.Currency' },
      couponCode: { '@path': '$.properties.coupon_code' }
    })
    const preview = await runCli(['preview', '--config', out, sample], { env })
    expect(preview.status).toBe(0)
    expect(preview.stdout).toMatch(/3 events: 2 would be sent, 1 filtered, 0 rejected\./)
  })

  it('lists the fields it cannot match, and errs clearly on an unknown eventUID', async () => {
    const dir = workDir()
    const sample = path.join(dir, 'sample.ndjson')
    writeFileSync(sample, JSON.stringify({ type: 'track', event: 'Order Completed', properties: { order_id: 'X' } }))
    const run = await runCli(['mapping', 'init', ORDER_EVENT.eventUID, '--sample', sample, ...api], { env })
    expect(run.status).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ subscription: { mapping: { eventUID: ORDER_EVENT.eventUID } } })
    expect(run.stderr).toMatch(/No match in the sample[\s\S]*orderTotal \(Double\)/)
    const unknown = await runCli(['mapping', 'init', 'no-such-event', '--sample', sample, ...api], { env })
    expect(unknown.status).toBe(1)
    expect(unknown.stderr).toMatch(/no event configuration with eventUID "no-such-event"/)
  })
})
