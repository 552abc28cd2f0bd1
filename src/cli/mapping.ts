import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import type { JSONObject, SegmentEvent } from '@segment/actions-core'
import { destinations } from '../../destinations'
import { PRODUCTION_ENDPOINTS } from '../../destinations/listrak-cross-channel/sendCustomEvent/endpoints'
import { readRecords } from '../backfill/reading'
import { replaceFile } from '../common/replace-file'
import { ConfigError } from '../instance'
import { addSubscription } from '../tools/add-subscription'
import { formatJson } from '../tools/format-json'
import type { SubscriptionEntry } from '../tools/add-subscription'
import { suggestMapping } from '../tools/suggest-mapping'
import type { MappingSuggestion } from '../tools/suggest-mapping'
import { AccountError, withConnection, connectionHelp, connectionOptions, getEventDetail } from './account'
import type { Connection } from './connection'
import { UsageError } from './command'
import type { Command } from './command'

const SAMPLE_EVENTS = 500

const help = `Usage: listrak mapping init EVENT_UID --sample sample.ndjson [--config FILE] [--out FILE] [options]

Writes a starting subscription for an event configuration: for every field of the event's schema
the path in the sample events that best matches it (names compared across camelCase, snake_case
and case, preferring values of the field's type), and the identifiers where the sample keeps them.
Values are looked for where each kind of call keeps them: a track event's properties, an identify
call's traits, a page call's properties and name, and context.traits. The suggestion is made from
the kind of call that matches the most fields (track events of one name, identify calls or page
calls), and its trigger matches those calls. Fields with no match are listed for you to fill in.
'listrak preview' works on the result straight away.

With --config FILE the subscription is added to that configuration, as a new entry of its
subscriptions (a file of one "subscription" becomes the list form); without it, a new configuration
of this one subscription is written to --out FILE, or to stdout.

Options:
  --sample FILE       sample events, NDJSON (the first ${SAMPLE_EVENTS} are read)
  --config FILE       add the subscription to this configuration (its settings say where the API is)
  --name NAME         the subscription's name (default: the event configuration's name); a name
                      the configuration has already is refused
  --out FILE          write the configuration to FILE instead (default: --config FILE, or stdout);
                      an existing FILE is never replaced without --force
  --force             replace --out FILE if it exists
${connectionHelp.split('\n').slice(2).join('\n')}
  -h, --help          show this help
`

async function readSample(file: string): Promise<SegmentEvent[]> {
  const events: SegmentEvent[] = []
  try {
    for await (const records of readRecords([{ path: file }], { maxLineBytes: 1 << 20 })) {
      for (const { content } of records) if (content.kind === 'event') events.push(content.event)
      if (events.length >= SAMPLE_EVENTS) break
    }
  } catch (error) {
    throw new UsageError(`Cannot read --sample ${file}: ${(error as Error).message}`)
  }
  return events.slice(0, SAMPLE_EVENTS)
}

