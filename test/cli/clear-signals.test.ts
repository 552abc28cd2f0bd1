import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { startSimulator } from '../../src/simulator'
import type { RunningSimulator } from '../../src/simulator'
import { workDir } from '../backfill/fixtures'
import { credentialsEnv, startLocalServer } from '../helpers'
import { runMain } from './run-main'

let simulator: RunningSimulator
let env: NodeJS.ProcessEnv
beforeAll(async () => {
  simulator = await startSimulator()
  env = credentialsEnv(simulator)
})
afterAll(() => simulator.close())
beforeEach(() => simulator.state.journal.splice(0))

interface Instance {
  endpoints?: Record<string, string>
  subscriptions: { name: string; mapping: Record<string, unknown> & { dataFields: Record<string, unknown> } }[]
}
const example = (): Instance =>
  JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'examples', 'backfill.json'), 'utf8')) as Instance

/** examples/backfill.json pointed at the simulator, changed by `edit`, in a file of its own. */
function writeConfig(dir: string, edit: (instance: Instance) => void = () => undefined): string {
  const instance = example()
  instance.endpoints = { apiUrl: simulator.apiUrl, tokenUrl: simulator.tokenUrl }
  edit(instance)
  const file = path.join(dir, 'instance.json')
  writeFileSync(file, JSON.stringify(instance, null, 2))
  return file
}

function writeLines(dir: string, events: unknown[], name = 'sample.ndjson'): string {
  const file = path.join(dir, name)
  writeFileSync(file, `${events.map((event) => JSON.stringify(event)).join('\n')}\n`)
  return file
}

const order = (properties: Record<string, unknown>, traits: unknown = { email: 'ada@example.com' }) => ({
  type: 'track',
  event: 'Order Completed',
  timestamp: '2025-02-03T04:05:06Z',
  context: { traits },
  properties: { order_id: 'O1', total: 10, ...properties }
})

const backfill = (dir: string, config: string, input: string, ...more: string[]) =>
  runMain(
    ['backfill', '--config', config, '--workers', '0', '--dead-letter', path.join(dir, 'dl.ndjson'), ...more, input],
    env
  )
const preview = (config: string, input: string, ...more: string[]) =>
  runMain(['preview', '--config', config, ...more, input], env)

