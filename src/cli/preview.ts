import { parseArgs } from 'node:util'
import { readRecords } from '../backfill/reading'
import type { SourceRecord } from '../backfill/reading'
import { previewEvents } from '../tools/preview'
import type { PreviewedEvent, PreviewSummary } from '../tools/preview'
import {
  AccountError,
  withConnection,
  connectionHelp,
  connectionOptions,
  definitionAt,
  destinationOf,
  getEventDetail,
  loadConfigOrExit,
  resolveOrExit
} from './account'
import { EXIT, UsageError } from './command'
import type { Command } from './command'

const help = `Usage: listrak preview --config instance.json [sample.ndjson] [options]

Shows what a destination instance (the backfill configuration, with its subscriptions) makes of
sample events, without sending any. For each event: which subscriptions it matches (by name), and
for each of them the mapped payload, the exact request body Listrak would get (identifiers and
dataFields after coercion to the event's schema), and every problem by field: a missing or
malformed identifier, a value that will not coerce, a mapped key the schema does not have (Listrak
would discard it silently), a schema field never mapped. Then a summary: events per subscription
(would send, rejected), and the events no subscription matches with their most common type and
event name. Reads stdin without a file.

Options:
  --config FILE       the configuration (required); its endpoints say where the API is
  --limit N           how many events to preview (default 20)
  --json              print JSON instead of text
${connectionHelp.split('\n').slice(2).join('\n')}
  -h, --help          show this help

Exit codes:
  0  no sample event would be rejected
  3  some would be rejected (a line that is not an event counts: a backfill dead-letters it)
  2  a usage or configuration error
  1  an API failure: credentials refused, the API unreachable
`

function describe(event: PreviewedEvent): string {
  const head = `${event.where}: ${event.label}`
  if (event.outcome === 'unmatched') return `${head}: matches no subscription`
  const lines = [event.subscriptions.length > 0 ? head : `${head}: would be REJECTED`]
  for (const problem of event.problems) lines.push(`  ! ${problem.field}: ${problem.message}`)
  for (const preview of event.subscriptions) {
    const outcome = preview.outcome === 'would-send' ? 'would send' : `would be REJECTED (${preview.status})`
    lines.push(`  -> ${preview.subscription}: ${outcome}`)
    if (preview.payload) lines.push(`     mapped payload: ${JSON.stringify(preview.payload)}`)
    if (preview.requestBody !== undefined) lines.push(`     request body:   ${JSON.stringify(preview.requestBody)}`)
    for (const problem of preview.problems) lines.push(`     ! ${problem.field}: ${problem.message}`)
  }
  return lines.join('\n')
}

function describeSummary(summary: PreviewSummary): string {
  const unreadable = summary.unreadable > 0 ? ` (${summary.unreadable} unreadable)` : ''
  const lines = [
    `${summary.events} events: ${summary.wouldSend} would be sent, ${summary.rejected} rejected${unreadable}, ${summary.unmatched.events} match no subscription.`
  ]
  const width = Math.max(...summary.bySubscription.map(({ subscription }) => subscription.length))
  for (const { subscription, matched, wouldSend, rejected } of summary.bySubscription)
    lines.push(`  ${subscription.padEnd(width)}  ${matched} matched: ${wouldSend} would be sent, ${rejected} rejected`)
  if (summary.unmatched.events > 0) {
    const common = summary.unmatched.common.map(({ label, count }) => `${label} (${count})`).join(', ')
    lines.push(`Matching no subscription, most often: ${common}`)
  }
  if (summary.commonProblems.length > 0) {
    lines.push('Most common problems:')
    for (const problem of summary.commonProblems)
      lines.push(
        `  ${String(problem.count).padStart(4)} x ${problem.subscription}: ${problem.field} (${problem.kind}): ${problem.example}`
      )
  }
  return lines.join('\n')
}

/** The first `limit` records of the sample; a file that cannot be opened is a usage error (exit 2), as in backfill. */
async function readSample(path: string, limit: number, maxLineBytes: number): Promise<SourceRecord[]> {
  const sample: SourceRecord[] = []
  try {
    for await (const records of readRecords([{ path }], { maxLineBytes })) {
      for (const record of records) if (record.content.kind !== 'blank' && sample.length < limit) sample.push(record)
      if (sample.length >= limit) break
    }
  } catch (error) {
    const { syscall, message } = error as { syscall?: string; message?: string }
    if (syscall === 'open') throw new UsageError(`Cannot read the sample ${path}: ${message}`)
    throw error
  }
  return sample
}

export const previewCommand: Command = {
  name: 'preview',
  summary: 'show what each subscription makes of sample events, sending nothing',
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...connectionOptions,
        limit: { type: 'string', default: '20' },
        json: { type: 'boolean', default: false }
      }
    })
    const configPath = values.config
    if (!configPath) throw new UsageError('--config is required: the backfill configuration to preview.')
    const limit = Number(values.limit)
    if (!Number.isInteger(limit) || limit < 1)
      throw new UsageError(`--limit must be a whole number of at least 1, got "${values.limit}"`)
    if (positionals.length > 1) throw new UsageError('Give at most one sample file (or none, for stdin).')
    const config = await loadConfigOrExit(configPath)
    const { entry } = destinationOf(config)

    const sample = await readSample(positionals[0] ?? '-', limit, config.maxLineBytes)

    return withConnection(
      values,
      async (connection) => {
        const subscriptions = await resolveOrExit(
          config,
          definitionAt(entry, connection.endpoints),
          connection.settings,
          configPath
        )
        const schemas = new Map<string, Awaited<ReturnType<typeof getEventDetail>>['eventSchemaAttrs'] | undefined>()
        const { events, summary } = await previewEvents(sample, {
          definitionAt: (apiUrl) => definitionAt(entry, { ...connection.endpoints, apiUrl }),
          settings: connection.settings,
          apiUrl: connection.endpoints.apiUrl,
          subscriptions,
          schemaOf: async (eventUID) => {
            if (!schemas.has(eventUID)) {
              try {
                schemas.set(eventUID, (await getEventDetail(connection, eventUID)).eventSchemaAttrs)
              } catch (error) {
                if (!(error instanceof AccountError) || !/has no event configuration/.test(error.message)) throw error
                schemas.set(eventUID, undefined)
              }
            }
            return schemas.get(eventUID)
          }
        })
        if (values.json) process.stdout.write(`${JSON.stringify({ events, summary }, null, 2)}\n`)
        else process.stdout.write(`${[...events.map(describe), '', describeSummary(summary)].join('\n')}\n`)
        return summary.rejected > 0 ? EXIT.deadLetters : EXIT.ok
      },
      config
    )
  }
}
