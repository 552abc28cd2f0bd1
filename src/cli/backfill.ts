import { createWriteStream } from 'node:fs'
import type { WriteStream } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { setFlagsFromString } from 'node:v8'
import { Backfill, totalsOf } from '../backfill'
import type { BackfillReport } from '../backfill'
import { ConfigError, registryRecipe, startCaptureProxy } from '../instance'
import { connectFromOptions, destinationOf, loadConfigOrExit } from './account'
import { EXIT, UsageError } from './command'
import type { Command } from './command'
import { showProgress } from './progress'

/**
 * Worker threads by default: one core stays with the main thread (reading, the ledger, checkpoints), the
 * others run the destination, at most as many as requests in flight (a batch keeps one worker busy, so more
 * would only hold memory). With two cores or fewer, threads only add memory (measured: see README).
 */
const CORES_FOR_WORKERS = availableParallelism() > 2 ? availableParallelism() - 1 : 0
const defaultWorkers = (concurrency: number): number => Math.min(CORES_FOR_WORKERS, concurrency)

const help = `Usage: listrak backfill [files...] --config instance.json [options]

Runs a destination instance (its settings and all its subscriptions) over exports, in one
pass, exactly as a CDP would: each event goes to every subscription whose trigger matches,
with its mapping, batching and retries. Exports are NDJSON, a JSON array of events, or
Segment batch payloads, told from their content (.gz read transparently; no files or -
for stdin). Every event ends accepted, matched by no subscription, or in the dead-letter
file with where it was, the subscription and the reason.

Credentials come from LISTRAK_CLIENT_ID and LISTRAK_CLIENT_SECRET in the environment.

Options:
  --config FILE        the backfill configuration (required; see README)
  --checkpoint FILE    resume from FILE if it exists, and keep it up to date; a checkpoint
                       of other data, another configuration or the other mode is refused
  --restart            start over: ignore the checkpoint; its run's dead letters are moved
                       aside (FILE.replaced-TIME.ndjson), never deleted
  --dead-letter FILE   where failed events go (default: listrak-dead-letters.ndjson, or
                       listrak-dead-letters.dry-run.ndjson in a dry run); never a file
                       another run wrote
  --report FILE        write a JSON report of the run to FILE
  --concurrency N      requests at once, at the most (overrides the config)
  --batch-size N       events per request, at the most (overrides the config)
  --workers N          worker threads running the destination (default: the cores less
                       one when there are more than two, else 0, and at most the
                       concurrency; here ${CORES_FOR_WORKERS} at most); 0 runs it on the main thread
  --dry-run            map and validate, send nothing; write the request bodies that
                       would be sent to --payloads (a dry run's state is its own)
  --payloads FILE      where --dry-run writes request bodies (default: listrak-payloads.ndjson)
  --simulator          send to an embedded Listrak API simulator instead (no credentials needed)
  --quiet              print nothing but errors
  -h, --help           show this help

Exit codes: 0 every event accepted, a repeat or matched by no subscription; 3 finished
with dead letters; 2 usage or configuration error (nothing sent); 1 the run stopped
(credentials refused, the API unreachable or refusing every event, interrupted, a file
that cannot be written), with the checkpoint as it stood: run again to resume.
`

const number = new Intl.NumberFormat('en-US')

function wholeNumber(value: string, option: string): number {
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 64)
    throw new UsageError(`${option} must be a whole number from 0 to 64, got "${value}"`)
  return parsed
}

/**
 * V8 lets the old generation grow to about 4 times what survived the last full GC before it collects
 * again. A backfill promotes each in-flight event and drops it soon after, so that headroom fills with
 * garbage: 75-100 MB of old space at the peak for 20-25 MB live; and events promoted while a full GC marks
 * count as live for it, so that an unlucky one sets the limit from 70 MB. Growing by at most 2.5 times keeps
 * peak RSS at 176-180 MB where 3 times gave 190-320 MB, for about 1.4 µs an event of GC (README, "Performance").
 * V8 reads it at each full GC.
 */
const HEAP_GROWING_PERCENT = 150

function positiveInteger(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < 1)
    throw new UsageError(`${option} must be a whole number of at least 1, got "${value}"`)
  return parsed
}

