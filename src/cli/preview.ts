import { parseArgs } from 'node:util'
import { readLines } from '../backfill/lines'
import { previewEvents } from '../tools/preview'
import type { PreviewedEvent, PreviewSummary } from '../tools/preview'
import {
  AccountError,
  connectFromOptions,
  connectionHelp,
  connectionOptions,
  definitionAt,
  destinationOf,
  getEventDetail,
  loadConfigOrExit
} from './account'
import { UsageError } from './command'
import type { Command } from './command'

const help = `Usage: listrak preview --config backfill.json [sample.ndjson] [options]

Shows what the configuration makes of sample events, without sending any: whether the
subscription matches, the mapped payload, the exact request body Listrak would get (identifiers
and dataFields after coercion to the event's schema), and every problem by field: a missing or
malformed identifier, a value that will not coerce, a mapped key the schema does not have
(Listrak would discard it silently), a schema field never mapped. Reads stdin without a file.

Options:
  --config FILE       the backfill configuration (required); its endpoints say where the API is
  --limit N           how many events to preview (default 20)
  --json              print JSON instead of text
${connectionHelp.split('\n').slice(2).join('\n')}
  -h, --help          show this help
`

const OUTCOME = {
  'would-send': 'would send',
  filtered: 'filtered out by the subscription',
  rejected: 'would be REJECTED'
}

function describe(event: PreviewedEvent): string {
  const lines = [
    `line ${event.line}: ${event.label}: ${OUTCOME[event.outcome]}${event.status && event.outcome === 'rejected' ? ` (${event.status})` : ''}`
  ]
  if (event.payload) lines.push(`  mapped payload: ${JSON.stringify(event.payload)}`)
  if (event.requestBody !== undefined) lines.push(`  request body:   ${JSON.stringify(event.requestBody)}`)
  for (const problem of event.problems) lines.push(`  ! ${problem.field}: ${problem.message}`)
  return lines.join('\n')
}

function describeSummary(summary: PreviewSummary): string {
  const lines = [
    `${summary.events} events: ${summary.wouldSend} would be sent, ${summary.filtered} filtered, ${summary.rejected} rejected.`
  ]
  if (summary.commonProblems.length > 0) {
    lines.push('Most common problems:')
    for (const problem of summary.commonProblems)
      lines.push(`  ${String(problem.count).padStart(4)} x ${problem.field} (${problem.kind}): ${problem.example}`)
  }
  return lines.join('\n')
}

export const previewCommand: Command = {
  name: 'preview',
  summary: 'show what a mapping makes of sample events, sending nothing',
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
    if (!values.config) throw new UsageError('--config is required: the backfill configuration to preview.')
    const limit = Number(values.limit)
    if (!Number.isInteger(limit) || limit < 1)
      throw new UsageError(`--limit must be a whole number of at least 1, got "${values.limit}"`)
    if (positionals.length > 1) throw new UsageError('Give at most one sample file (or none, for stdin).')
    const config = await loadConfigOrExit(values.config)
    const entry = destinationOf(config)

    const sample: { line: number; text: string }[] = []
    for await (const lines of readLines([{ path: positionals[0] ?? '-' }], { maxLineBytes: config.maxLineBytes })) {
      for (const line of lines)
        if (line.text?.trim() && sample.length < limit) sample.push({ line: line.line, text: line.text })
      if (sample.length >= limit) break
    }

    const connection = await connectFromOptions(values, config)
    try {
      const schemas = new Map<string, Awaited<ReturnType<typeof getEventDetail>>['eventSchemaAttrs'] | undefined>()
      const { events, summary } = await previewEvents(sample, {
        definitionAt: (apiUrl) => definitionAt(entry, { ...connection.endpoints, apiUrl }),
        settings: connection.settings,
        apiUrl: connection.endpoints.apiUrl,
        subscription: config.subscription,
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
      return 0
    } finally {
      await connection.close()
    }
  }
}
