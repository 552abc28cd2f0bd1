/**
 * npm run bench [-- --events N] [--runs R] [--out FILE]
 *
 * Measures, on one generated export and against one simulator process, events per second and peak
 * RSS of: (1) the floor, read + split + JSON.parse; (2) a hand-written minimal pipeline; (3)
 * `listrak backfill` end to end; (4) `listrak backfill --dry-run`; (5) a rate-limited backfill's
 * goodput against the simulator's capacity, with its share of 429s; (6) peak RSS at 100k and at the
 * full size, and at 5,000,000 events streamed to its stdin as they are generated (no 4 GB file); (7) `listrak
 * serve` against a hand-written minimal relay, at 1 and at 100 events per request: events/s, the latency each
 * adds over the simulator's own at p50 and p99, peak RSS; (8) `listrak backfill --workers 1`: the main
 * thread's CPU per event (from /proc) when workers run the destination, and peak RSS. Prints a table of ratios
 * measured in this run and writes it all to a JSON file.
 */
import { execFileSync, spawn } from 'node:child_process'
import { Readable } from 'node:stream'
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { exportLines } from '../../scripts/sample-export'
import { writeExampleConfig } from '../example-config'
import { map, simulatorToken } from './hand-mapping'
import type { SegmentLike } from './hand-mapping'
import { load, percentile } from './relay-load'

const root = path.join(__dirname, '..', '..')
const work = path.join(root, '.bench')
const build = path.join(work, 'build')
const cli = path.join(root, 'dist', 'src', 'cli', 'main.js')
const preload = path.join(build, 'rss-preload.js')
const ORDER_EVENT_UID = '6f1c1b8e-4d2a-4c1e-9a57-0b9a3f2e8c01'
const CONCURRENCY = 4
const BATCH_SIZE = 1000

interface Measurement {
  events: number
  ms: number
  eventsPerSecond: number
  maxRssMb: number
  /** CPU time (user + system, every thread) per event, in microseconds. */
  cpuUsPerEvent: number
  /** The main thread's own CPU time per event (from /proc; 0 where there is none), in microseconds. */
  mainCpuUsPerEvent: number
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

async function generate(count: number): Promise<string> {
  const file = path.join(work, `export-${count}.ndjson`)
  if (existsSync(file)) return file
  process.stderr.write(`generating ${count} events into ${file}\n`)
  const out = createWriteStream(file)
  let lines: string[] = []
  for (const line of exportLines({ count, seed: 2026 })) {
    lines.push(line)
    if (lines.length === 10_000) {
      if (!out.write(`${lines.join('\n')}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
      lines = []
    }
  }
  out.end(lines.length > 0 ? `${lines.join('\n')}\n` : '')
  await new Promise<void>((resolve) => out.once('finish', () => resolve()))
  return file
}

/** A simulator in its own process, so that it does not share an event loop with what is measured. */
async function startSimulator(config: object): Promise<{ apiUrl: string; tokenUrl: string; stop(): void }> {
  const configFile = path.join(work, `simulator-${Date.now()}.json`)
  writeFileSync(configFile, JSON.stringify({ recordEvents: false, limits: { maxEventsPerRequest: 10_000 }, ...config }))
  const child = spawn(process.execPath, [cli, 'simulator', '--port', '0', '--config', configFile])
  let output = ''
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Press Ctrl-C')) resolve()
    })
    child.once('exit', () => reject(new Error(`the simulator stopped: ${output}`)))
  })
  const apiUrl = /API URL: +(\S+)/.exec(output)?.[1] ?? ''
  const tokenUrl = /Token URL: +(\S+)/.exec(output)?.[1] ?? ''
  return { apiUrl, tokenUrl, stop: () => child.kill('SIGINT') }
}

/** Runs a node script with the RSS preload, `stdin` piped to it; returns its stdout, peak RSS and CPU time. */
function measure(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  stdin?: Readable
): Promise<{ stdout: string; maxRssMb: number; cpuUs: number; mainCpuUs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', preload, ...args], { env: { ...process.env, ...env } })
    stdin?.pipe(child.stdin)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('exit', (code) => {
      const rss = /BENCH_MAX_RSS_KB (\d+)/.exec(stderr)
      if (!rss || (code !== 0 && code !== 3)) return reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`))
      resolve({
        stdout,
        maxRssMb: Number(rss[1]) / 1024,
        cpuUs: Number(/BENCH_CPU_US (\d+)/.exec(stderr)?.[1] ?? 0),
        mainCpuUs: Number(/BENCH_MAIN_CPU_US (\d+)/.exec(stderr)?.[1] ?? 0)
      })
    })
  })
}

