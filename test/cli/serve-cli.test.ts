import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { startSimulator } from '../../src/simulator'
import type { RunningSimulator } from '../../src/simulator'
import { workDir } from '../backfill/fixtures'
import { waitFor } from '../helpers'
import { instance, post, sampleEvents } from '../serve/fixtures'
import type { Answer } from '../serve/fixtures'
import { runCli, spawnCli } from './run-cli'

let simulator: RunningSimulator
let env: NodeJS.ProcessEnv
beforeAll(async () => {
  simulator = await startSimulator({ config: { faults: { latencyMs: 150 } } })
  env = { LISTRAK_CLIENT_ID: simulator.credentials.clientId, LISTRAK_CLIENT_SECRET: simulator.credentials.clientSecret }
})
afterAll(() => simulator.close())

function writeConfig(extra: Record<string, unknown> = {}): string {
  const file = path.join(workDir(), 'instance.json')
  const subscriptions = instance.subscriptions.map(({ key: _key, ...subscription }) => subscription)
  const endpoints = { apiUrl: simulator.apiUrl, tokenUrl: simulator.tokenUrl }
  writeFileSync(file, JSON.stringify({ endpoints, subscriptions, ...extra }))
  return file
}

describe('listrak serve', () => {
  it('exits 2 on a configuration mistake, naming the key, and listens nowhere', async () => {
    const config = writeConfig({
      subscriptions: [{ ...instance.subscriptions[0], key: undefined, mapping: { evntUID: 'x' } }]
    })
    const run = await runCli(['serve', '--config', config, '--port', '0'], { env })
    expect(run.status).toBe(2)
    expect(run.stderr).toMatch(/subscriptions\[0\]\.mapping\.evntUID: .*did you mean "eventUID"/)
    expect(run.stderr).not.toMatch(/listening/)
  })

  it('exits 1 when Listrak refuses the credentials', async () => {
    const run = await runCli(['serve', '--config', writeConfig(), '--port', '0'], {
      env: { ...env, LISTRAK_CLIENT_SECRET: 'wrong' }
    })
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(/Authentication failed/)
    expect(run.stderr).not.toContain('wrong')
  })

  it('answers every request in flight when stopped with SIGTERM under load, then exits 0', async () => {
    const child = spawnCli(['serve', '--config', writeConfig(), '--port', '0', '--deadline', '20000'], env)
    let stderr = ''
    let stdout = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    try {
      await waitFor(() => /listening on (http:\S+)/.test(stderr) || child.exitCode !== null, 'the relay to listen')
      const url = /listening on (http:\S+)/.exec(stderr)?.[1]
      expect(url).toBeDefined()
      const journalBefore = simulator.state.journal.length
      const listrakBefore = simulator.state.stats.requests
      // 40 requests of 501 events at once: many wait in the relay's backlog or unparsed on open connections.
      const requests = Array.from({ length: 40 }, (_, i) =>
        post(`${url}/v1/events`, JSON.stringify(sampleEvents(`term-${i}`, 167))).catch((error: Error) => error)
      )
      await waitFor(() => simulator.state.stats.requests > listrakBefore, 'requests to reach Listrak')
      child.kill('SIGTERM')
      const answers = await Promise.all(requests)
      expect(await exited).toBe(0)
      // A request the relay took is answered; one that came after the signal is refused at connect, sending nothing.
      // Told apart by shape: fetch's errors come from Node's realm, not the test's, so instanceof does not know them.
      const answered = answers.filter((answer): answer is Answer => 'status' in answer)
      const refused = answers.filter((answer): answer is Error => !('status' in answer))
      // Answered 200, or 503 when its deadline passed first on a busy machine (the CDP then sends it again).
      expect(answered.length).toBeGreaterThan(0)
      expect(answered.filter((answer) => answer.status !== 200 && answer.status !== 503)).toEqual([])
      expect(refused.map((error) => (error.cause as { code?: string }).code)).toEqual(refused.map(() => 'ECONNREFUSED'))
      const journal = simulator.state.journal.slice(journalBefore)
      const orders = journal.map((entry) => entry.dataFields.orderId).filter((orderId) => orderId !== undefined)
      expect(new Set(orders).size).toBe(orders.length)
      const delivered = new Set(orders)
      for (const answer of answered.filter(({ status }) => status === 200))
        for (const result of answer.body.results ?? [])
          if (result.subscription === 'Orders')
            expect(delivered.has((result.messageId ?? '').replace('-order-', '-'))).toBe(true)
      const logged = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
      expect(logged.filter((entry) => entry.path === '/v1/events')).toHaveLength(answered.length)
    } finally {
      child.kill('SIGKILL')
    }
  }, 60_000)
})

describe('listrak serve refuses before listening', () => {
  it.each([
    [
      'a Redis URL of another scheme',
      ['--redis', 'http://127.0.0.1:6379'],
      /--redis takes a redis:\/\/ or rediss:\/\/ URL/
    ],
    [
      'a linger not shorter than the deadline',
      ['--linger', '500', '--deadline', '500'],
      /--linger \(500 ms\) must be shorter/
    ],
    ['a port that is no number', ['--port', 'eighty'], /--port must be a whole number/]
  ])('%s: exit 2', async (_case, args, message) => {
    const run = await runCli(['serve', '--config', writeConfig(), '--simulator', ...args])
    expect(run.status).toBe(2)
    expect(run.stderr).toMatch(message)
  })
})