/** Writes a new file, refusing to replace an existing one unless `force`. */
async function writeNewFile(file: string, text: string, force: boolean, hint: string): Promise<void> {
  try {
    await writeFile(file, text, { flag: force ? 'w' : 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new UsageError(`${file} exists already; pass --force to replace it${hint}.`)
    throw new UsageError(`Cannot write ${file}: ${(error as Error).message}`)
  }
}

async function readJson(file: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new UsageError(`Cannot read the configuration ${file}: ${(error as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`)
  }
}

/** The name of the event configuration a lone `subscription` sends to, to name it in the list form. */
async function nameOfSingle(file: unknown, connection: Connection): Promise<string | undefined> {
  const single = (file as { subscription?: { name?: unknown; mapping?: { eventUID?: unknown } } }).subscription
  const eventUID = single?.mapping?.eventUID
  if (single?.name !== undefined || typeof eventUID !== 'string') return undefined
  try {
    return (await getEventDetail(connection, eventUID)).eventName
  } catch (error) {
    if (error instanceof AccountError) return undefined
    throw error
  }
}

export const mappingCommand: Command = {
  name: 'mapping',
  summary: 'mapping init: suggest a subscription from an event schema and sample events',
  help,
  async run(argv) {
    const [verb, ...rest] = argv
    if (verb !== 'init')
      throw new UsageError(`Unknown mapping command "${verb ?? ''}": the one there is, is 'listrak mapping init'.`)
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        ...connectionOptions,
        sample: { type: 'string' },
        name: { type: 'string' },
        out: { type: 'string' },
        force: { type: 'boolean', default: false }
      }
    })
    if (positionals.length !== 1) throw new UsageError('Give one EVENT_UID (list them with `listrak configs`).')
    if (!values.sample) throw new UsageError('--sample is required: a file of sample events (NDJSON).')
    if (values.name !== undefined && values.name.trim() === '') throw new UsageError('--name must not be empty.')
    if (values.force && values.out === undefined)
      throw new UsageError(
        '--force lets --out FILE replace a file: give --out too (adding to --config FILE needs no --force).'
      )
    const [eventUID] = positionals
    const events = await readSample(values.sample)
    if (events.length === 0) throw new UsageError(`--sample ${values.sample} holds no events.`)
    const file = values.config === undefined ? undefined : await readJson(values.config)

    return withConnection(values, async (connection) => {
      const detail = await getEventDetail(connection, eventUID)
      const suggestion = suggestMapping(detail.eventSchemaAttrs, events)
      if (!suggestion)
        throw new UsageError(`--sample ${values.sample} holds no track, identify or page calls to suggest from.`)
      const { definition } = destinations['actions-listrak-cross-channel']
      const fields = definition.actions.sendCustomEvent.fields
      const entry: SubscriptionEntry = {
        name: values.name?.trim() ?? detail.eventName ?? eventUID,
        subscribe: suggestion.subscribe,
        partnerAction: 'sendCustomEvent',
        mapping: {
          eventUID,
          emailAddress: suggestion.identifiers.emailAddress ?? (fields.emailAddress.default as JSONObject),
          phoneNumber: suggestion.identifiers.phoneNumber ?? (fields.phoneNumber.default as JSONObject),
          dataFields: suggestion.dataFields
        }
      }

      let written: ReturnType<typeof addSubscription>
      if (values.config === undefined) {
        // Production needs no endpoints key; the simulator is chosen with --simulator, not by its address.
        const elsewhere =
          !values.simulator &&
          (connection.endpoints.apiUrl !== PRODUCTION_ENDPOINTS.apiUrl ||
            connection.endpoints.tokenUrl !== PRODUCTION_ENDPOINTS.tokenUrl)
        const config = {
          destination: 'actions-listrak-cross-channel',
          ...(elsewhere ? { endpoints: connection.endpoints } : {}),
          subscriptions: [entry],
          batching: { size: 1000 },
          concurrency: 4
        }
        written = { config, key: 'subscriptions[0]' }
      } else {
        const singleName = await nameOfSingle(file, connection)
        try {
          written = addSubscription(file, entry, { source: values.config, singleName })
        } catch (error) {
          if (error instanceof ConfigError) throw new UsageError(error.message)
          throw error
        }
      }
      const text = formatJson(written.config)
      const target = values.out ?? values.config
      if (values.out !== undefined && path.resolve(values.out) !== path.resolve(values.config ?? ''))
        await writeNewFile(
          values.out,
          text,
          values.force,
          values.config ? '' : `, or add to it with --config ${values.out}`
        )
      else if (target !== undefined)
        await replaceFile(target, text).catch((error: Error) => {
          throw new UsageError(`Cannot write ${target}: ${error.message}`)
        })
      else process.stdout.write(text)

      const report = [
        `Mapped ${suggestion.matches.length} of ${Object.keys(detail.eventSchemaAttrs).length} fields of ${detail.eventName ?? eventUID} from ${describeCalls(suggestion)}:`,
        ...suggestion.matches.map(
          (match) =>
            `  ${match.attribute} (${match.type}) <- ${match.path}  (fits ${match.fits} of ${match.present} sample values${match.name === 'partial' ? '; names match in part: check it' : ''})`
        )
      ]
      if (suggestion.unmatched.length > 0) {
        report.push(`No match in the sample; add these to ${written.key}.mapping.dataFields yourself:`)
        report.push(...suggestion.unmatched.map(({ attribute, type }) => `  ${attribute} (${type})`))
      }
      if (target !== undefined) {
        const added = values.config
          ? `Added "${entry.name}" as ${written.key}`
          : `Wrote "${entry.name}" as ${written.key}`
        const list = written.converted
          ? `; the single subscription is now subscriptions[0], "${written.converted}"`
          : ''
        report.push(
          `${added} of ${target}${list}. Check it with: listrak preview --config ${target}${values.simulator ? ' --simulator' : ''} ${values.sample}`
        )
      }
      process.stderr.write(`${report.join('\n')}\n`)
      return 0
    })
  }
}

function describeCalls({ type, eventName }: MappingSuggestion): string {
  return eventName === undefined ? `${type} calls` : `"${eventName}" events`
}