async function baseline(script: string, args: string[]): Promise<Measurement> {
  const { stdout, maxRssMb, cpuUs, mainCpuUs } = await measure([path.join(build, script), ...args])
  const { events, ms } = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { events: number; ms: number }
  return {
    events,
    ms,
    eventsPerSecond: (events * 1000) / ms,
    maxRssMb,
    cpuUsPerEvent: cpuUs / events,
    mainCpuUsPerEvent: mainCpuUs / events
  }
}

interface BackfillRun extends Measurement {
  requests: number
  throttled: number
}

/** The export's lines as generated, for a backfill's stdin: a size no file need hold. */
function streamedExport(count: number): Readable {
  return Readable.from(
    (function* () {
      for (const line of exportLines({ count, seed: 2026 })) yield `${line}\n`
    })()
  )
}

/** `file` is an export's path, or '-' with `stdin` the export. */
async function backfill(
  file: string,
  simulator: { apiUrl: string; tokenUrl: string },
  extra: string[] = [],
  stdin?: Readable
): Promise<BackfillRun> {
  const config = writeExampleConfig(path.join(work, 'backfill.json'), simulator, {
    batching: { size: BATCH_SIZE },
    concurrency: CONCURRENCY
  })
  const report = path.join(work, 'report.json')
  const deadLetters = path.join(work, 'dead-letters.ndjson')
  // Each measured run is a run of its own: a run never appends to the dead letters of another.
  rmSync(deadLetters, { force: true })
  const { maxRssMb, cpuUs, mainCpuUs } = await measure(
    [
      cli,
      'backfill',
      '--quiet',
      '--config',
      config,
      '--report',
      report,
      '--dead-letter',
      deadLetters,
      '--payloads',
      path.join(work, 'payloads.ndjson'),
      ...extra,
      file
    ],
    { LISTRAK_CLIENT_ID: 'simulator-client', LISTRAK_CLIENT_SECRET: 'simulator-secret' },
    stdin
  )
  const result = JSON.parse(readFileSync(report, 'utf8')) as {
    counts: { subscriptions: { Orders: { accepted: number } } }
    durationMs: number
    requests: number
    throttled: number
  }
  return {
    events: result.counts.subscriptions.Orders.accepted,
    ms: result.durationMs,
    eventsPerSecond: (result.counts.subscriptions.Orders.accepted * 1000) / result.durationMs,
    maxRssMb,
    cpuUsPerEvent: cpuUs / result.counts.subscriptions.Orders.accepted,
    mainCpuUsPerEvent: mainCpuUs / result.counts.subscriptions.Orders.accepted,
    requests: result.requests,
    throttled: result.throttled
  }
}

/** A server under the RSS preload, up once `ready` finds its URL in its output; `stop` ends it with SIGTERM. */
async function startMeasured(
  args: string[],
  ready: RegExp,
  env: NodeJS.ProcessEnv = {}
): Promise<{ url: string; stop(): Promise<{ maxRssMb: number; cpuUs: number }> }> {
  const child = spawn(process.execPath, ['--require', preload, ...args], { env: { ...process.env, ...env } })
  let output = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
    output += chunk.toString()
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const found = ready.exec(output)?.[1]
      if (found) resolve(found)
      if (found || child.exitCode !== null) clearInterval(timer)
      if (!found && child.exitCode !== null) reject(new Error(`${args.join(' ')} stopped: ${output}`))
    }, 20)
  })
  return {
    url,
    async stop() {
      child.kill('SIGTERM')
      await exited
      return {
        maxRssMb: Number(/BENCH_MAX_RSS_KB (\d+)/.exec(stderr)?.[1] ?? 0) / 1024,
        cpuUs: Number(/BENCH_CPU_US (\d+)/.exec(stderr)?.[1] ?? 0)
      }
    }
  }
}