describe('a misspelled directive', () => {
  it('is one line naming the key, with did-you-mean, in preflight and preview (exit 2), and no stack trace', async () => {
    const dir = workDir()
    const config = writeConfig(dir, (instance) => {
      instance.subscriptions[0].mapping.dataFields.orderDate = { '@paht': '$.timestamp' }
    })
    const input = writeLines(dir, [order({})])
    const expected =
      'subscriptions[0].mapping.dataFields.orderDate: has an invalid directive: @paht (did you mean "@path"?)'
    for (const run of [await backfill(dir, config, input), await preview(config, input)]) {
      expect(run.status).toBe(2)
      expect(run.stderr).toContain(`  ${expected}\n`)
      expect(run.stderr).not.toMatch(/\bat \S+ \(|ValidationError/)
    }
    expect(simulator.state.journal).toHaveLength(0)
  })
})

describe('a configuration with comments', () => {
  it('is refused by line and column, saying the file is JSON (exit 2)', async () => {
    const dir = workDir()
    const config = path.join(dir, 'commented.json')
    const text = JSON.stringify(example(), null, 2).replace('"settings": {},', '"settings": {}, // none needed')
    writeFileSync(config, text)
    const input = writeLines(dir, [order({})])
    for (const run of [await backfill(dir, config, input), await preview(config, input)]) {
      expect(run.status).toBe(2)
      expect(run.stderr).toContain(
        `${config} is not valid JSON: line 3, column 19: Expected double-quoted property name: comments are not allowed (the file is JSON, not JSONC)`
      )
    }
  })
})

describe('preview of a sample file that is not there', () => {
  it('exits 2 naming the file, as a usage error', async () => {
    const dir = workDir()
    const missing = path.join(dir, 'no-such-sample.ndjson')
    const run = await preview(writeConfig(dir), missing)
    expect(run.status).toBe(2)
    expect(run.stderr).toMatch(
      /^listrak preview: Cannot read the sample .*no-such-sample\.ndjson: ENOENT: no such file/
    )
  })
})

describe('a token endpoint that cannot be reached', () => {
  it('says the API cannot be reached, not that authentication failed (exit 1, nothing sent)', async () => {
    const dir = workDir()
    // A port that was just listening and is closed now: nothing answers there.
    const closed = await startLocalServer(() => undefined)
    await closed.close()
    const config = writeConfig(dir, (instance) => {
      instance.endpoints = { apiUrl: `${closed.url}/crosschannel/v1`, tokenUrl: `${closed.url}/OAuth2/Token` }
    })
    const run = await backfill(dir, config, writeLines(dir, [order({})]))
    expect(run.status).toBe(1)
    expect(run.stdout).toMatch(/stopped .*: Cannot reach the API to get a token: request to .*\/OAuth2\/Token failed/)
    expect(run.stdout + run.stderr).not.toMatch(/Authentication failed/)
  })
})

describe('"Sending X to ..."', () => {
  it('is printed only once the run has passed its checks', async () => {
    const dir = workDir()
    const config = writeConfig(dir)
    const input = writeLines(dir, [order({})])
    const refused = await runMain(['backfill', '--config', config, '--workers', '0', input], {
      ...env,
      LISTRAK_CLIENT_SECRET: 'not-the-secret'
    })
    expect(refused.status).toBe(1)
    const otherOutput = await backfill(dir, config, input, '--report', input)
    expect(otherOutput.status).toBe(2)
    for (const run of [refused, otherOutput]) expect(run.stderr).not.toMatch(/Sending/)

    const sent = await backfill(dir, config, input)
    expect(sent.status).toBe(0)
    expect(sent.stderr).toMatch(/^Sending .*sample\.ndjson to http:\/\/127\.0\.0\.1:\d+\n/)
  })
})

describe('a Date field given YYYYMMDD, 0 or -1', () => {
  it('sends YYYYMMDD as that day and refuses 0 and -1, in backfill and preview alike: never a silent 1970', async () => {
    const dir = workDir()
    const config = writeConfig(dir, (instance) => {
      instance.subscriptions[0].mapping.dataFields.orderDate = { '@path': '$.properties.order_date' }
    })
    const input = writeLines(dir, [
      order({ order_id: 'O1', order_date: '20250102' }),
      order({ order_id: 'O2', order_date: '0' }),
      order({ order_id: 'O3', order_date: -1 })
    ])
    const run = await backfill(dir, config, input)
    expect(run.status).toBe(3)
    expect(simulator.state.journal.map((entry) => [entry.dataFields.orderId, entry.dataFields.orderDate])).toEqual([
      ['O1', '2025-01-02T00:00:00.000Z']
    ])
    const reasons = readFileSync(path.join(dir, 'dl.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { deadLetter: { reason: string } }).deadLetter.reason)
    expect(reasons).toEqual([
      'dataFields.orderDate (Date) cannot take the value "0": an epoch timestamp before 1973 (below 10^8 seconds), likely a mistake.',
      'dataFields.orderDate (Date) cannot take the value -1: an epoch timestamp before 1973 (below 10^8 seconds), likely a mistake.'
    ])

    const previewed = await preview(config, input, '--json')
    expect(previewed.status).toBe(3)
    const { events } = JSON.parse(previewed.stdout) as { events: { outcome: string }[] }
    expect(events.map((event) => event.outcome)).toEqual(['would-send', 'rejected', 'rejected'])
  })
})

describe('preview and backfill agree', () => {
  const viewed = {
    type: 'track',
    event: 'Product Viewed',
    timestamp: '2025-02-03T04:05:06Z',
    context: { traits: { email: 'ada@example.com' } },
    properties: { product_id: 'P1', name: 'Scarf', price: 19 }
  }

  it('on an eventUID given by the name of an event configuration: both send it there', async () => {
    const dir = workDir()
    const config = writeConfig(dir, (instance) => (instance.subscriptions[1].mapping.eventUID = 'Product Browsed'))
    const input = writeLines(dir, [viewed])
    const previewed = await preview(config, input)
    expect(previewed.stdout).toMatch(/-> Product views: would send/)
    expect(previewed.status).toBe(0)
    const sent = await backfill(dir, config, input)
    expect(sent.status).toBe(0)
    expect(simulator.state.journal.map((entry) => [entry.eventUID, entry.dataFields.productId])).toEqual([
      ['2b7d9f40-8c3e-4f6a-b1d2-7e5a9c0f4d12', 'P1']
    ])
  })

  it('on a name the account lacks: both refuse it before anything is sent, in the same words (exit 1)', async () => {
    const dir = workDir()
    const config = writeConfig(dir, (instance) => (instance.subscriptions[1].mapping.eventUID = 'Product Browse'))
    const input = writeLines(dir, [viewed])
    const expected =
      'subscription "Product views": mapping.eventUID: "Product Browse" is not one of the choices the account offers (did you mean "Product Browsed"?)'
    const previewed = await preview(config, input)
    expect(previewed.status).toBe(1)
    expect(previewed.stderr).toContain(expected)
    const sent = await backfill(dir, config, input)
    expect(sent.status).toBe(1)
    expect(sent.stdout).toContain(expected)
    expect(simulator.state.journal).toHaveLength(0)
  })

  it('on a data-field key the schema lacks: both refuse it with did-you-mean, as a configuration mistake (exit 2)', async () => {
    const dir = workDir()
    const config = writeConfig(dir, (instance) => {
      const { price, ...rest } = instance.subscriptions[1].mapping.dataFields
      instance.subscriptions[1].mapping.dataFields = { ...rest, prize: price }
    })
    const input = writeLines(dir, [viewed])
    const expected =
      '  subscription "Product views": mapping.dataFields.prize: not one of the keys the account offers for this field (did you mean "price"?); its keys: productId, productName, price, category, viewedAt\n'
    for (const run of [await preview(config, input), await backfill(dir, config, input)]) {
      expect(run.status).toBe(2)
      expect(run.stderr).toContain(expected)
    }
    expect(simulator.state.journal).toHaveLength(0)
  })

  it('on events whose email, phone or traits are null: preview says what the backfill does', async () => {
    const dir = workDir()
    const config = writeConfig(dir)
    const input = writeLines(dir, [
      order({ order_id: 'N1' }, { email: null }),
      order({ order_id: 'N2' }, { email: 'ada@example.com', phone: null }),
      order({ order_id: 'N3', email: 'grace@example.com' }, null)
    ])
    const previewed = await preview(config, input, '--json')
    expect(previewed.stderr).toBe('')
    const { events } = JSON.parse(previewed.stdout) as { events: { outcome: string }[] }
    expect(events.map((event) => event.outcome)).toEqual(['rejected', 'would-send', 'would-send'])
    expect(previewed.status).toBe(3)

    const sent = await backfill(dir, config, input)
    expect(sent.status).toBe(3)
    expect(simulator.state.journal.map((entry) => entry.dataFields.orderId)).toEqual(['N2', 'N3'])
  })
})

describe('warnings', () => {
  it('are shown by their most common texts with counts in the summary and the report, naming no one', async () => {
    const dir = workDir()
    const config = writeConfig(dir)
    const report = path.join(dir, 'report.json')
    const input = writeLines(dir, [
      order({ order_id: 'W1' }, { email: 'ada@example.com', phone: 'call-me-42' }),
      order({ order_id: 'W2' }, { email: 'ada@example.com', phone: 'call-me-43' }),
      order({ order_id: 'W3' }, { email: 'ada@example.com', phone: 'ring-555' }),
      order({ order_id: 'W4' })
    ])
    const run = await backfill(dir, config, input, '--report', report)
    expect(run.status).toBe(0)
    const twoDigits = 'phoneNumber "…" is not a phone number: it has 2 digits, expected 7 to 15.'
    const threeDigits = 'phoneNumber "…" is not a phone number: it has 3 digits, expected 7 to 15.'
    expect(run.stdout).toContain(
      `  most common warnings:\n         2 x Orders: ${twoDigits}\n         1 x Orders: ${threeDigits}\n`
    )
    const written = readFileSync(report, 'utf8')
    expect((JSON.parse(written) as { warnings: unknown }).warnings).toEqual([
      { subscription: 'Orders', text: twoDigits, count: 2 },
      { subscription: 'Orders', text: threeDigits, count: 1 }
    ])
    for (const output of [run.stdout, run.stderr, written]) expect(output).not.toMatch(/call-me|ring-555/)
  })
})
