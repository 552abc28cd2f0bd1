import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { backfillCommand } from './backfill'
import { EXIT } from './command'
import type { Command } from './command'

/** examples/ sits at the package root, above src/ or dist/src/. */
function examplesDir(): string {
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'examples')
    if (existsSync(path.join(candidate, 'backfill.json'))) return candidate
  }
  throw new Error('Cannot find the examples/ folder of this package.')
}

const help = `Usage: listrak demo [--quiet]

Backfills the bundled sample export (examples/segment-export.ndjson: a few thousand
Segment events, some of them bad on purpose) into an embedded Listrak API simulator,
with the progress display and the summary. Dead letters and the report go to a
temporary folder, printed at the end. This is what 'npm start' runs.

Options:
  --quiet      print nothing but errors
  -h, --help   show this help
`

export const demoCommand: Command = {
  name: 'demo',
  summary: 'backfill the bundled sample export into an embedded simulator (npm start)',
  help,
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { quiet: { type: 'boolean', default: false } } })
    const examples = examplesDir()
    const out = mkdtempSync(path.join(tmpdir(), 'listrak-demo-'))
    const deadLetters = path.join(out, 'dead-letters.ndjson')
    const report = path.join(out, 'report.json')
    const code = await backfillCommand.run([
      '--simulator',
      '--config',
      path.join(examples, 'backfill.json'),
      '--dead-letter',
      deadLetters,
      '--report',
      report,
      ...(values.quiet ? ['--quiet'] : []),
      path.join(examples, 'segment-export.ndjson')
    ])
    if (code !== EXIT.ok && code !== EXIT.deadLetters) return code
    if (!values.quiet) {
      process.stdout.write(
        [
          '',
          `Report:       ${report}`,
          `Dead letters: ${deadLetters}`,
          'The sample holds bad lines on purpose (broken JSON, missing emails, values that do not fit the',
          "event's schema): each is in the dead-letter file with its line and reason. 'listrak backfill'",
          'exits 3 when a run leaves dead letters; the demo exits 0 because that is the expected outcome.',
          ''
        ].join('\n')
      )
    }
    return EXIT.ok
  }
}
