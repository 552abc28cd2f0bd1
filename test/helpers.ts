import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { DestinationDefinition, JSONObject } from '@segment/actions-core'
import { withEndpoints } from '../destinations/listrak-cross-channel'
import type { Settings } from '../destinations/listrak-cross-channel/generated-types'
import { DEFAULT_EVENT_CONFIGURATIONS } from '../src/simulator'
import { startSimulator } from '../src/simulator'
import type { RunningSimulator, SimulatorConfigInput } from '../src/simulator'

export const ORDER_EVENT = DEFAULT_EVENT_CONFIGURATIONS[0]
export const BROWSE_EVENT = DEFAULT_EVENT_CONFIGURATIONS[1]
export const SIGNUP_EVENT = DEFAULT_EVENT_CONFIGURATIONS[2]

/** The environment a CLI run needs to reach `simulator` with its credentials. */
export function credentialsEnv(simulator: RunningSimulator): NodeJS.ProcessEnv {
  return {
    LISTRAK_CLIENT_ID: simulator.credentials.clientId,
    LISTRAK_CLIENT_SECRET: simulator.credentials.clientSecret
  }
}

export function settingsFor(simulator: RunningSimulator): Settings {
  return { client_id: simulator.credentials.clientId, client_secret: simulator.credentials.clientSecret }
}

/** The destination pointed at a simulator (or any server with the same routes). */
export function definitionFor(simulator: { apiUrl: string; tokenUrl: string }): DestinationDefinition<Settings> {
  return withEndpoints({ apiUrl: simulator.apiUrl, tokenUrl: simulator.tokenUrl })
}

/** A token straight from the simulator, for the test helpers that bypass the framework's refresh. */
export async function tokenFrom(simulator: RunningSimulator): Promise<string> {
  const response = await fetch(simulator.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...renameCredentials(simulator) })
  })
  const body = (await response.json()) as { access_token: string }
  return body.access_token
}

function renameCredentials(simulator: RunningSimulator): Record<string, string> {
  return { client_id: simulator.credentials.clientId, client_secret: simulator.credentials.clientSecret }
}

/** The order event's mapping, as a CDP would store it for the subscription. */
export const orderMapping: JSONObject = {
  eventUID: ORDER_EVENT.eventUID,
  emailAddress: { '@path': '$.properties.email' },
  phoneNumber: { '@path': '$.properties.phone' },
  mobileContactUid: { '@path': '$.properties.mobileContactUid' },
  dataFields: {
    orderId: { '@path': '$.properties.order_id' },
    orderTotal: { '@path': '$.properties.total' },
    itemCount: { '@path': '$.properties.item_count' },
    orderDate: { '@path': '$.properties.ordered_at' }
  },
  enable_batching: true,
  batch_size: 1000
}

export interface RecordedRequest {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

export interface LocalServer {
  url: string
  requests: RecordedRequest[]
  close(): Promise<void>
}

/** A real HTTP server on loopback whose answers the test decides, for cases the simulator never produces. */
export async function startLocalServer(
  answer: (request: RecordedRequest, response: ServerResponse) => void
): Promise<LocalServer> {
  const requests: RecordedRequest[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const recorded = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8')
      }
      requests.push(recorded)
      answer(recorded, response)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

export function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' })
  response.end(JSON.stringify(body))
}

/** A clock that moves only when the test says so, for the simulator's token lifetimes and rate limit. */
export interface ManualClock {
  now: () => number
  advance(ms: number): void
}

export function manualClock(start = Date.parse('2024-01-01T00:00:00Z')): ManualClock {
  let now = start
  return { now: () => now, advance: (ms) => (now += ms) }
}

/** Runs `run` against a simulator of its own (on `clock` when given), closed afterwards whatever happens. */
export async function withSimulator<T>(
  config: SimulatorConfigInput,
  run: (simulator: RunningSimulator) => Promise<T>,
  clock?: ManualClock
): Promise<T> {
  const simulator = await startSimulator({ config, clock: clock?.now })
  try {
    return await run(simulator)
  } finally {
    await simulator.close()
  }
}

export interface WaitOptions {
  /** The child process the condition depends on: the wait fails at once, saying so, when it exits first. */
  child?: ChildProcess
  /** How often to look, in milliseconds. */
  everyMs?: number
}

/** Polls `condition` until it holds, failing after `timeoutMs` (10 s by default) with what it waited for. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
  { child, everyMs = 20 }: WaitOptions = {}
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`waiting for ${what}: the child process exited (${child.signalCode ?? child.exitCode}) first`)
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}