interface RelayRun {
  eventsPerSecond: number
  p50Ms: number
  p99Ms: number
  /** Over the simulator's own latency for the same events posted straight to it. */
  addedP50Ms: number
  addedP99Ms: number
  /** Requests to the simulator (token requests and schema reads included) per 1,000 events. */
  listrakRequestsPer1000: number
  maxRssMb: number
  cpuUsPerEvent: number
  failures: number
}

const RELAY_CLIENTS = 16

/** The simulator's count of requests so far (its stats route). */
async function simulatorRequests(apiUrl: string): Promise<number> {
  const response = await fetch(`${new URL(apiUrl).origin}/_simulator/stats`)
  return ((await response.json()) as { requests: number }).requests
}

/**
 * Stage 7: the same order events posted at `perRequest` a request, by 16 clients at once, straight to the
 * simulator (its latency), to the hand-written relay, and to `listrak serve` with each of `lingers`.
 */
async function relayStage(
  events: SegmentLike[],
  perRequest: number,
  simulator: { apiUrl: string; tokenUrl: string },
  lingers: number[]
): Promise<{ hand: RelayRun; serve: Record<string, RelayRun>; simulatorP50Ms: number; simulatorP99Ms: number }> {
  const bodies: string[] = []
  for (let i = 0; i + perRequest <= events.length; i += perRequest)
    bodies.push(JSON.stringify(events.slice(i, i + perRequest)))
  const token = await simulatorToken(simulator.tokenUrl)
  const direct = await load(
    `${simulator.apiUrl}/eventConfigurations/${ORDER_EVENT_UID}/events`,
    bodies.map((body) => JSON.stringify({ events: (JSON.parse(body) as SegmentLike[]).map(map) })),
    perRequest,
    RELAY_CLIENTS,
    { authorization: `Bearer ${token}` }
  )
  const measured = async (server: Awaited<ReturnType<typeof startMeasured>>, url: string): Promise<RelayRun> => {
    const before = await simulatorRequests(simulator.apiUrl)
    const result = await load(url, bodies, perRequest, RELAY_CLIENTS)
    const listrakRequests = (await simulatorRequests(simulator.apiUrl)) - before
    const used = await server.stop()
    return {
      eventsPerSecond: result.eventsPerSecond,
      p50Ms: percentile(result.latencies, 50),
      p99Ms: percentile(result.latencies, 99),
      addedP50Ms: percentile(result.latencies, 50) - percentile(direct.latencies, 50),
      addedP99Ms: percentile(result.latencies, 99) - percentile(direct.latencies, 99),
      listrakRequestsPer1000: (listrakRequests * 1000) / result.events,
      maxRssMb: used.maxRssMb,
      cpuUsPerEvent: used.cpuUs / result.events,
      failures: result.failures
    }
  }
  const hand = await startMeasured(
    [path.join(build, 'hand-relay.js'), simulator.apiUrl, simulator.tokenUrl, ORDER_EVENT_UID],
    /(http:\S+)/
  )
  const handRun = await measured(hand, hand.url)
  const config = writeExampleConfig(path.join(work, 'relay.json'), simulator, { concurrency: RELAY_CLIENTS })
  const serve: Record<string, RelayRun> = {}
  for (const linger of lingers) {
    const server = await startMeasured(
      [cli, 'serve', '--config', config, '--port', '0', '--linger', String(linger)],
      /listening on (http:\S+)/,
      { LISTRAK_CLIENT_ID: 'simulator-client', LISTRAK_CLIENT_SECRET: 'simulator-secret' }
    )
    serve[`linger ${linger} ms`] = await measured(server, `${server.url}/v1/events`)
  }
  return {
    hand: handRun,
    serve,
    simulatorP50Ms: percentile(direct.latencies, 50),
    simulatorP99Ms: percentile(direct.latencies, 99)
  }
}

