import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { DEFAULT_EVENT_CONFIGURATIONS, startSimulator } from '../../src/simulator'
import type { RunningSimulator } from '../../src/simulator'
import type { PreviewedEvent, PreviewSummary } from '../../src/tools/preview'
import { workDir } from '../backfill/fixtures'
import { BROWSE_EVENT, credentialsEnv, ORDER_EVENT } from '../helpers'
import { runCli } from './run-cli'
import { runMain } from './run-main'

let simulator: RunningSimulator
let env: NodeJS.ProcessEnv
let api: string[]
beforeAll(async () => {
  simulator = await startSimulator()
  env = credentialsEnv(simulator)
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
    const run = await runMain(['configs', ...api], env)
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(new RegExp(`Order Placed +${ORDER_EVENT.eventUID}`))
    const json = await runMain(['configs', '--json', ...api], env)
    expect(JSON.parse(json.stdout)).toHaveLength(3)
  })

  it('says plainly when the credentials are refused, with a non-zero exit', async () => {
    const run = await runMain(['configs', ...api], { ...env, LISTRAK_CLIENT_SECRET: 'nope-secret-999' })
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(/refused the client credentials \(HTTP 401\)/)
    expect(run.stderr).not.toContain('nope-secret-999')
  })

  it('says plainly which endpoint cannot be reached, and when the API path is wrong', async () => {
    const run = await runMain(
      ['configs', '--api-url', 'http://127.0.0.1:9/v1', '--token-url', 'http://127.0.0.1:9/t'],
      env
    )
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(/Cannot reach the token URL http:\/\/127\.0\.0\.1:9\/t \(ECONNREFUSED\)/)
    const api = await runMain(['configs', '--api-url', 'http://127.0.0.1:9/v1', '--token-url', simulator.tokenUrl], env)
    expect(api.stderr).toMatch(
      /Cannot reach the Listrak API at http:\/\/127\.0\.0\.1:9\/v1\/eventConfigurations \(ECONNREFUSED\)/
    )
    const wrongPath = await runMain(
      ['configs', '--api-url', simulator.apiUrl.replace('/crosschannel/v1', '/v2'), '--token-url', simulator.tokenUrl],
      env
    )
    expect(wrongPath.status).toBe(1)
    expect(wrongPath.stderr).toMatch(
      /answered 404 Not Found for its list of event configurations: is the API URL right/
    )
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
    expect((await runMain(['configs', '--config', config], env)).status).toBe(0)
    // --api-url and --token-url win over the file.
    const unreachable = path.join(dir, 'unreachable.json')
    writeFileSync(
      unreachable,
      JSON.stringify({
        endpoints: { apiUrl: 'http://127.0.0.1:9/v1', tokenUrl: 'http://127.0.0.1:9/t' },
        subscription: { mapping: {} }
      })
    )
    expect((await runMain(['configs', '--config', unreachable], env)).status).toBe(1)
    expect((await runMain(['configs', '--config', unreachable, ...api], env)).status).toBe(0)
  })
})

