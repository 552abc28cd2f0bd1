import { createWriteStream } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { setFlagsFromString } from 'node:v8'
import { Destination } from '@segment/actions-core'
import type { JSONObject } from '@segment/actions-core'
import { Backfill, ConfigError, startCaptureProxy, totalsOf } from '../backfill'
import type { BackfillReport } from '../backfill'
import { destinationOf, loadConfigOrExit } from './account'
import { EXIT, UsageError } from './command'
import type { Command } from './command'
import { connect } from './connection'
import { showProgress } from './progress'

const help = `Usage: listrak backfill [files...] --config backfill.json [options]

Sends the events of NDJSON exports (one Segment event per line; .gz read transparently;
no files or - for stdin) through the Listrak destination, exactly as a CDP would: the
subscription filter, the mapping, batching, retries. Every event ends accepted, filtered,
or in the dead-letter file with its line number and reason.

Credentials come from LISTRAK_CLIENT_ID and LISTRAK_CLIENT_SECRET in the environment.

Options:
  --config FILE        the backfill configuration (required; see README)
  --checkpoint FILE    resume from FILE if it exists, and keep it up to date
  --dead-letter FILE   where failed events go (default: listrak-dead-letters.ndjson)
  --report FILE        write a JSON report of the run to FILE
  --concurrency N      requests at once, at the most (overrides the config)
  --batch-size N       events per request, at the most (overrides the config)
  --dry-run            map and validate, send nothing; write the request bodies that
                       would be sent to --payloads
  --payloads FILE      where --dry-run writes request bodies (default: listrak-payloads.ndjson)
  --simulator          send to an embedded Listrak API simulator instead (no credentials needed)
  --quiet              print nothing but errors
  -h, --help           show this help

Exit codes: 0 every event accepted or filtered; 3 finished with dead letters;
2 usage or configuration error (nothing sent); 1 aborted (e.g. credentials refused),
with the checkpoint saved.
`

const number = new Intl.NumberFormat('en-US')

/**
 * V8 lets the old generation grow to about 4 times what survived the last full GC before it collects
 * again. A backfill promotes each in-flight event and drops it soon after, so that headroom fills with
 * garbage: 75-100 MB of old space at the peak for 20-25 MB live. Growing by at most 3 times cuts peak RSS
 * by about 40 MB for no CPU we could measure (README, "Performance"). V8 reads it at each full GC.
 */
const HEAP_GROWING_PERCENT = 200

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
        ? `Backfill aborted after ${seconds} s: ${report.abortReason}`
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
    ...(counts.unfinished > 0
      ? [row('unfinished', counts.unfinished, '  (read, not acknowledged yet: a resume sends them)')]
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
  const { rejected } = totalsOf(counts)
  if (rejected > 0) lines.push(`  dead letters: ${number.format(rejected)} -> ${report.deadLetterFile}`)
  const { batches, retriedEvents, splits } = report.dispatch
  lines.push(
    `  requests ${number.format(report.requests)} (${number.format(report.throttled)} throttled with 429); batches ${number.format(batches)}, events retried ${number.format(retriedEvents)}, batches split ${number.format(splits)}`
  )
  if (report.resume) {
    lines.push(
      `  resumed from a checkpoint: ${number.format(report.resume.alreadyFinished)} events finished before; up to ${number.format(report.resume.inFlightAtCrash)} in flight then were sent again`
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
  summary: 'send NDJSON exports (files, .gz, stdin) to Listrak, losing nothing',
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        checkpoint: { type: 'string' },
        'dead-letter': { type: 'string', default: 'listrak-dead-letters.ndjson' },
        report: { type: 'string' },
        concurrency: { type: 'string' },
        'batch-size': { type: 'string' },
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
    const inputs = positionals.length > 0 ? positionals : ['-']

    const config = await loadConfigOrExit(values.config)
    const entry = destinationOf(config)

    let connection
    try {
      connection = await connect({ ...config.settings, ...config.endpoints }, { simulator: values.simulator })
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(error.message)
      throw error
    }
    const payloads = values['dry-run'] ? createWriteStream(values.payloads) : undefined
    const proxy = payloads
      ? await startCaptureProxy(connection.apiUrl, (request) => payloads.write(`${JSON.stringify(request)}\n`))
      : undefined
    const settings: JSONObject = proxy ? { ...connection.settings, apiUrl: proxy.url } : connection.settings

    const interrupt = new AbortController()
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
          destination: new Destination(entry.definition),
          settings,
          subscriptions: config.subscriptions,
          inputs,
          batch: { size: batchSize ?? config.batching.size, bytes: config.batching.bytes },
          batchSizeKey: batchSize === undefined ? 'batching.size' : '--batch-size',
          concurrency: concurrency ?? config.concurrency,
          retry: config.retry,
          maxLineBytes: config.maxLineBytes,
          deadLetterPath: values['dead-letter'],
          checkpointPath: values.checkpoint,
          signal: interrupt.signal
        })
      } catch (error) {
        if (error instanceof ConfigError) throw new UsageError(error.message)
        throw error
      }
      if (!values.quiet) {
        const target = proxy ? `nowhere (dry run; request bodies go to ${values.payloads})` : connection.target
        process.stderr.write(`Sending ${inputs.join(', ')} to ${target}\n`)
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
      if (values.report)
        await writeFile(values.report, `${JSON.stringify({ ...report, dryRun: values['dry-run'] }, null, 2)}\n`)
      if (!values.quiet) process.stdout.write(summarize(report, values['dry-run']))
      else if (report.outcome === 'aborted') process.stderr.write(`listrak backfill: aborted: ${report.abortReason}\n`)
      return exitCodeOf(report)
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      await proxy?.close()
      if (payloads) await new Promise<void>((resolve) => payloads.end(resolve))
      await connection.close()
    }
  }
}
