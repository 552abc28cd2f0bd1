import { parseArgs } from 'node:util'
import { withConnection, connectionHelp, connectionOptions, listConfigurations } from './account'
import type { Command } from './command'
import { table } from './table'

const help = `Usage: listrak configs [--json] [options]

Lists the event configurations of the Listrak account: name and eventUID. Credentials come
from LISTRAK_CLIENT_ID and LISTRAK_CLIENT_SECRET.

Options:
  --json              print JSON instead of a table
${connectionHelp}
  -h, --help          show this help
`

export const configsCommand: Command = {
  name: 'configs',
  summary: "list the account's event configurations",
  help,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { ...connectionOptions, json: { type: 'boolean', default: false } }
    })
    return withConnection(values, async (connection) => {
      const configurations = await listConfigurations(connection)
      if (values.json) process.stdout.write(`${JSON.stringify(configurations, null, 2)}\n`)
      else if (configurations.length === 0) process.stdout.write('The account has no event configurations.\n')
      else
        process.stdout.write(
          table(
            ['Name', 'eventUID'],
            configurations.map((c) => [c.eventName ?? '', c.eventUID])
          )
        )
      return 0
    })
  }
}