describe('listrak schema', () => {
  it("shows the event's fields, types and features", async () => {
    const run = await runMain(['schema', ORDER_EVENT.eventUID, ...api], env)
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/Order Placed/)
    expect(run.stdout).toMatch(/Used by: Workflow/)
    expect(run.stdout).toMatch(/orderTotal +Double/)
    expect(JSON.parse((await runMain(['schema', ORDER_EVENT.eventUID, '--json', ...api], env)).stdout)).toEqual(
      ORDER_EVENT
    )
  })

  it('finds an event configuration by its name too, as the action does', async () => {
    const run = await runMain(['schema', 'Order Placed', '--json', ...api], env)
    expect(run.status).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ eventUID: ORDER_EVENT.eventUID })
  })

  it('says plainly that an eventUID is unknown', async () => {
    const run = await runMain(['schema', '00000000-0000-0000-0000-000000000000', ...api], env)
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
              orderDate: { '@path': '$.timestamp' }
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
    const run = await runMain(['preview', '--json', '--config', config, sample], env)
    expect(run.status).toBe(3)
    const { events, summary } = JSON.parse(run.stdout) as { events: PreviewedEvent[]; summary: PreviewSummary }
    expect(simulator.state.stats.eventsAccepted).toBe(before)
    const kinds = (index: number) =>
      [...events[index].problems, ...(events[index].subscriptions[0]?.problems ?? [])].map(
        (problem) => `${problem.kind} ${problem.field}`
      )

    expect(events[0].subscriptions).toHaveLength(1)
    expect(events[0].subscriptions[0]).toMatchObject({
      subscription: 'subscription',
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
    expect(events[0].subscriptions[0].problems[0].message).toBe('Int field "itemCount" is not in the mapping.')
    expect(events[1]).toMatchObject({ outcome: 'rejected', subscriptions: [{ outcome: 'rejected', status: 400 }] })
    expect(kinds(1)).toContain('will-not-coerce dataFields.orderTotal')
    expect(events[2].outcome).toBe('rejected')
    expect(kinds(2)).toContain('missing-identifier emailAddress')
    expect(kinds(3)).toContain('invalid-identifier emailAddress')
    expect(events[4].outcome).toBe('would-send')
    // A literal dataFields key the schema lacks is refused before the preview (test/cli/clear-signals.test.ts).
    expect(kinds(4)).not.toContain('not-in-schema dataFields.giftWrap')
    expect(events[5]).toMatchObject({ outcome: 'unmatched', subscriptions: [], problems: [] })
    expect(events[6]).toMatchObject({ outcome: 'rejected', subscriptions: [] })
    expect(kinds(6)).toEqual(['unreadable (line)'])
    // A malformed phone beside a good email is left out: the event is still sent, with the email.
    expect(events[7].subscriptions[0]).toMatchObject({
      outcome: 'would-send',
      requestBody: { events: [{ identifiers: [{ identifierType: 'EmailAddress', identifierValue: 'f@example.com' }] }] }
    })
    expect(kinds(7)).toContain('invalid-identifier phoneNumber')
    expect(summary).toMatchObject({
      events: 8,
      wouldSend: 3,
      rejected: 4,
      unreadable: 1,
      bySubscription: [{ subscription: 'subscription', matched: 6, wouldSend: 3, rejected: 3 }],
      unmatched: { events: 1, common: [{ label: 'page', count: 1 }] }
    })
    expect(summary.commonProblems[0]).toMatchObject({
      subscription: 'subscription',
      kind: 'never-mapped',
      field: 'dataFields.itemCount',
      count: 6
    })

    const text = await runMain(['preview', '--config', config, '--limit', '2', sample], env)
    expect(text.status).toBe(3)
    expect(text.stdout).toMatch(/line 2: track "Order Completed"\n {2}-> subscription: would be REJECTED \(400\)/)
    expect(text.stdout).toMatch(/2 events: 1 would be sent, 1 rejected, 0 match no subscription\./)
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
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/1 events: 1 would be sent/)
    expect(await runMain(['preview', '--config', config, '--limit', 'x'], env)).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/--limit/)
    })
  })
})

