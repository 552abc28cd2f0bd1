import { parseArgs } from 'node:util'
import { withConnection, connectionHelp, connectionOptions, getEventDetail } from './account'
import { UsageError } from './command'
import type { Command } from './command'
import { table } from './table'

const help = `Usage: listrak schema EVENT_UID [--json] [options]

Shows an event configuration's fields and their types (String, Int, Double, Date) and the
Listrak features that use the event. Credentials come from LISTRAK_CLIENT_ID and
LISTRAK_CLIENT_SECRET.

Options:
  --json              print JSON instead of a table
${connectionHelp}
  -h, --help          show this help
`

export const schemaCommand: Command = {
  name: 'schema',
  summary: "show an event configuration's fields and types",
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...connectionOptions, json: { type: 'boolean', default: false } }
    })
    if (positionals.length !== 1) throw new UsageError('Give one EVENT_UID (list them with `listrak configs`).')
    return withConnection(values, async (connection) => {
      const detail = await getEventDetail(connection, positionals[0])
      if (values.json) {
        process.stdout.write(`${JSON.stringify(detail, null, 2)}\n`)
        return 0
      }
      const fields = Object.entries(detail.eventSchemaAttrs)
      process.stdout.write(`${detail.eventName ?? detail.eventUID} (eventUID ${detail.eventUID})\n`)
      process.stdout.write(
        `Used by: ${detail.featureAccess?.length ? detail.featureAccess.join(', ') : 'no feature yet'}\n\n`
      )
      process.stdout.write(fields.length > 0 ? table(['Field', 'Type'], fields) : 'The event has no fields.\n')
      return 0
    })
  }
}
