import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { parseSimulatorConfig, startSimulator } from '../simulator'
import { UsageError } from './command'
import type { Command } from './command'

const help = `Usage: listrak simulator [options]

Runs a Listrak Cross Channel API simulator built from Listrak's published contract, for
trying the connector (or a CDP) without Listrak credentials. Stops on Ctrl-C.

Options:
  --port N          port to listen on (default 4010; 0 picks a free one)
  --host HOST       address to listen on (default 127.0.0.1)
  --config FILE     JSON config: clients, event configurations, limits, rate limit, faults
                    (see README, "The API simulator")
  --journal FILE    append every accepted event to FILE as NDJSON
  -h, --help        show this help
`

function loadConfig(file: string | undefined): unknown {
  if (!file) return {}
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new UsageError(`Cannot read --config ${file}: ${(error as Error).message}`)
  }
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new UsageError(`--config ${file} is not valid JSON: ${(error as Error).message}`)
  }
}

export const simulatorCommand: Command = {
  name: 'simulator',
  summary: 'run a Listrak Cross Channel API simulator on this machine',
  help,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', default: '4010' },
        host: { type: 'string', default: '127.0.0.1' },
        config: { type: 'string' },
        journal: { type: 'string' }
      },
      strict: true
    })
    const port = Number(values.port)
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UsageError(`--port must be a whole number from 0 to 65535, got "${values.port}"`)
    }
    let config
    try {
      config = parseSimulatorConfig(loadConfig(values.config), values.config ? `--config ${values.config}` : 'config')
    } catch (error) {
      if (error instanceof UsageError) throw error
      throw new UsageError((error as Error).message)
    }
    const simulator = await startSimulator({ port, host: values.host, config, journalPath: values.journal })
    const lines = [
      `Listrak simulator listening on ${simulator.url}`,
      `  API URL:       ${simulator.apiUrl}`,
      `  Token URL:     ${simulator.tokenUrl}`,
      `  Stats:         ${simulator.url}/_simulator/stats`,
      `  Client ID:     ${simulator.credentials.clientId}`,
      `  Client secret: ${simulator.credentials.clientSecret}  (the simulator's own, not a Listrak secret)`,
      `  Event configurations: ${simulator.state.config.eventConfigurations.map((c) => `${c.eventName} (${c.eventUID})`).join(', ')}`,
      values.journal ? `  Journal:       ${values.journal}` : undefined,
      'Press Ctrl-C to stop.'
    ]
    process.stdout.write(`${lines.filter(Boolean).join('\n')}\n`)
    await new Promise<void>((resolve) => {
      const stop = () => resolve()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
    await simulator.close()
    process.stdout.write('Simulator stopped.\n')
    return 0
  }
}
