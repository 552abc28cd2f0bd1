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

/** Everything a person or a log could see: outputs, and every file the commands wrote. */
function exposed(outputs: { stdout: string; stderr: string }[], dir: string): string {
  const files = readdirSync(dir).map((name) => readFileSync(path.join(dir, name), 'utf8'))
  return [...outputs.flatMap((output) => [output.stdout, output.stderr]), ...files].join('\n')
}

describe('secrets stay secret', () => {
  it('neither the client secret nor any issued token appears in outputs, reports, checkpoints, dead letters or errors', async () => {
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
    const env = { LISTRAK_CLIENT_ID: 'known-client', LISTRAK_CLIENT_SECRET: SECRET }
    const api = ['--api-url', simulator.apiUrl, '--token-url', simulator.tokenUrl]
    const outputs = [
      await runCli(
        [
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
        { env }
      ),
      await runCli(
        [
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
        { env }
      ),
      await runCli(['preview', '--config', config, file], { env }),
      await runCli(['preview', '--json', '--config', config, file], { env }),
      await runCli(['configs', ...api], { env }),
      await runCli(['schema', ORDER_EVENT.eventUID, ...api], { env }),
      await runCli(['schema', 'no-such-event', ...api], { env }),
      await runCli(['configs', ...api], { env: { ...env, LISTRAK_CLIENT_SECRET: `${SECRET}-wrong` } }),
      await runCli(['backfill', '--config', config, file], {
        env: { ...env, LISTRAK_CLIENT_SECRET: `${SECRET}-wrong` }
      })
    ]
    // Preview exits 3 too: the sample holds an event that would be rejected.
    expect(outputs.map((output) => output.status)).toEqual([3, 3, 3, 3, 0, 0, 1, 1, 1])
    expect(
      existsSync(path.join(dir, 'dl.ndjson')) &&
        existsSync(path.join(dir, 'cp.json')) &&
        existsSync(path.join(dir, 'report.json'))
    ).toBe(true)

    const tokens = simulator.state.issuedTokens()
    expect(tokens.length).toBeGreaterThan(5)
    const everything = exposed(outputs, dir)
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
