import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import type { SegmentEvent } from '@segment/actions-core'
import { destinations } from '../../destinations'
import { PRODUCTION_ENDPOINTS } from '../../destinations/listrak-cross-channel/endpoints'
import { readLines } from '../backfill/lines'
import { parseLine } from '../backfill/records'
import { suggestMapping } from '../tools/suggest-mapping'
import { connectFromOptions, connectionHelp, connectionOptions, getEventDetail } from './account'
import { UsageError } from './command'
import type { Command } from './command'

const SAMPLE_EVENTS = 500

const help = `Usage: listrak mapping init EVENT_UID --sample sample.ndjson [--out FILE] [options]

Writes a starting backfill configuration for an event configuration: the identifier
defaults, and for every field of the event's schema the path in the sample events that best
matches it (names compared across camelCase, snake_case and case, inside properties,
context.traits and traits, preferring values of the field's type). Fields with no match are
listed for you to fill in. 'listrak preview' works on the result straight away.

Options:
  --sample FILE       sample events, NDJSON (the first ${SAMPLE_EVENTS} are read)
  --out FILE          write the configuration to FILE (default: stdout)
${connectionHelp}
  -h, --help          show this help
`

async function readSample(file: string): Promise<SegmentEvent[]> {
  const events: SegmentEvent[] = []
  try {
    for await (const lines of readLines([{ path: file }], { maxLineBytes: 1 << 20 })) {
      for (const line of lines) {
        const parsed = line.text === undefined ? undefined : parseLine(line.text)
        if (parsed?.kind === 'event') events.push(parsed.event)
      }
      if (events.length >= SAMPLE_EVENTS) break
    }
  } catch (error) {
    throw new UsageError(`Cannot read --sample ${file}: ${(error as Error).message}`)
  }
  return events.slice(0, SAMPLE_EVENTS)
}

export const mappingCommand: Command = {
  name: 'mapping',
  summary: 'mapping init: scaffold a backfill configuration from an event schema and sample events',
  help,
  async run(argv) {
    const [verb, ...rest] = argv
    if (verb !== 'init')
      throw new UsageError(`Unknown mapping command "${verb ?? ''}": the one there is, is 'listrak mapping init'.`)
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { ...connectionOptions, sample: { type: 'string' }, out: { type: 'string' } }
    })
    if (positionals.length !== 1) throw new UsageError('Give one EVENT_UID (list them with `listrak configs`).')
    if (!values.sample) throw new UsageError('--sample is required: a file of sample events (NDJSON).')
    const [eventUID] = positionals
    const events = await readSample(values.sample)
    if (events.length === 0) throw new UsageError(`--sample ${values.sample} holds no events.`)

    const connection = await connectFromOptions(values)
    try {
      const detail = await getEventDetail(connection, eventUID)
      const suggestion = suggestMapping(detail.eventSchemaAttrs, events)
      const { definition } = destinations['actions-listrak-cross-channel']
      const fields = definition.actions.sendCustomEvent.fields
      // Production needs no endpoints key; the simulator is chosen with --simulator, not by its address.
      const elsewhere =
        !values.simulator &&
        (connection.endpoints.apiUrl !== PRODUCTION_ENDPOINTS.apiUrl ||
          connection.endpoints.tokenUrl !== PRODUCTION_ENDPOINTS.tokenUrl)
      const config = {
        destination: 'actions-listrak-cross-channel',
        ...(elsewhere ? { endpoints: connection.endpoints } : {}),
        subscription: {
          subscribe: suggestion.eventName
            ? `type = "track" and event = ${JSON.stringify(suggestion.eventName)}`
            : 'type = "track"',
          partnerAction: 'sendCustomEvent',
          mapping: {
            eventUID,
            emailAddress: fields.emailAddress.default,
            phoneNumber: fields.phoneNumber.default,
            dataFields: suggestion.dataFields
          }
        },
        batching: { size: 1000 },
        concurrency: 4
      }
      const text = `${JSON.stringify(config, null, 2)}\n`
      if (values.out) await writeFile(values.out, text)
      else process.stdout.write(text)

      const report = [
        `Mapped ${suggestion.matches.length} of ${Object.keys(detail.eventSchemaAttrs).length} fields of ${detail.eventName ?? eventUID}${suggestion.eventName ? ` from "${suggestion.eventName}" events` : ''}:`,
        ...suggestion.matches.map(
          (match) =>
            `  ${match.attribute} (${match.type}) <- ${match.path}  (fits ${match.fits} of ${match.present} sample values${match.name === 'partial' ? '; names match in part: check it' : ''})`
        )
      ]
      if (suggestion.unmatched.length > 0) {
        report.push('No match in the sample; add these to subscription.mapping.dataFields yourself:')
        report.push(...suggestion.unmatched.map(({ attribute, type }) => `  ${attribute} (${type})`))
      }
      if (values.out)
        report.push(`Wrote ${values.out}. Check it with: listrak preview --config ${values.out} ${values.sample}`)
      process.stderr.write(`${report.join('\n')}\n`)
      return 0
    } finally {
      await connection.close()
    }
  }
}
