/**
 * npm run soak [-- --events N] [--out FILE]
 *
 * Backfills N events (200,000 by default) into the simulator with, all at once: 5% of requests
 * answered 500 or 503, 1% of connections reset, latency with jitter, the rate limit engaged, and
 * tokens revoked every 30 seconds; and kills the backfill with SIGKILL at three random points,
 * resuming from its checkpoint each time. Then checks against the simulator's journal that every
 * good event arrived, that nothing the checkpoint called finished at a kill arrived again, that
 * the only repeats are events in flight at a kill, that the dead letters hold exactly the bad
 * events, and that the report's counts add up. Prints the figures and writes them to a JSON file.
 */
import { spawn } from 'node:child_process'
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { exportLines } from '../../scripts/sample-export'
import { writeExampleConfig } from '../example-config'
import { startSimulator } from '../../src/simulator'

const root = path.join(__dirname, '..', '..')
const work = path.join(root, '.soak')
const cli = path.join(root, 'dist', 'src', 'cli', 'main.js')

interface Checkpoint {
  position: { seq: number } | null
  finishedAfter: [number, number][]
  inFlight: number
}

/** The export: good "Order Completed" events with unique order ids, and a bad line every ~200. */
async function writeExport(file: string, count: number): Promise<{ good: Map<string, number>; badLines: Set<number> }> {
  const good = new Map<string, number>()
  const badLines = new Set<number>()
  const out = createWriteStream(file)
  let line = 0
  const kinds = [
    () => '{"type":"track","event":"Order Completed","properties":{"order_id":', // broken JSON
    () =>
      JSON.stringify({
        type: 'track',
        event: 'Order Completed',
        messageId: `bad-${line}`,
        properties: { order_id: `BAD-${line}`, total: 'N/A' },
        context: { traits: { email: 'bad@example.com' } }
      }),
    () =>
      JSON.stringify({
        type: 'track',
        event: 'Order Completed',
        messageId: `bad-${line}`,
        properties: { order_id: `BAD-${line}` },
        context: { traits: {} }
      })
  ]
  for (const text of exportLines({ count, seed: 99 })) {
    line++
    if (line % 199 === 0) {
      badLines.add(line)
      out.write(`${kinds[line % kinds.length]()}\n`)
      line++
    }
    const event = JSON.parse(text) as { properties: { order_id: string } }
    good.set(event.properties.order_id, line)
    if (!out.write(`${text}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
  }
  out.end()
  await new Promise<void>((resolve) => out.once('finish', () => resolve()))
  return { good, badLines }
}

function runBackfill(
  args: string[],
  env: NodeJS.ProcessEnv,
  killWhen?: () => boolean
): Promise<{ code: number | null; killed: boolean; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'backfill', ...args], { env: { ...process.env, ...env } })
    let stderr = ''
    let killed = false
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const watch = killWhen
      ? setInterval(() => {
          if (!killed && killWhen()) {
            killed = true
            child.kill('SIGKILL')
          }
        }, 20)
      : undefined
    child.on('exit', (code) => {
      if (watch) clearInterval(watch)
      resolve({ code, killed, stderr })
    })
  })
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '200000' },
      out: { type: 'string', default: path.join(work, 'results.json') }
    }
  })
  const events = Number(values.events)
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work, { recursive: true })
  const exportFile = path.join(work, 'export.ndjson')
  const { good, badLines } = await writeExport(exportFile, events)
  const simulator = await startSimulator({
    config: {
      // About 800 events a second at best: the run lasts long enough for several token revocations.
      rateLimit: { requestsPerSecond: 8, burst: 4 },
      faults: { errorRate: 0.05, resetRate: 0.01, latencyMs: 10, latencyJitterMs: 40, revokeTokensEveryMs: 30_000 },
      seed: 7
    }
  })
  const config = writeExampleConfig(path.join(work, 'backfill.json'), simulator, {
    batching: { size: 100 },
    concurrency: 4,
    retry: { maxAttempts: 50, baseDelayMs: 100, maxDelayMs: 5000 }
  })
  const checkpoint = path.join(work, 'checkpoint.json')
  const deadLetters = path.join(work, 'dead-letters.ndjson')
  const report = path.join(work, 'report.json')
  const args = [
    '--quiet',
    '--config',
    config,
    '--checkpoint',
    checkpoint,
    '--dead-letter',
    deadLetters,
    '--report',
    report,
    exportFile
  ]
  const env = {
    LISTRAK_CLIENT_ID: simulator.credentials.clientId,
    LISTRAK_CLIENT_SECRET: simulator.credentials.clientSecret
  }

  const started = Date.now()
  // Three kills at random points of the run, the last one by 80% of the good events.
  const killAt = [Math.random(), Math.random(), Math.random()]
    .map((r) => Math.floor((0.1 + r * 0.7) * good.size))
    .sort((a, b) => a - b)
  const kills: { afterArrivals: number; checkpoint: Checkpoint; arrivalsBefore: number }[] = []
  for (const target of killAt) {
    const run = await runBackfill(args, env, () => simulator.state.journal.length >= target)
    if (!run.killed)
      throw new Error(`the backfill ended (exit ${run.code}) before the kill at ${target}: ${run.stderr}`)
    const state = JSON.parse(readFileSync(checkpoint, 'utf8')) as Checkpoint
    kills.push({ afterArrivals: target, checkpoint: state, arrivalsBefore: simulator.state.journal.length })
    process.stderr.write(
      `killed at ${simulator.state.journal.length} arrivals; checkpoint after line ${state.position?.seq ?? 0}, ${state.inFlight} in flight\n`
    )
  }
  const last = await runBackfill(args, env)
  const seconds = (Date.now() - started) / 1000
  await simulator.close()

  // What arrived, by order id, and when (the index of its first arrival).
  const arrivals = new Map<string, number[]>()
  simulator.state.journal.forEach((entry, index) => {
    const list = arrivals.get(entry.dataFields.orderId) ?? []
    list.push(index)
    arrivals.set(entry.dataFields.orderId, list)
  })
  const lost = [...good.keys()].filter((id) => !arrivals.has(id))
  const repeats = [...arrivals].filter(([, list]) => list.length > 1)
  // A repeat is allowed only for an event in flight at some kill: arrived before it, not finished in its checkpoint.
  const finishedAt = kills.map(({ checkpoint: state }) => {
    const after = new Set(state.finishedAfter.map(([, line]) => line))
    return (line: number) => (state.position !== null && line <= state.position.seq) || after.has(line)
  })
  const unexplained = repeats.filter(([id, list]) => {
    const line = good.get(id) ?? -1
    return !kills.some((kill, k) => list[0] < kill.arrivalsBefore && !finishedAt[k](line))
  })
  const resentAfterFinished = repeats.filter(([id, list]) => {
    const line = good.get(id) ?? -1
    return kills.some((kill, k) => finishedAt[k](line) && list.some((index) => index >= kill.arrivalsBefore))
  })
  // What each resume sent again: arrivals after a kill (and before the next) of events that had arrived before it.
  const ids = simulator.state.journal.map((entry) => entry.dataFields.orderId)
  const repeatsPerKill = kills.map((kill, k) => {
    const earlier = new Set(ids.slice(0, kill.arrivalsBefore))
    const next = kills[k + 1]?.arrivalsBefore ?? ids.length
    return ids.slice(kill.arrivalsBefore, next).filter((id) => earlier.has(id)).length
  })
  const letters = existsSync(deadLetters)
    ? readFileSync(deadLetters, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { deadLetter: { seq: number } }).deadLetter.seq)
    : []
  const deadLetterLines = new Set(letters)
  const finalReport = JSON.parse(readFileSync(report, 'utf8')) as {
    outcome: string
    counts: {
      read: number
      unreadable: number
      duplicates: number
      unmatched: number
      subscriptions: Record<string, { accepted: number; rejected: number }>
    }
    requests: number
    throttled: number
  }
  const { read, unreadable, duplicates, unmatched, subscriptions } = finalReport.counts
  const { accepted, rejected } = subscriptions.Orders
  const stats = simulator.state.stats

  const results = {
    events: good.size,
    badLines: badLines.size,
    seconds,
    kills: kills.map((kill) => ({
      atArrivals: kill.arrivalsBefore,
      checkpointLine: kill.checkpoint.position?.seq ?? 0,
      inFlight: kill.checkpoint.inFlight
    })),
    faults: {
      status5xx: stats.status5xx,
      connectionResets: stats.connectionResets,
      status429: stats.status429,
      status401: stats.status4xx,
      tokensIssued: stats.tokensIssued
    },
    arrivals: simulator.state.journal.length,
    repeats: repeats.length,
    repeatsPerKill,
    inFlightAtKills: kills.reduce((sum, kill) => sum + kill.checkpoint.inFlight, 0),
    lost: lost.length,
    checks: {
      everyGoodEventArrived: lost.length === 0,
      nothingFinishedAtAKillArrivedAgain: resentAfterFinished.length === 0,
      onlyInFlightEventsRepeated: unexplained.length === 0,
      repeatsPerKillWithinConcurrencyTimesBatchSize: repeatsPerKill.every((count) => count <= 4 * 100),
      deadLettersAreExactlyTheBadLines:
        deadLetterLines.size === badLines.size && [...badLines].every((line) => deadLetterLines.has(line)),
      lastRunCompleted: last.code === 3 && finalReport.outcome === 'completed',
      countsAddUp:
        read === unreadable + duplicates + unmatched + accepted + rejected &&
        accepted === good.size &&
        unreadable + rejected === badLines.size
    }
  }
  writeFileSync(values.out, `${JSON.stringify(results, null, 2)}\n`)
  const passed = Object.values(results.checks).every(Boolean)
  process.stdout.write(
    [
      `soak: ${results.events.toLocaleString('en-US')} good events and ${results.badLines} bad lines in ${seconds.toFixed(0)} s`,
      `  faults met: ${stats.status5xx} answers 500/503, ${stats.connectionResets} connections reset, ${stats.status429} answers 429, ${stats.tokensIssued} tokens issued (revoked every 30 s)`,
      `  kills: ${results.kills.map((kill) => `after ${kill.atArrivals} arrivals (${kill.inFlight} in flight)`).join('; ')}`,
      `  repeats: ${results.repeats} (all of them events in flight at a kill: ${results.checks.onlyInFlightEventsRepeated}); lost: ${results.lost}`,
      ...Object.entries(results.checks).map(([check, ok]) => `  ${ok ? 'ok  ' : 'FAIL'} ${check}`),
      `written to ${values.out}`
    ].join('\n') + '\n'
  )
  if (!passed) process.exitCode = 1
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`)
  process.exitCode = 1
})
