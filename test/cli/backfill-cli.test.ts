import { once } from 'node:events'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { startSimulator } from '../../src/simulator'
import type { RunningSimulator } from '../../src/simulator'
import { summarize } from '../../src/cli/backfill'
import {
  arrivals,
  backfillOptions,
  readDeadLetters,
  runBackfill,
  subscriptions,
  workDir,
  writeExport
} from '../backfill/fixtures'
import { credentialsEnv, waitFor } from '../helpers'
import { runCli, spawnCli } from './run-cli'
import { runMain } from './run-main'

let simulator: RunningSimulator
let env: NodeJS.ProcessEnv
beforeAll(async () => {
  simulator = await startSimulator({ config: { faults: { latencyMs: 10 } } })
  env = credentialsEnv(simulator)
})
afterAll(() => simulator.close())
beforeEach(() => simulator.state.journal.splice(0))

const { key: _key, ...orders } = subscriptions[0]

function writeConfig(dir: string, extra: Record<string, unknown> = {}): string {
  const file = path.join(dir, 'backfill.json')
  const config = {
    endpoints: { apiUrl: simulator.apiUrl, tokenUrl: simulator.tokenUrl },
    subscriptions: subscriptions.map(({ key: _unused, ...subscription }) => subscription),
    batching: { size: 20 },
    concurrency: 2,
    retry: { baseDelayMs: 5 },
    ...extra
  }
  writeFileSync(file, JSON.stringify(config))
  return file
}