export function summarize(report: BackfillReport, dryRun: boolean): string {
  const { counts } = report
  const seconds = (report.durationMs / 1000).toFixed(1)
  const heading =
    report.outcome === 'already-complete'
      ? 'Nothing to do: the checkpoint says this backfill already completed.'
      : report.outcome === 'aborted'
        ? `Backfill stopped after ${seconds} s: ${report.abortReason}`
        : `Backfill ${dryRun ? 'dry run ' : ''}completed in ${seconds} s (${number.format(report.eventsPerSecond)} events/s)`
  const row = (label: string, value: number, note = '') =>
    `  ${label.padEnd(16)} ${number.format(value).padStart(10)}${note}`
  const lines = [
    heading,
    row('read', counts.read + counts.unfinished, ' events'),
    row('no subscription', counts.unmatched, '  (matched no subscription: not sent)'),
    row('duplicates', counts.duplicates, '  (messageId seen before, sent once)'),
    row(
      'unreadable',
      counts.unreadable,
      counts.unreadable > 0 ? `  (not events) -> ${report.deadLetterFile}` : '  (not events)'
    ),
    ...(counts.unreadBytes > 0
      ? [
          row(
            'not read',
            counts.unreadBytes,
            ` bytes  (the JSON broke: kept in the dead letters) -> ${report.deadLetterFile}`
          )
        ]
      : []),
    ...report.notRead.map(
      ({ file, where, from, bytes }) =>
        `    ${file}: the JSON breaks at ${where}; its ${number.format(bytes)} bytes from byte ${number.format(from)} on are not read`
    ),
    ...(counts.unfinished > 0
      ? [
          row(
            'unfinished',
            counts.unfinished,
            report.checkpointFile
              ? `  (read, not acknowledged yet: a resume from ${report.checkpointFile} sends them)`
              : '  (read, not acknowledged yet: with no --checkpoint nothing can resume them; a new run sends everything again)'
          )
        ]
      : [])
  ]
  const names = Object.keys(counts.subscriptions)
  const width = Math.max(16, ...names.map((name) => name.length))
  const columns = [dryRun ? 'would send' : 'accepted', 'rejected', 'filtered', 'warnings']
  lines.push(`  ${'subscription'.padEnd(width)} ${columns.map((column) => column.padStart(10)).join(' ')}`)
  for (const name of names) {
    const { accepted, rejected, filtered, warnings } = counts.subscriptions[name]
    const cells = [accepted, rejected, filtered, warnings].map((value) => number.format(value).padStart(10)).join(' ')
    lines.push(`  ${name.padEnd(width)} ${cells}`)
  }
  for (const { name, trigger } of report.matchedNothing)
    lines.push(`  warning: subscription "${name}" matched no event of this run; its trigger is ${trigger}`)
  const { rejected } = totalsOf(counts)
  if (rejected > 0) lines.push(`  dead letters: ${number.format(rejected)} -> ${report.deadLetterFile}`)
  if (report.warnings.length > 0) lines.push('  most common warnings:')
  for (const { subscription, text, count } of report.warnings)
    lines.push(`  ${number.format(count).padStart(8)} x ${subscription}: ${text}`)
  if (report.earlierDeadLetters) {
    const { path, letters } = report.earlierDeadLetters
    lines.push(
      `  the ${letters === 1 ? 'dead letter' : `${number.format(letters)} dead letters`} of the run started over ${letters === 1 ? 'was' : 'were'} moved to ${path}: replay or delete it`
    )
  }
  const { batches, retriedBatches, retriedEvents, splits } = report.dispatch
  lines.push(
    `  HTTP requests ${number.format(report.requests)} (${number.format(report.throttled)} answered 429); batches sent ${number.format(batches)}, of them retries ${number.format(retriedBatches)} (${number.format(retriedEvents)} events sent again) and halves ${number.format(splits * 2)}`
  )
  if (report.resume && report.outcome !== 'already-complete') {
    lines.push(
      `  resumed from a checkpoint: ${number.format(report.resume.alreadyFinished)} events finished before; ${number.format(report.resume.unfinishedAtCrash)} read and unfinished then went again (those already sent may arrive twice: at most concurrency x batch size)`
    )
  }
  return `${lines.join('\n')}\n`
}

export function exitCodeOf(report: BackfillReport): number {
  if (report.outcome === 'aborted') return EXIT.aborted
  return totalsOf(report.counts).rejected > 0 ? EXIT.deadLetters : EXIT.ok
}

