import { once } from 'node:events'
import { main } from '../../src/cli/main'
import { waitFor } from '../helpers'
import { runCli, spawnCli } from './run-cli'

describe('listrak', () => {
  it('prints its commands with --help and exits 0', async () => {
    const run = await runCli(['--help'])
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/Usage: listrak <command>/)
    expect(run.stdout).toMatch(/simulator/)
  })

  it('exits 2 with the usage for an unknown command', async () => {
    const run = await runCli(['frobnicate'])
    expect(run.status).toBe(2)
    expect(run.stderr).toMatch(/unknown command "frobnicate"/)
  })
})

describe('every command', () => {
  it.each(['backfill', 'configs', 'schema', 'preview', 'mapping', 'simulator', 'demo'])(
    '%s has --help',
    async (name) => {
      const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
      const code = await main([name, '--help'])
      const text = write.mock.calls.map(([chunk]) => String(chunk)).join('')
      write.mockRestore()
      expect(code).toBe(0)
      expect(text).toMatch(new RegExp(`^Usage: listrak ${name}`))
      expect(text).toMatch(/-h, --help/)
    }
  )
})

describe('listrak simulator', () => {
  it('documents its options', async () => {
    const run = await runCli(['simulator', '--help'])
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/--port N[\s\S]*--config FILE[\s\S]*--journal FILE/)
  })

  it('refuses a bad option or config with exit 2 and names the problem', async () => {
    expect(await runCli(['simulator', '--port', 'eighty'])).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/--port must be/)
    })
    expect(await runCli(['simulator', '--config', '/no/such/file.json'])).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/Cannot read --config \/no\/such\/file.json/)
    })
  })

  it('prints its URL and credentials, serves requests, and stops cleanly on SIGINT', async () => {
    const child = spawnCli(['simulator', '--port', '0'])
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    await waitFor(() => /Press Ctrl-C/.test(output), 'the simulator to say it listens', 10_000, { child })
    const url = /listening on (http:\/\/\S+)/.exec(output)?.[1]
    expect(output).toMatch(/Client ID: +simulator-client/)
    const stats = await fetch(`${url}/_simulator/stats`)
    expect(stats.status).toBe(200)
    child.kill('SIGINT')
    const [code] = (await once(child, 'exit')) as [number]
    expect(code).toBe(0)
    expect(output).toMatch(/Simulator stopped/)
  })
})
