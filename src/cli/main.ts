#!/usr/bin/env node
import { version } from '../../package.json'
import { EXIT, UsageError } from './command'
import type { Command } from './command'
import { backfillCommand } from './backfill'
import { configsCommand } from './configs'
import { demoCommand } from './demo'
import { mappingCommand } from './mapping'
import { previewCommand } from './preview'
import { schemaCommand } from './schema'
import { serveCommand } from './serve'
import { simulatorCommand } from './simulator'

const commands: Command[] = [
  backfillCommand,
  serveCommand,
  configsCommand,
  schemaCommand,
  previewCommand,
  mappingCommand,
  simulatorCommand,
  demoCommand
]

function usage(): string {
  const width = Math.max(...commands.map((command) => command.name.length))
  return `Usage: listrak <command> [options]

The Listrak Cross Channel connector: a Segment actions-core destination for Listrak custom
events, and the tools around it.

Commands:
${commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n')}

Run 'listrak <command> --help' for a command's options.
Options:
  -h, --help     show this help
  -v, --version  show the version
`
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(usage())
    return EXIT.ok
  }
  if (name === '-v' || name === '--version') {
    process.stdout.write(`${version}\n`)
    return EXIT.ok
  }
  const command = commands.find((candidate) => candidate.name === name)
  if (!command) {
    process.stderr.write(`listrak: unknown command "${name}"\n\n${usage()}`)
    return EXIT.usage
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    process.stdout.write(command.help)
    return EXIT.ok
  }
  try {
    return await command.run(rest)
  } catch (error) {
    const usageProblem = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    process.stderr.write(`listrak ${command.name}: ${(error as Error).message}\n`)
    if (usageProblem) process.stderr.write(`Run 'listrak ${command.name} --help' for its options.\n`)
    return usageProblem ? EXIT.usage : EXIT.aborted
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`listrak: ${(error as Error).message}\n`)
      process.exitCode = EXIT.aborted
    }
  )
}