describe('listrak preview of a destination instance', () => {
  const example = path.join(__dirname, '..', '..', 'examples', 'backfill.json')
  const traits = { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper' }
  const at = '2025-02-03T04:05:06Z'
  const mixed = [
    order({ order_id: 'O1', total: 25.5, quantity: 2, currency: 'EUR' }),
    JSON.stringify({
      type: 'track',
      event: 'Product Viewed',
      timestamp: at,
      context: { traits },
      properties: { product_id: 'P1', name: 'Scarf', price: 19 }
    }),
    JSON.stringify({ type: 'identify', timestamp: at, traits }),
    JSON.stringify({ type: 'page', name: 'Home', context: { traits } }),
    JSON.stringify({ type: 'track', event: 'Cart Viewed', context: { traits } }),
    JSON.stringify({ type: 'page', name: 'Checkout', context: { traits } })
  ]
  type Preview = { events: PreviewedEvent[]; summary: PreviewSummary }
  const matched = (preview: Preview) =>
    preview.events.map((event) => event.subscriptions.map(({ subscription }) => subscription))

  it('shows each event with the subscriptions it matches, what each would send, and what none matches; exit 0', async () => {
    const dir = workDir()
    const sample = path.join(dir, 'mixed.ndjson')
    writeFileSync(sample, mixed.join('\n'))
    const before = simulator.state.stats.eventsAccepted
    const run = await runMain(['preview', '--json', '--config', example, ...api, sample], env)
    expect(run.status).toBe(0)
    expect(simulator.state.stats.eventsAccepted).toBe(before)
    const preview = JSON.parse(run.stdout) as Preview
    expect(matched(preview)).toEqual([['Orders'], ['Product views'], ['Sign-ups'], [], [], []])
    expect(preview.events.map((event) => event.outcome)).toEqual([
      'would-send',
      'would-send',
      'would-send',
      'unmatched',
      'unmatched',
      'unmatched'
    ])
    expect(preview.events[2].subscriptions[0]).toMatchObject({
      payload: { eventUID: DEFAULT_EVENT_CONFIGURATIONS[2].eventUID, emailAddress: 'grace@example.com' },
      requestBody: {
        events: [
          {
            identifiers: [{ identifierType: 'EmailAddress', identifierValue: 'grace@example.com' }],
            dataFields: { firstName: 'Grace', lastName: 'Hopper', signupDate: '2025-02-03T04:05:06.000Z' }
          }
        ]
      }
    })
    expect(preview.events[1].subscriptions[0].requestBody).toMatchObject({
      events: [{ dataFields: { productId: 'P1', productName: 'Scarf', price: '19' } }]
    })
    expect(preview.summary).toMatchObject({
      events: 6,
      wouldSend: 3,
      rejected: 0,
      bySubscription: [
        { subscription: 'Orders', matched: 1, wouldSend: 1, rejected: 0 },
        { subscription: 'Product views', matched: 1, wouldSend: 1, rejected: 0 },
        { subscription: 'Sign-ups', matched: 1, wouldSend: 1, rejected: 0 }
      ],
      unmatched: {
        events: 3,
        common: [
          { label: 'page', count: 2 },
          { label: 'track "Cart Viewed"', count: 1 }
        ]
      }
    })

    const text = await runMain(['preview', '--config', example, ...api, sample], env)
    expect(text.status).toBe(0)
    expect(text.stdout).toMatch(/line 1: track "Order Completed"\n {2}-> Orders: would send\n {5}mapped payload: /)
    expect(text.stdout).toMatch(/line 3: identify\n {2}-> Sign-ups: would send/)
    expect(text.stdout).toMatch(/line 5: track "Cart Viewed": matches no subscription/)
    expect(text.stdout).toMatch(/6 events: 3 would be sent, 0 rejected, 3 match no subscription\./)
    expect(text.stdout).toMatch(/ {2}Sign-ups {7}1 matched: 1 would be sent, 0 rejected/)
    expect(text.stdout).toMatch(/Matching no subscription, most often: page \(2\), track "Cart Viewed" \(1\)/)
  })

  it('shows an event under every subscription it matches, and exits 3 when one would reject it', async () => {
    const dir = workDir()
    const instance = JSON.parse(readFileSync(example, 'utf8')) as { subscriptions: unknown[] }
    instance.subscriptions.push({
      name: 'Every track',
      subscribe: 'type = "track"',
      mapping: {
        eventUID: BROWSE_EVENT.eventUID,
        emailAddress: { '@path': '$.context.traits.email' },
        dataFields: { price: { '@path': '$.properties.total' } }
      }
    })
    const config = path.join(dir, 'instance.json')
    writeFileSync(config, JSON.stringify(instance))
    const sample = path.join(dir, 'sample.ndjson')
    writeFileSync(sample, [mixed[0], order({ order_id: 'O2', total: 'N/A' }), mixed[3]].join('\n'))
    const run = await runMain(['preview', '--json', '--config', config, ...api, sample], env)
    expect(run.status).toBe(3)
    const preview = JSON.parse(run.stdout) as Preview
    expect(matched(preview)).toEqual([['Orders', 'Every track'], ['Orders', 'Every track'], []])
    expect(preview.events[0].subscriptions[1].requestBody).toMatchObject({
      events: [{ dataFields: { price: '25.5' } }]
    })
    expect(preview.events[1]).toMatchObject({
      outcome: 'rejected',
      subscriptions: [
        { subscription: 'Orders', outcome: 'rejected', status: 400 },
        { subscription: 'Every track', outcome: 'rejected', status: 400 }
      ]
    })
    expect(preview.events[1].subscriptions[0].problems).toContainEqual(
      expect.objectContaining({ kind: 'will-not-coerce', field: 'dataFields.orderTotal' })
    )
    expect(preview.summary).toMatchObject({ events: 3, wouldSend: 1, rejected: 1, unmatched: { events: 1 } })
    expect(preview.summary.bySubscription[3]).toEqual({
      subscription: 'Every track',
      matched: 2,
      wouldSend: 1,
      rejected: 1
    })
  })

  it('names the file and key of a subscription it cannot run, with exit 2', async () => {
    const dir = workDir()
    const config = path.join(dir, 'bad.json')
    writeFileSync(config, JSON.stringify({ subscriptions: [{ name: 'A', subscribe: 'type = "track', mapping: {} }] }))
    const run = await runCli(['preview', '--config', config, ...api], { env, input: mixed[0] })
    expect(run.status).toBe(2)
    expect(run.stderr).toContain(config)
    expect(run.stderr).toContain('subscriptions[0].subscribe: "type = \\"track" is not a trigger')
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
    const run = await runMain(['mapping', 'init', ORDER_EVENT.eventUID, '--sample', sample, '--out', out, ...api], env)
    expect(run.status).toBe(0)
    expect(run.stderr).toMatch(/Mapped 6 of 6 fields of Order Placed from "Order Completed" events/)
    const config = JSON.parse(readFileSync(out, 'utf8')) as {
      subscriptions: { name: string; subscribe: string; mapping: { emailAddress: unknown; dataFields: unknown } }[]
    }
    expect(config.subscriptions).toHaveLength(1)
    expect(config.subscriptions[0].name).toBe('Order Placed')
    expect(config.subscriptions[0].subscribe).toBe('type = "track" and event = "Order Completed"')
    expect(config.subscriptions[0].mapping.emailAddress).toEqual({ '@path': '$.context.traits.email' })
    expect(config.subscriptions[0].mapping.dataFields).toEqual({
      orderId: { '@path': '$.properties.ORDER_ID' },
      orderTotal: { '@path': '$.properties.order-total' },
      itemCount: { '@path': '$.properties.itemcount' },
      orderDate: { '@path': '$.properties.OrderDate' },
      currency: { '@path': '$.context.traits.Currency' },
      couponCode: { '@path': '$.properties.coupon_code' }
    })
    const preview = await runMain(['preview', '--config', out, sample], env)
    expect(preview.status).toBe(0)
    expect(preview.stdout).toMatch(/3 events: 2 would be sent, 0 rejected, 1 match no subscription\./)
  })

  it('lists the fields it cannot match, and errs clearly on an unknown eventUID', async () => {
    const dir = workDir()
    const sample = path.join(dir, 'sample.ndjson')
    writeFileSync(sample, JSON.stringify({ type: 'track', event: 'Order Completed', properties: { order_id: 'X' } }))
    const run = await runMain(['mapping', 'init', ORDER_EVENT.eventUID, '--sample', sample, ...api], env)
    expect(run.status).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({
      subscriptions: [{ name: 'Order Placed', mapping: { eventUID: ORDER_EVENT.eventUID } }]
    })
    expect(run.stderr).toMatch(
      /No match in the sample; add these to subscriptions\[0\]\.mapping\.dataFields[\s\S]*orderTotal \(Double\)/
    )
    const unknown = await runMain(['mapping', 'init', 'no-such-event', '--sample', sample, ...api], env)
    expect(unknown.status).toBe(1)
    expect(unknown.stderr).toMatch(/no event configuration with eventUID "no-such-event"/)
  })
})

describe('listrak mapping init --config, --name, --out, --force', () => {
  const SIGNUP_EVENT = DEFAULT_EVENT_CONFIGURATIONS[2]
  const example = readFileSync(path.join(__dirname, '..', '..', 'examples', 'backfill.json'), 'utf8')
  const identifies = [1, 2, 3]
    .map((n) =>
      JSON.stringify({
        type: 'identify',
        timestamp: '2025-02-03T04:05:06Z',
        traits: { email: `user${n}@example.com`, firstName: `First${n}`, lastName: `Last${n}` }
      })
    )
    .join('\n')
  let dir: string
  let sample: string
  beforeEach(() => {
    dir = workDir()
    sample = path.join(dir, 'identifies.ndjson')
    writeFileSync(sample, identifies)
  })
  type Written = { subscriptions: { name: string; subscribe: string; mapping: Record<string, unknown> }[] }

  it('suggests from identify traits, and preview sends the identify calls with the result', async () => {
    const out = path.join(dir, 'signups.json')
    const run = await runMain(['mapping', 'init', SIGNUP_EVENT.eventUID, '--sample', sample, '--out', out, ...api], env)
    expect(run.status).toBe(0)
    expect(run.stderr).toMatch(/Mapped 2 of 4 fields of Signed Up from identify calls/)
    const [subscription] = (JSON.parse(readFileSync(out, 'utf8')) as Written).subscriptions
    expect(subscription).toMatchObject({
      name: 'Signed Up',
      subscribe: 'type = "identify"',
      mapping: {
        emailAddress: { '@path': '$.traits.email' },
        dataFields: { firstName: { '@path': '$.traits.firstName' }, lastName: { '@path': '$.traits.lastName' } }
      }
    })
    const preview = await runMain(['preview', '--config', out, sample], env)
    expect(preview.status).toBe(0)
    expect(preview.stdout).toMatch(/3 events: 3 would be sent, 0 rejected, 0 match no subscription\./)
  })

  it('refuses a subscription that would send the events of another one a second time', async () => {
    const config = path.join(dir, 'backfill.json')
    writeFileSync(config, example)
    const run = await runMain(
      ['mapping', 'init', SIGNUP_EVENT.eventUID, '--sample', sample, '--config', config, '--name', 'Again', ...api],
      env
    )
    expect(run.status).toBe(2)
    expect(run.stderr).toMatch(
      /subscriptions\[2\] \("Sign-ups"\) already sends the events of type = "identify" to this event configuration/
    )
    expect(readFileSync(config, 'utf8')).toBe(example)
  })

  it('adds a named subscription to a configuration of several, leaving the others as they were', async () => {
    const config = path.join(dir, 'backfill.json')
    // The example without its sign-up subscription, which the new one would repeat.
    const twoOfThree = example.replace(/,\n {4}\{\n {6}"name": "Sign-ups"[\s\S]*?\n {4}\}\n {2}\]/, '\n  ]')
    writeFileSync(config, twoOfThree)
    const run = await runMain(
      [
        'mapping',
        'init',
        SIGNUP_EVENT.eventUID,
        '--sample',
        sample,
        '--config',
        config,
        '--name',
        'Identified',
        ...api
      ],
      env
    )
    expect(run.status).toBe(0)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain(`Added "Identified" as subscriptions[2] of ${config}.`)
    const text = readFileSync(config, 'utf8')
    const written = JSON.parse(text) as Written & Record<string, unknown>
    const before = JSON.parse(twoOfThree) as Written & Record<string, unknown>
    expect(before.subscriptions).toHaveLength(2)
    expect(written.subscriptions.slice(0, 2)).toEqual(before.subscriptions)
    expect(written.subscriptions[2]).toMatchObject({ name: 'Identified', subscribe: 'type = "identify"' })
    expect({ ...written, subscriptions: [] }).toEqual({ ...before, subscriptions: [] })
    // Laid out as the file was: the lines before the new entry are unchanged.
    const end = twoOfThree.lastIndexOf('    }\n  ],')
    expect(text.slice(0, end)).toBe(twoOfThree.slice(0, end))
  })

  it('refuses a name the configuration has already, and suggests --name', async () => {
    const config = path.join(dir, 'backfill.json')
    writeFileSync(config, example)
    const run = await runMain(
      ['mapping', 'init', SIGNUP_EVENT.eventUID, '--sample', sample, '--config', config, '--name', 'Sign-ups', ...api],
      env
    )
    expect(run.status).toBe(2)
    expect(run.stderr).toContain(
      `${config}: subscriptions[2] is named "Sign-ups" already; give the new subscription another name with --name NAME.`
    )
    expect(readFileSync(config, 'utf8')).toBe(example)
  })

  it('turns a configuration of one subscription into the list form, naming it after its event configuration', async () => {
    const config = path.join(dir, 'single.json')
    const single = {
      settings: {},
      subscription: {
        subscribe: 'type = "track" and event = "Order Completed"',
        mapping: { eventUID: ORDER_EVENT.eventUID }
      },
      concurrency: 2
    }
    writeFileSync(config, JSON.stringify(single))
    const run = await runMain(
      ['mapping', 'init', SIGNUP_EVENT.eventUID, '--sample', sample, '--config', config, ...api],
      env
    )
    expect(run.status).toBe(0)
    expect(run.stderr).toMatch(/the single subscription is now subscriptions\[0\], "Order Placed"/)
    const written = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>
    expect(Object.keys(written)).toEqual(['settings', 'subscriptions', 'concurrency'])
    expect((written as Written).subscriptions).toEqual([
      { name: 'Order Placed', ...single.subscription },
      expect.objectContaining({ name: 'Signed Up', subscribe: 'type = "identify"' })
    ])
  })

  it('never replaces an existing file without --force', async () => {
    const out = path.join(dir, 'mine.json')
    writeFileSync(out, 'keep me')
    const refused = await runMain(
      ['mapping', 'init', SIGNUP_EVENT.eventUID, '--sample', sample, '--out', out, ...api],
      env
    )
    expect(refused.status).toBe(2)
    expect(refused.stderr).toContain(
      `${out} exists already; pass --force to replace it, or add to it with --config ${out}.`
    )
    expect(readFileSync(out, 'utf8')).toBe('keep me')
    const forced = await runMain(
      ['mapping', 'init', SIGNUP_EVENT.eventUID, '--sample', sample, '--out', out, '--force', ...api],
      env
    )
    expect(forced.status).toBe(0)
    expect((JSON.parse(readFileSync(out, 'utf8')) as Written).subscriptions[0].name).toBe('Signed Up')
  })
})
