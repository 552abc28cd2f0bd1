import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { startSimulator } from '../../src/simulator'
import type { RunningSimulator } from '../../src/simulator'
import { workDir } from '../backfill/fixtures'
import { waitFor } from '../helpers'
import { startRedis } from '../redis-server'
import type { TestRedis } from '../redis-server'
import { instance, ORDERS_UID, post, sampleEvents, startFailingProxy } from '../serve/fixtures'
import { spawnCli } from './run-cli'

let simulator: RunningSimulator
let redis: TestRedis
beforeAll(async () => {
  simulator = await startSimulator({ config: { faults: { latencyMs: 30, latencyJitterMs: 30 } } })
  redis = await startRedis()
})
afterAll(async () => {
  await simulator.close()
  await redis.stop()
})

async function startServe(config: string): Promise<{ child: ChildProcessWithoutNullStreams; url: string }> {
  const env = {
    LISTRAK_CLIENT_ID: simulator.credentials.clientId,
    LISTRAK_CLIENT_SECRET: simulator.credentials.clientSecret
  }
  const child = spawnCli(['serve', '--config', config, '--port', '0', '--redis', redis.url, '--deadline', '500'], env)
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  child.stdout.resume()
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`listrak serve stopped: ${stderr}`)
    return /listening on http:\S+/.test(stderr)
  }, 'listrak serve to listen')
  return { child, url: /listening on (http:\S+)/.exec(stderr)?.[1] ?? '' }
}

/** An instance file of the sample subscriptions, sending to `apiUrl`. */
function writeConfig(apiUrl: string): string {
  const config = path.join(workDir(), 'instance.json')
  const subscriptions = instance.subscriptions.map(({ key: _key, ...subscription }) => subscription)
  writeFileSync(config, JSON.stringify({ endpoints: { apiUrl, tokenUrl: simulator.tokenUrl }, subscriptions }))
  return config
}

describe('two relay processes sharing one Redis', () => {
  it('send each event once when a request answered 503 by one is retried on the other', async () => {
    const proxy = await startFailingProxy(simulator, ORDERS_UID)
    const [failing, healthy] = await Promise.all([
      startServe(writeConfig(proxy.apiUrl)),
      startServe(writeConfig(simulator.apiUrl))
    ])
    try {
      const before = simulator.state.journal.length
      const body = JSON.stringify(sampleEvents('two-processes', 3))
      const first = await post(`${failing.url}/v1/events`, body)
      expect(first.status).toBe(503)
      expect(simulator.state.journal.length - before).toBe(6)
      // The CDP retries until it is answered 200: while the first relay still retries its failing batch, its
      // claims make the other answer 503 rather than send the events a second time.
      await waitFor(async () => (await post(`${healthy.url}/v1/events`, body)).status === 200, 'a retry answered 200')
      const journal = simulator.state.journal.slice(before)
      expect(journal).toHaveLength(9)
      const orders = journal.map((entry) => entry.dataFields.orderId).filter(Boolean)
      expect(orders.sort()).toEqual(['two-processes-0', 'two-processes-1', 'two-processes-2'])
    } finally {
      failing.child.kill('SIGTERM')
      healthy.child.kill('SIGTERM')
      await proxy.close()
    }
  })
})

describe('two relays sharing Redis, one killed with SIGKILL mid-load', () => {
  it('loses nothing, and repeats at most what the killed relay had in flight', async () => {
    const config = writeConfig(simulator.apiUrl)
    const [a, b] = await Promise.all([startServe(config), startServe(config)])
    const before = simulator.state.journal.length
    try {
      const bodies = Array.from({ length: 120 }, (_, r) =>
        JSON.stringify(sampleEvents(`crash-${r}`, 3).filter((event) => event.event === 'Order Completed'))
      )
      let killed = false
      let answeredByA = 0
      let inFlightAtA = 0
      let inFlightAtKill = 0
      // The client: spread over both relays; what is not answered 200 goes again to the one still alive.
      const send = async (body: string, index: number): Promise<void> => {
        let url = index % 2 === 0 && !killed ? a.url : b.url
        for (let attempt = 0; attempt < 200; attempt++) {
          const toA = url === a.url
          if (toA) inFlightAtA++
          try {
            const response = await fetch(`${url}/v1/events`, {
              method: 'POST',
              body,
              headers: { 'content-type': 'application/json' }
            })
            await response.arrayBuffer()
            if (response.status === 200) {
              if (toA) answeredByA++
              return
            }
          } catch {
            // the relay died under this request: retried below
          } finally {
            if (toA) inFlightAtA--
          }
          url = b.url
          await sleep(100)
        }
        throw new Error(`request ${index} was never answered 200`)
      }
      let next = 0
      const clients = Array.from({ length: 8 }, async () => {
        while (next < bodies.length) {
          const index = next++
          await send(bodies[index], index)
        }
      })
      await waitFor(() => answeredByA >= 15, 'relay A to answer some requests', 30_000)
      inFlightAtKill = inFlightAtA
      killed = true
      a.child.kill('SIGKILL')
      await Promise.all(clients)

      const orders = simulator.state.journal.slice(before).map((entry) => entry.dataFields.orderId)
      const expected = bodies.flatMap((body) =>
        (JSON.parse(body) as { properties: { order_id: string } }[]).map((event) => event.properties.order_id)
      )
      expect(new Set(orders)).toEqual(new Set(expected))
      const repeats = orders.length - new Set(orders).size
      expect(repeats).toBeLessThanOrEqual(inFlightAtKill * 3)
    } finally {
      a.child.kill('SIGKILL')
      b.child.kill('SIGTERM')
    }
  }, 90_000)
})
