import { createWriteStream } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { Destination } from '@segment/actions-core'
import { Backfill, BackfillAbort, ConfigError, startCaptureProxy } from '../backfill'
import type { BackfillReport } from '../backfill'
import { definitionAt, destinationOf, loadConfigOrExit } from './account'
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
    `  ${label.padEnd(11)} ${number.format(value).padStart(10)}${note}`
  const lines = [
    heading,
    row('read', counts.read, ' events'),
    row(dryRun ? 'would send' : 'accepted', counts.accepted),
    row('rejected', counts.rejected, counts.rejected > 0 ? `  -> ${report.deadLetterFile}` : ''),
    row('filtered', counts.filtered, '  (not matched by the subscription)'),
    row('duplicates', counts.duplicates, '  (messageId seen before, sent once)'),
    ...(counts.unfinished > 0
      ? [row('unfinished', counts.unfinished, '  (read, not acknowledged yet: a resume sends them)')]
      : []),
    `  requests ${number.format(report.requests)} (${number.format(report.throttled)} throttled with 429), retries ${number.format(report.retries)}, batches split ${number.format(report.splits)}`
  ]
  if (report.resume) {
    lines.push(
      `  resumed from a checkpoint: ${number.format(report.resume.alreadyFinished)} events finished before; up to ${number.format(report.resume.inFlightAtCrash)} in flight then were sent again`
    )
  }
  return `${lines.join('\n')}\n`
}

export function exitCodeOf(report: BackfillReport): number {
  if (report.outcome === 'aborted') return EXIT.aborted
  return report.counts.rejected > 0 ? EXIT.deadLetters : EXIT.ok
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
    const concurrency = positiveInteger(values.concurrency, '--concurrency')
    const batchSize = positiveInteger(values['batch-size'], '--batch-size')
    const inputs = positionals.length > 0 ? positionals : ['-']

    const config = await loadConfigOrExit(values.config)
    const entry = destinationOf(config)

    let connection
    try {
      connection = await connect(config.settings, { endpoints: config.endpoints, simulator: values.simulator })
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(error.message)
      throw error
    }
    const payloads = values['dry-run'] ? createWriteStream(values.payloads) : undefined
    const proxy = payloads
      ? await startCaptureProxy(connection.endpoints.apiUrl, (request) =>
          payloads.write(`${JSON.stringify(request)}\n`)
        )
      : undefined
    // A dry run points the API at the capture proxy; the token still comes from the real endpoint.
    const definition = definitionAt(
      entry,
      proxy ? { ...connection.endpoints, apiUrl: proxy.url } : connection.endpoints
    )

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
          destination: new Destination(definition),
          settings: connection.settings,
          subscription: config.subscription,
          inputs,
          batch: { size: batchSize ?? config.batching.size, bytes: config.batching.bytes },
          concurrency: concurrency ?? config.concurrency,
          retry: config.retry,
          maxLineBytes: config.maxLineBytes,
          deadLetterPath: values['dead-letter'],
          checkpointPath: values.checkpoint,
          signal: interrupt.signal
        })
      } catch (error) {
        if (error instanceof BackfillAbort) throw new UsageError(error.message)
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
        if (error instanceof BackfillAbort || error instanceof ConfigError) throw new UsageError(error.message)
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