export const backfillCommand: Command = {
  name: 'backfill',
  summary: 'send exports (NDJSON, JSON arrays, batch payloads; files, .gz, stdin) to Listrak, losing nothing',
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        checkpoint: { type: 'string' },
        'dead-letter': { type: 'string' },
        restart: { type: 'boolean', default: false },
        report: { type: 'string' },
        concurrency: { type: 'string' },
        'batch-size': { type: 'string' },
        workers: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        payloads: { type: 'string', default: 'listrak-payloads.ndjson' },
        simulator: { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false }
      }
    })
    if (!values.config) throw new UsageError('--config is required: the backfill configuration file (see README).')
    setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
    const concurrency = positiveInteger(values.concurrency, '--concurrency')
    const batchSize = positiveInteger(values['batch-size'], '--batch-size')
    const chosenWorkers = values.workers === undefined ? undefined : wholeNumber(values.workers, '--workers')
    const inputs = positionals.length > 0 ? positionals : ['-']

    const config = await loadConfigOrExit(values.config)
    const { slug } = destinationOf(config)

    const connection = await connectFromOptions({ simulator: values.simulator }, config)
    const dryRun = values['dry-run']
    const deadLetterPath =
      values['dead-letter'] ?? (dryRun ? 'listrak-dead-letters.dry-run.ndjson' : 'listrak-dead-letters.ndjson')
    const interrupt = new AbortController()
    let payloads: WriteStream | undefined
    let outputError: string | undefined
    // The payloads file is created with the first captured request, once the run's checks have passed.
    const proxy = dryRun
      ? await startCaptureProxy(connection.endpoints.apiUrl, (request) => {
          payloads ??= createWriteStream(values.payloads).on('error', (error) => {
            outputError ??= `Cannot write the payloads file ${values.payloads}: ${error.message}`
            interrupt.abort()
          })
          payloads.write(`${JSON.stringify(request)}\n`)
        })
      : undefined
    // A dry run points the API at the capture proxy; the token still comes from the real endpoint.
    const endpoints = proxy ? { ...connection.endpoints, apiUrl: proxy.url } : connection.endpoints

    // The first Ctrl-C lets the requests in flight finish, so that their events are checkpointed;
    // a second one stops at once (the checkpoint on disk covers only what was acknowledged).
    const onSignal = () => {
      if (interrupt.signal.aborted) process.exit(EXIT.aborted)
      interrupt.abort()
      process.stderr.write('\nStopping after the requests in flight (press Ctrl-C again to stop at once)...\n')
      process.once('SIGINT', onSignal)
    }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    try {
      let backfill: Backfill
      try {
        backfill = new Backfill({
          source: {
            recipe: registryRecipe(slug, endpoints),
            workers: chosenWorkers ?? defaultWorkers(concurrency ?? config.concurrency)
          },
          settings: connection.settings,
          subscriptions: config.subscriptions,
          inputs,
          batch: { size: batchSize ?? config.batching.size, bytes: config.batching.bytes },
          batchSizeKey: batchSize === undefined ? 'batching.size' : '--batch-size',
          concurrency: concurrency ?? config.concurrency,
          retry: config.retry,
          maxLineBytes: config.maxLineBytes,
          deadLetterPath,
          checkpointPath: values.checkpoint,
          restart: values.restart,
          dryRun,
          outputs: [
            ...(values.report ? [{ path: values.report, what: 'the report' }] : []),
            ...(dryRun ? [{ path: values.payloads, what: 'the payloads file' }] : [])
          ],
          signal: interrupt.signal,
          onStarted: () => {
            if (values.quiet) return
            const target = proxy ? `nowhere (dry run; request bodies go to ${values.payloads})` : connection.target
            process.stderr.write(`Sending ${inputs.join(', ')} to ${target}\n`)
          }
        })
      } catch (error) {
        if (error instanceof ConfigError) throw new UsageError(error.message)
        throw error
      }
      const stop = showProgress(backfill, values.quiet ? 'quiet' : process.stderr.isTTY ? 'bar' : 'lines')
      let report: BackfillReport
      try {
        report = await backfill.run()
      } catch (error) {
        // Refused before anything was sent: a checkpoint of other inputs, or not a checkpoint at all.
        if (error instanceof ConfigError) throw new UsageError(error.message)
        throw error
      } finally {
        stop()
      }
      if (outputError) report = { ...report, outcome: 'aborted', abortReason: outputError }
      if (!values.quiet) process.stdout.write(summarize(report, dryRun))
      else if (report.outcome === 'aborted') process.stderr.write(`listrak backfill: stopped: ${report.abortReason}\n`)
      if (values.report) {
        try {
          await writeFile(values.report, `${JSON.stringify({ ...report, dryRun }, null, 2)}\n`)
        } catch (error) {
          process.stderr.write(
            `listrak backfill: cannot write the report ${values.report}: ${(error as Error).message}\n`
          )
          return EXIT.aborted
        }
      }
      return exitCodeOf(report)
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      await proxy?.close()
      const written = payloads
      if (written && !written.destroyed) await new Promise<void>((resolve) => written.end(resolve))
      await connection.close()
    }
  }
}