async function repeat<T extends Measurement>(
  runs: number,
  label: string,
  run: () => Promise<T>
): Promise<T & { runs: number[] }> {
  const results: T[] = []
  for (let i = 0; i < runs; i++) {
    const result = await run()
    process.stderr.write(
      `  ${label} run ${i + 1}: ${Math.round(result.eventsPerSecond).toLocaleString('en-US')} events/s, ${result.maxRssMb.toFixed(0)} MB\n`
    )
    results.push(result)
  }
  const middle = median(results.map((result) => result.eventsPerSecond))
  const chosen = results.find((result) => result.eventsPerSecond === middle) ?? results[0]
  return {
    ...chosen,
    maxRssMb: median(results.map((result) => result.maxRssMb)),
    cpuUsPerEvent: median(results.map((result) => result.cpuUsPerEvent)),
    mainCpuUsPerEvent: median(results.map((result) => result.mainCpuUsPerEvent)),
    runs: results.map((result) => Math.round(result.eventsPerSecond))
  }
}

const n = (value: number) => Math.round(value).toLocaleString('en-US')

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '1000000' },
      runs: { type: 'string', default: '3' },
      out: { type: 'string', default: path.join(work, 'results.json') },
      'relay-events': { type: 'string', default: '10000' },
      /** Events of the streamed memory stage; 0 leaves it out. */
      'streamed-events': { type: 'string', default: '5000000' }
    }
  })
  const relayEvents = Number(values['relay-events'])
  const events = Number(values.events)
  const runs = Number(values.runs)
  const streamedEvents = Number(values['streamed-events'])
  mkdirSync(work, { recursive: true })
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(__dirname, 'tsconfig.json')], {
    stdio: 'inherit'
  })
  const file = await generate(events)
  const small = await generate(Math.min(100_000, events))

  const simulator = await startSimulator({})
  const results: Record<string, unknown> = {}
  try {
    process.stderr.write('1. floor: read + split + JSON.parse\n')
    const floor = await repeat(runs, 'floor', () => baseline('floor.js', [file]))
    process.stderr.write('2. hand-written pipeline\n')
    const hand = await repeat(runs, 'hand-written', () =>
      baseline('hand-written.js', [
        file,
        simulator.apiUrl,
        simulator.tokenUrl,
        ORDER_EVENT_UID,
        String(CONCURRENCY),
        String(BATCH_SIZE)
      ])
    )
    process.stderr.write('3. listrak backfill\n')
    const full = await repeat(runs, 'backfill', () => backfill(file, simulator))
    process.stderr.write('4. listrak backfill --dry-run\n')
    const dry = await repeat(runs, 'dry run', () => backfill(file, simulator, ['--dry-run']))
    process.stderr.write('6. listrak backfill at 100k events (memory)\n')
    const hundredK = await repeat(1, 'backfill 100k', () => backfill(small, simulator))
    let streamed: Measurement | undefined
    if (streamedEvents > 0) {
      process.stderr.write(`6. listrak backfill, ${n(streamedEvents)} events generated into its stdin (memory)\n`)
      streamed = await repeat(1, 'backfill streamed', () =>
        backfill('-', simulator, [], streamedExport(streamedEvents))
      )
    }
    process.stderr.write('8. listrak backfill --workers 1 (the main thread)\n')
    const oneWorker = await repeat(runs, 'backfill, 1 worker', () => backfill(file, simulator, ['--workers', '1']))
    Object.assign(results, { floor, hand, full, dry, hundredK, streamed, oneWorker })
    process.stderr.write('7. listrak serve against a hand-written relay, at 1 and at 100 events per request\n')
    const relayInput = readFileSync(small, 'utf8')
      .split('\n', relayEvents * 10)
      .filter(Boolean)
    const relaySingle = await relayStage(
      relayInput.slice(0, relayEvents).map((line) => JSON.parse(line) as SegmentLike),
      1,
      simulator,
      [0, 20]
    )
    const relayHundred = await relayStage(
      relayInput.slice(0, relayEvents * 10).map((line) => JSON.parse(line) as SegmentLike),
      100,
      simulator,
      [20]
    )
    Object.assign(results, { relaySingle, relayHundred })
  } finally {
    simulator.stop()
  }

  // 5. Rate-limited: a leaky bucket of known capacity; goodput is accepted events/s over that capacity.
  // Batches of 500 make the run last about 400 requests, so that the steady state outweighs the start.
  const rate = { requestsPerSecond: 20, burst: 5 }
  const limitedBatch = 500
  const capacity = rate.requestsPerSecond * limitedBatch
  const limitedFile = await generate(Math.min(200_000, events))
  const limited = await startSimulator({ rateLimit: rate })
  let rateLimited: BackfillRun
  try {
    process.stderr.write(`5. rate-limited backfill (capacity ${capacity.toLocaleString('en-US')} events/s)\n`)
    rateLimited = await repeat(1, 'rate-limited', () =>
      backfill(limitedFile, limited, ['--batch-size', String(limitedBatch)])
    )
  } finally {
    limited.stop()
  }

  const { floor, hand, full, dry, hundredK, oneWorker } = results as Record<string, Measurement & { runs: number[] }>
  const streamed = results.streamed as Measurement | undefined
  const { relaySingle, relayHundred } = results as Record<string, Awaited<ReturnType<typeof relayStage>>>
  const report = {
    machine: {
      cpu: os.cpus()[0]?.model,
      cores: os.cpus().length,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      platform: `${os.type()} ${os.release()}`
    },
    events,
    runs,
    stages: {
      floor,
      handWritten: hand,
      backfill: full,
      dryRun: dry,
      backfill100k: hundredK,
      backfillStreamed: streamed,
      backfillOneWorker: oneWorker,
      rateLimited
    },
    relay: { oneEventPerRequest: relaySingle, hundredEventsPerRequest: relayHundred, clients: RELAY_CLIENTS },
    ratios: {
      backfillCpuOverHandWritten: full.cpuUsPerEvent / hand.cpuUsPerEvent,
      backfillOverFloor: full.eventsPerSecond / floor.eventsPerSecond,
      backfillOverHandWritten: full.eventsPerSecond / hand.eventsPerSecond,
      dryRunOverFloor: dry.eventsPerSecond / floor.eventsPerSecond
    },
    rateLimited: {
      capacityEventsPerSecond: capacity,
      goodput: rateLimited.eventsPerSecond / capacity,
      share429: rateLimited.requests > 0 ? rateLimited.throttled / rateLimited.requests : 0
    },
    memory: {
      rss100kMb: hundredK.maxRssMb,
      rssFullMb: full.maxRssMb,
      rssStreamedMb: streamed?.maxRssMb,
      rssOneWorkerMb: oneWorker.maxRssMb,
      growth: full.maxRssMb / hundredK.maxRssMb - 1
    },
    mainThread: { cpuUsPerEventNoWorkers: full.mainCpuUsPerEvent, cpuUsPerEventOneWorker: oneWorker.mainCpuUsPerEvent }
  }
  writeFileSync(values.out, `${JSON.stringify(report, null, 2)}\n`)

  const pct = (value: number) => `${(value * 100).toFixed(1)}%`
  const row = (label: string, m: Measurement): string[] => [
    label,
    n(m.eventsPerSecond),
    m.cpuUsPerEvent.toFixed(1),
    m.mainCpuUsPerEvent > 0 ? m.mainCpuUsPerEvent.toFixed(1) : '',
    m.maxRssMb.toFixed(0)
  ]
  const rows = [
    row('1. floor (read, split, JSON.parse)', floor),
    row('2. hand-written pipeline', hand),
    row('3. listrak backfill', full),
    row('4. listrak backfill --dry-run', dry),
    row(`5. rate-limited (capacity ${n(capacity)}/s)`, rateLimited),
    row('6. listrak backfill, 100k events', hundredK),
    ...(streamed ? [row(`6. listrak backfill, ${n(streamedEvents)} events streamed`, streamed)] : []),
    row('8. listrak backfill --workers 1', oneWorker)
  ]
  const goal = (met: boolean, text: string) => `${text}: ${met ? 'met' : 'not met'}`
  const lines = [
    `${events.toLocaleString('en-US')} events, median of ${runs} runs; ${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.memoryGb} GiB, Node ${process.version}`,
    '',
    '| stage | events/s | CPU µs/event | main thread µs/event | peak RSS (MB) |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    '| ratio | measured | goal |',
    '| --- | ---: | --- |',
    `| 3/1 backfill / floor | ${report.ratios.backfillOverFloor.toFixed(2)} | |`,
    `| 3/2 backfill / hand-written | ${report.ratios.backfillOverHandWritten.toFixed(2)} | ${goal(report.ratios.backfillOverHandWritten >= 0.7, '>= 0.70')} |`,
    `| 3/2 CPU per event, backfill / hand-written | ${report.ratios.backfillCpuOverHandWritten.toFixed(2)} | ${goal(report.ratios.backfillCpuOverHandWritten <= 2, '<= 2')} |`,
    `| 4/1 dry run / floor | ${report.ratios.dryRunOverFloor.toFixed(2)} | |`,
    `| rate-limited goodput / capacity | ${pct(report.rateLimited.goodput)} | ${goal(report.rateLimited.goodput >= 0.9, '>= 90%')} |`,
    `| rate-limited share of requests answered 429 | ${pct(report.rateLimited.share429)} | ${goal(report.rateLimited.share429 <= 0.05, '<= 5%')} |`,
    `| peak RSS at ${events.toLocaleString('en-US')} events | ${full.maxRssMb.toFixed(0)} MB | ${goal(full.maxRssMb <= 200, '<= 200 MB')} |`,
    ...(streamed
      ? [
          `| peak RSS at ${n(streamedEvents)} events (streamed) | ${streamed.maxRssMb.toFixed(0)} MB | ${goal(streamed.maxRssMb <= 200, '<= 200 MB')} |`
        ]
      : []),
    `| main thread's CPU per event, no workers (share) | ${full.mainCpuUsPerEvent.toFixed(1)} µs (${pct(full.mainCpuUsPerEvent / full.cpuUsPerEvent)}) | |`,
    `| main thread's CPU per event, 1 worker (share) | ${oneWorker.mainCpuUsPerEvent.toFixed(1)} µs (${pct(oneWorker.mainCpuUsPerEvent / oneWorker.cpuUsPerEvent)}) | ${goal(oneWorker.mainCpuUsPerEvent > 0 && oneWorker.mainCpuUsPerEvent <= 8, '<= 8 µs')} |`,
    `| peak RSS, 1 worker | ${oneWorker.maxRssMb.toFixed(0)} MB | ${goal(oneWorker.maxRssMb <= 240, '<= 240 MB (200 + 40 a worker)')} |`,
    `| peak RSS growth from 100k | ${pct(report.memory.growth)} | ${goal(report.memory.growth <= 0.1, '<= 10% (flat with size)')} |`,
    '',
    `7. relays, ${RELAY_CLIENTS} clients at once; latency added over the simulator's own (p50 / p99)`,
    '',
    '| relay | events per request | events/s | Listrak requests / 1,000 events | added p50 (ms) | added p99 (ms) | CPU µs/event | peak RSS (MB) | not 200 |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...(
      [
        ['hand-written', 1, relaySingle.hand],
        ...Object.entries(relaySingle.serve).map(([linger, run]) => [`listrak serve, ${linger}`, 1, run] as const),
        ['hand-written', 100, relayHundred.hand],
        ...Object.entries(relayHundred.serve).map(([linger, run]) => [`listrak serve, ${linger}`, 100, run] as const)
      ] as const
    ).map(
      ([label, perRequest, r]) =>
        `| ${label} | ${perRequest} | ${n(r.eventsPerSecond)} | ${r.listrakRequestsPer1000.toFixed(0)} | ${r.addedP50Ms.toFixed(1)} | ${r.addedP99Ms.toFixed(1)} | ${r.cpuUsPerEvent.toFixed(1)} | ${r.maxRssMb.toFixed(0)} | ${r.failures} |`
    ),
    '',
    `simulator's own latency: p50 ${relaySingle.simulatorP50Ms.toFixed(1)} / p99 ${relaySingle.simulatorP99Ms.toFixed(1)} ms at 1 event a request, p50 ${relayHundred.simulatorP50Ms.toFixed(1)} / p99 ${relayHundred.simulatorP99Ms.toFixed(1)} ms at 100`
  ]
  process.stdout.write(`${lines.join('\n')}\n\nwritten to ${values.out}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`)
  process.exitCode = 1
})