describe('listrak backfill', () => {
  it('exits 0 when every event is accepted, and writes a report whose counts add up', async () => {
    const dir = workDir()
    const { file, orderIds } = writeExport(dir, 100)
    const report = path.join(dir, 'report.json')
    const run = await runMain(['backfill', '--config', writeConfig(dir), '--report', report, file], env)
    expect(run.stderr).not.toMatch(/error/i)
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/Backfill completed/)
    expect(JSON.parse(readFileSync(report, 'utf8'))).toMatchObject({
      outcome: 'completed',
      counts: { read: 100, unreadable: 0, subscriptions: { Orders: { accepted: 100, rejected: 0 } } }
    })
    expect([...arrivals(simulator).keys()].sort()).toEqual(orderIds.sort())
  })

  it('exits 3 when events were dead-lettered, and names the dead-letter file', async () => {
    const dir = workDir()
    const { file } = writeExport(dir, 10, { 3: 'not json' })
    const deadLetters = path.join(dir, 'dl.ndjson')
    const run = await runMain(['backfill', '--config', writeConfig(dir), '--dead-letter', deadLetters, file], env)
    expect(run.status).toBe(3)
    expect(run.stdout).toContain(deadLetters)
    expect(readDeadLetters(deadLetters)).toMatchObject([{ raw: 'not json', deadLetter: { where: 'line 3' } }])
  })

  it('reads stdin, gzipped or not', async () => {
    const dir = workDir()
    const { file, orderIds } = writeExport(dir, 30)
    const plain = readFileSync(file)
    expect(await runCli(['backfill', '--quiet', '--config', writeConfig(dir)], { env, input: plain })).toMatchObject({
      status: 0,
      stdout: ''
    })
    expect(simulator.state.journal).toHaveLength(30)
    const gz = path.join(dir, 'export.ndjson.gz')
    writeFileSync(gz, gzipSync(plain))
    expect((await runMain(['backfill', '--quiet', '--config', writeConfig(dir), gz], env)).status).toBe(0)
    expect(
      (await runCli(['backfill', '--quiet', '--config', writeConfig(dir), '-'], { env, input: gzipSync(plain) })).status
    ).toBe(0)
    const counts = arrivals(simulator)
    expect([...counts.keys()].sort()).toEqual(orderIds.sort())
    expect([...counts.values()].every((count) => count === 3)).toBe(true)
  })

  it('replays a dead-letter file as input', async () => {
    const dir = workDir()
    const config = writeConfig(dir)
    const { file } = writeExport(dir, 5)
    const deadLetters = path.join(dir, 'dl.ndjson')
    writeFileSync(
      deadLetters,
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line, index) =>
          JSON.stringify({
            event: JSON.parse(line) as unknown,
            deadLetter: { file, line: index + 1, status: 503, reason: 'x', at: 'then' }
          })
        )
        .join('\n')
    )
    expect((await runMain(['backfill', '--quiet', '--config', config, deadLetters], env)).status).toBe(0)
    expect(simulator.state.journal).toHaveLength(5)
  })

  it('sends nothing in a dry run, and writes the request bodies it would send', async () => {
    const dir = workDir()
    const { file } = writeExport(dir, 30, { 2: 'broken' })
    const payloads = path.join(dir, 'payloads.ndjson')
    const run = await runMain(
      [
        'backfill',
        '--dry-run',
        '--payloads',
        payloads,
        '--config',
        writeConfig(dir),
        '--dead-letter',
        path.join(dir, 'dl'),
        file
      ],
      env
    )
    expect(run.status).toBe(3)
    expect(run.stdout).toMatch(/would send +rejected[^\n]*\n +Orders +30 +0 /)
    expect(simulator.state.journal).toHaveLength(0)
    const bodies = readFileSync(payloads, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { method: string; path: string; body: { events: unknown[] } })
    expect(bodies.every((body) => body.method === 'POST' && body.path.endsWith('/events'))).toBe(true)
    expect(bodies.flatMap((body) => body.body.events)).toHaveLength(30)
  })

  describe('exits 2 for usage and configuration errors, before sending anything', () => {
    it.each([
      ['no --config', (dir: string) => ['backfill', path.join(dir, 'x')], /--config is required/],
      [
        'a missing config file',
        (dir: string) => ['backfill', '--config', path.join(dir, 'none.json')],
        /Cannot read the configuration/
      ],
      [
        'a key of the wrong type',
        (dir: string) => ['backfill', '--config', writeConfig(dir, { concurrency: 'lots' })],
        /concurrency: .*expected number/i
      ],
      ['an unknown key', (dir: string) => ['backfill', '--config', writeConfig(dir, { concurency: 2 })], /concurency/],
      [
        'a secret in the file',
        (dir: string) => ['backfill', '--config', writeConfig(dir, { settings: { client_secret: 'shh' } })],
        /settings\.client_secret: credentials are read from LISTRAK_CLIENT_SECRET/
      ],
      [
        'a secret in the file under its earlier name',
        (dir: string) => ['backfill', '--config', writeConfig(dir, { settings: { clientSecret: 'shh' } })],
        /settings\.clientSecret: credentials are read from LISTRAK_CLIENT_SECRET/
      ],
      [
        'plain http to another host',
        (dir: string) => [
          'backfill',
          '--config',
          writeConfig(dir, { endpoints: { apiUrl: 'http://api.example.com', tokenUrl: simulator.tokenUrl } })
        ],
        /endpoints: The apiUrl "http:\/\/api.example.com" must use https/
      ],
      [
        'an endpoint among the settings',
        (dir: string) => ['backfill', '--config', writeConfig(dir, { settings: { apiUrl: simulator.apiUrl } })],
        /settings\.apiUrl: the destination's endpoints are not settings/
      ],
      [
        'an unknown key in endpoints',
        (dir: string) => ['backfill', '--config', writeConfig(dir, { endpoints: { apiURL: simulator.apiUrl } })],
        /endpoints: .*apiURL/
      ],
      [
        'a bad --batch-size',
        (dir: string) => ['backfill', '--batch-size', '0', '--config', writeConfig(dir)],
        /--batch-size must be a whole number/
      ],
      [
        'an input that does not exist',
        (dir: string) => ['backfill', '--config', writeConfig(dir), path.join(dir, 'missing.ndjson')],
        /Cannot read the input .*missing\.ndjson/
      ],
      [
        'a mapping directive of the wrong shape',
        (dir: string) => [
          'backfill',
          '--config',
          writeConfig(dir, { subscriptions: [{ ...orders, mapping: { eventUID: { '@if': { then: 'x' } } } }] })
        ],
        /subscriptions\[0\]\.mapping: @if requires an "exists" key/
      ],
      [
        'a subscription that does not parse',
        (dir: string) => [
          'backfill',
          '--config',
          writeConfig(dir, { subscriptions: [{ ...orders, subscribe: 'typo "x"' }] })
        ],
        /subscriptions\[0\]\.subscribe: "typo \\"x\\"" is not a trigger in Segment's subscription syntax/
      ],
      [
        'a settings key the destination does not declare',
        (dir: string) => ['backfill', '--config', writeConfig(dir, { settings: { client_ld: 'x' } })],
        /settings\.client_ld: Listrak Cross Channel has no such setting \(did you mean "client_id"\?\)/
      ],
      [
        'a mapping key the action has no field for',
        (dir: string) => [
          'backfill',
          '--config',
          writeConfig(dir, { subscriptions: [{ ...orders, mapping: { ...orders.mapping, emailAdress: 'a@b.co' } }] })
        ],
        /subscriptions\[0\]\.mapping\.emailAdress: the action has no field "emailAdress" \(did you mean "emailAddress"\?\)/
      ],
      [
        'a required field left unmapped',
        (dir: string) => [
          'backfill',
          '--config',
          writeConfig(dir, { subscriptions: [{ ...orders, mapping: { emailAddress: 'a@b.co' } }] })
        ],
        /subscriptions\[0\]\.mapping\.eventUID: the action requires this field/
      ],
      [
        'a batch size beyond the limit of the action',
        (dir: string) => ['backfill', '--batch-size', '100000', '--config', writeConfig(dir)],
        /--batch-size: 100000 is more than the action allows \(10000\)/
      ],
      [
        'an unknown partnerAction',
        (dir: string) => [
          'backfill',
          '--config',
          writeConfig(dir, { subscriptions: [{ ...orders, partnerAction: 'sendCustomEvents' }] })
        ],
        /has no action "sendCustomEvents" \(did you mean "sendCustomEvent"\?\)/
      ]
    ])('%s', async (_case, args, message) => {
      const dir = workDir()
      const deadLetters = path.join(dir, 'dl.ndjson')
      const run = await runMain([...args(dir), '--dead-letter', deadLetters], env)
      expect({ status: run.status, stderr: run.stderr }).toMatchObject({
        status: 2,
        stderr: expect.stringMatching(message)
      })
      expect(simulator.state.journal).toHaveLength(0)
      expect(existsSync(deadLetters)).toBe(false)
    })

    it('missing credentials', async () => {
      const dir = workDir()
      const run = await runMain(['backfill', '--config', writeConfig(dir), path.join(dir, 'x')], {
        LISTRAK_CLIENT_ID: '',
        LISTRAK_CLIENT_SECRET: ''
      })
      expect(run.status).toBe(2)
      expect(run.stderr).toMatch(/Set LISTRAK_CLIENT_ID and LISTRAK_CLIENT_SECRET/)
    })
  })

  it('exits 1 when the credentials are refused, keeping the checkpoint and never printing the secret', async () => {
    const dir = workDir()
    const { file } = writeExport(dir, 5)
    const checkpoint = path.join(dir, 'cp.json')
    const run = await runMain(['backfill', '--checkpoint', checkpoint, '--config', writeConfig(dir), file], {
      ...env,
      LISTRAK_CLIENT_SECRET: 'a-wrong-secret-1234'
    })
    expect(run.status).toBe(1)
    expect(run.stdout).toMatch(/stopped .*refused the client credentials/)
    expect(run.stdout + run.stderr).not.toContain('a-wrong-secret-1234')
    expect(JSON.parse(readFileSync(checkpoint, 'utf8'))).toMatchObject({ complete: false, position: null })
  })

  it('exits 1 before sending anything when a mapping names an event configuration the account does not have', async () => {
    const dir = workDir()
    const { file } = writeExport(dir, 5)
    const deadLetters = path.join(dir, 'dl.ndjson')
    const config = writeConfig(dir, {
      subscriptions: [{ ...orders, mapping: { ...orders.mapping, eventUID: '00000000-0000-4000-8000-000000000000' } }]
    })
    const run = await runMain(['backfill', '--config', config, '--dead-letter', deadLetters, file], env)
    expect(run.status).toBe(1)
    expect(run.stdout).toMatch(
      /subscription "Orders": mapping\.eventUID: "00000000-0000-4000-8000-000000000000" is not one of the choices the account offers: Order Placed \(6f1c1b8e-4d2a-4c1e-9a57-0b9a3f2e8c01\)/
    )
    expect(simulator.state.journal).toHaveLength(0)
    expect(existsSync(deadLetters)).toBe(false)
  })

  it('resumes after SIGKILL from its checkpoint: everything arrives, and nothing acknowledged before the kill is sent again', async () => {
    const dir = workDir()
    const { file, lines, orderIds } = writeExport(dir, 1200)
    const checkpoint = path.join(dir, 'cp.json')
    const config = writeConfig(dir)
    const child = spawnCli(['backfill', '--quiet', '--checkpoint', checkpoint, '--config', config, file], env)
    const exited = once(child, 'exit')
    await waitFor(() => simulator.state.journal.length >= 300, '300 events to arrive', 20_000, { child, everyMs: 2 })
    child.kill('SIGKILL')
    expect(await exited).toEqual([null, 'SIGKILL'])
    const atKill = JSON.parse(readFileSync(checkpoint, 'utf8')) as {
      position: { seq: number } | null
      finishedAfter: [number, number][]
      inFlight: number
    }
    const arrivedBeforeKill = simulator.state.journal.length
    expect(arrivedBeforeKill).toBeLessThan(1200)

    const resumed = await runMain(['backfill', '--checkpoint', checkpoint, '--config', config, file], env)
    expect(resumed.status).toBe(0)
    expect(resumed.stdout).toMatch(
      /resumed from a checkpoint: [\d,]+ events finished before; [\d,]+ read and unfinished then went again/
    )

    const counts = arrivals(simulator)
    expect([...counts.keys()].sort()).toEqual([...orderIds].sort())
    const finishedAtKill = new Set<string>()
    lines.forEach((line, index) => {
      const finished =
        (atKill.position && index + 1 <= atKill.position.seq) || atKill.finishedAfter.some(([, l]) => l === index + 1)
      if (finished) finishedAtKill.add((JSON.parse(line) as { properties: { order_id: string } }).properties.order_id)
    })
    const repeated = [...counts].filter(([, count]) => count > 1).map(([id]) => id)
    expect(repeated.filter((id) => finishedAtKill.has(id))).toEqual([])
    // What was in flight at the kill, at the most: concurrency 2 x batches of 20 (writeConfig).
    expect(repeated.length).toBeLessThanOrEqual(2 * 20)
    expect([...counts.values()].every((count) => count <= 2)).toBe(true)
  })

  it('leaves no dead-letter file behind when nothing failed', async () => {
    const dir = workDir()
    const { file } = writeExport(dir, 3)
    const run = await runMain(
      ['backfill', '--quiet', '--config', writeConfig(dir), '--dead-letter', path.join(dir, 'dl.ndjson'), file],
      env
    )
    expect(run.status).toBe(0)
    expect(simulator.state.journal).toHaveLength(3)
    expect(existsSync(path.join(dir, 'dl.ndjson'))).toBe(false)
  })

  it('says what is true of the events an interrupted run leaves unfinished: with no checkpoint nothing resumes them', async () => {
    const dir = workDir()
    const { file } = writeExport(dir, 600)
    const interruptAt = async (checkpointPath?: string) => {
      simulator.state.journal.splice(0)
      const interrupt = new AbortController()
      const watcher = setInterval(() => simulator.state.journal.length >= 60 && interrupt.abort(), 5)
      const report = await runBackfill(
        backfillOptions(simulator, workDir(), [file], { checkpointPath, signal: interrupt.signal })
      )
      clearInterval(watcher)
      expect(report.outcome).toBe('aborted')
      expect(report.counts.unfinished).toBeGreaterThan(0)
      return summarize(report, false)
    }
    const withoutCheckpoint = await interruptAt()
    expect(withoutCheckpoint).toMatch(
      /unfinished +[\d,]+ +\(read, not acknowledged yet: with no --checkpoint nothing can resume them; a new run sends everything again\)/
    )
    expect(withoutCheckpoint).not.toMatch(/a resume/)
    const checkpoint = path.join(dir, 'cp.json')
    expect(await interruptAt(checkpoint)).toContain(
      `(read, not acknowledged yet: a resume from ${checkpoint} sends them)`
    )
  })

  it('warns, naming its trigger, of a subscription that matched no event of a finished run', async () => {
    const dir = workDir()
    const { file } = writeExport(dir, 20)
    const report = path.join(dir, 'report.json')
    const run = await runMain(['backfill', '--config', writeConfig(dir), '--report', report, file], env)
    expect(run.status).toBe(0)
    const [, views, signups] = subscriptions
    expect(run.stdout).toContain(
      `  warning: subscription "Product views" matched no event of this run; its trigger is ${views.subscribe}\n`
    )
    expect(run.stdout).toContain(
      `  warning: subscription "Sign-ups" matched no event of this run; its trigger is ${signups.subscribe}\n`
    )
    expect(run.stdout).not.toMatch(/subscription "Orders" matched no event/)
    expect((JSON.parse(readFileSync(report, 'utf8')) as { matchedNothing: unknown }).matchedNothing).toEqual([
      { name: 'Product views', trigger: views.subscribe },
      { name: 'Sign-ups', trigger: signups.subscribe }
    ])
  })
})
