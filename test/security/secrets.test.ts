import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { startSimulator } from '../../src/simulator'
import type { RunningSimulator } from '../../src/simulator'
import { subscriptions, workDir, writeExport } from '../backfill/fixtures'
import { runCli } from '../cli/run-cli'
import { ORDER_EVENT } from '../helpers'

const SECRET = 'S3cr3t-v4lue-that-must-never-show-9f2c'

let simulator: RunningSimulator
beforeAll(async () => {
  simulator = await startSimulator({
    config: { clients: [{ clientId: 'known-client', clientSecret: SECRET }], faults: { revokeTokensEveryMs: 1000 } }
  })
})
afterAll(() => simulator.close())

/** Everything a person or a log could see of one run: its outputs, and every file it wrote. */
function exposed(output: { stdout: string; stderr: string }, dir: string): string {
  const files = readdirSync(dir).map((name) => readFileSync(path.join(dir, name), 'utf8'))
  return [output.stdout, output.stderr, ...files].join('\n')
}

/** An export with an unreadable line and an event the API rejects, so that dead letters and errors are written too. */
function prepare(): { dir: string; file: string; config: string } {
  const dir = workDir()
  const { file } = writeExport(dir, 400, {
    3: '{"broken":',
    7: JSON.stringify({
      type: 'track',
      event: 'Order Completed',
      properties: { order_id: 'X', total: 'N/A' },
      context: { traits: { email: 'a@example.com' } }
    })
  })
  const config = path.join(dir, 'backfill.json')
  writeFileSync(
    config,
    JSON.stringify({
      endpoints: { apiUrl: simulator.apiUrl, tokenUrl: simulator.tokenUrl },
      // The earlier format, one `subscription`, still reads.
      subscription: { ...subscriptions[0], key: undefined },
      batching: { size: 20 },
      concurrency: 2
    })
  )
  return { dir, file, config }
}

const RIGHT = { LISTRAK_CLIENT_ID: 'known-client', LISTRAK_CLIENT_SECRET: SECRET }
const WRONG = { ...RIGHT, LISTRAK_CLIENT_SECRET: `${SECRET}-wrong` }
const api = () => ['--api-url', simulator.apiUrl, '--token-url', simulator.tokenUrl]

describe('neither the client secret nor any issued token appears in outputs, reports, checkpoints, dead letters or errors', () => {
  // Each command run as the real binary, with what it wrote; preview exits 3 too: the sample holds an event that would be rejected.
  it.each<[string, (dir: string, file: string, config: string) => string[], NodeJS.ProcessEnv, number, string[]]>([
    [
      'backfill with a checkpoint, a report and dead letters',
      (dir, file, config) => [
        'backfill',
        '--config',
        config,
        '--checkpoint',
        path.join(dir, 'cp.json'),
        '--report',
        path.join(dir, 'report.json'),
        '--dead-letter',
        path.join(dir, 'dl.ndjson'),
        file
      ],
      RIGHT,
      3,
      ['cp.json', 'report.json', 'dl.ndjson']
    ],
    [
      'backfill --dry-run writing payloads',
      (dir, file, config) => [
        'backfill',
        '--dry-run',
        '--payloads',
        path.join(dir, 'payloads.ndjson'),
        '--config',
        config,
        '--dead-letter',
        path.join(dir, 'dl2.ndjson'),
        file
      ],
      RIGHT,
      3,
      ['payloads.ndjson', 'dl2.ndjson']
    ],
    ['preview', (_dir, file, config) => ['preview', '--config', config, file], RIGHT, 3, []],
    ['preview --json', (_dir, file, config) => ['preview', '--json', '--config', config, file], RIGHT, 3, []],
    ['configs', () => ['configs', ...api()], RIGHT, 0, []],
    ['schema', () => ['schema', ORDER_EVENT.eventUID, ...api()], RIGHT, 0, []],
    ['schema of an unknown event', () => ['schema', 'no-such-event', ...api()], RIGHT, 1, []],
    ['configs with a wrong secret', () => ['configs', ...api()], WRONG, 1, []],
    ['backfill with a wrong secret', (_dir, file, config) => ['backfill', '--config', config, file], WRONG, 1, []]
  ])('%s', async (_command, args, env, status, written) => {
    const { dir, file, config } = prepare()
    const tokensBefore = simulator.state.issuedTokens().length
    const output = await runCli(args(dir, file, config), { env })
    expect(output.status).toBe(status)
    for (const name of written)
      expect({ name, exists: existsSync(path.join(dir, name)) }).toEqual({ name, exists: true })
    const tokens = simulator.state.issuedTokens()
    // With the right credentials the run was given a token, so there was one to leak.
    if (env === RIGHT) expect(tokens.length).toBeGreaterThan(tokensBefore)
    const everything = exposed(output, dir)
    expect(everything).not.toContain(SECRET)
    for (const token of tokens) expect(everything).not.toContain(token)
  })
})

describe('transport', () => {
  it('never turns TLS verification off anywhere in the product', () => {
    const root = path.join(__dirname, '..', '..')
    const sources = ['src', 'destinations']
      .flatMap((folder) => listFiles(path.join(root, folder)))
      .filter((file) => file.endsWith('.ts'))
    expect(sources.length).toBeGreaterThan(10)
    for (const file of sources) {
      const text = readFileSync(file, 'utf8')
      expect({ file, found: /rejectUnauthorized|NODE_TLS_REJECT_UNAUTHORIZED|checkServerIdentity/.test(text) }).toEqual(
        { file, found: false }
      )
    }
  })
})

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(path.join(dir, entry.name)) : [path.join(dir, entry.name)]
  )
}
