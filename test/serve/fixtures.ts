import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { JSONObject } from '@segment/actions-core'
import { parseInstanceFile } from '../../src/instance'
import { startRelay } from '../../src/serve'
import type { RelayOptions, RunningRelay } from '../../src/serve'
import type { RunningSimulator } from '../../src/simulator'
import { definitionFor, settingsFor, startLocalServer, withSimulator } from '../helpers'
import type { LocalServer } from '../helpers'

/** The sample instance (examples/backfill.json): orders, product views, identify calls to sign-ups. */
export const instance = parseInstanceFile(
  JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'examples', 'backfill.json'), 'utf8')),
  'examples/backfill.json'
)

export const ORDERS_UID = instance.subscriptions[0].mapping.eventUID as string

export interface TestRelay extends RunningRelay {
  logs: Record<string, unknown>[]
}

/** A relay of the sample instance in this process, on a free loopback port, sending to `api` (a simulator). */
export async function startTestRelay(
  api: { apiUrl: string; tokenUrl: string },
  simulator: RunningSimulator,
  overrides: Partial<RelayOptions> = {}
): Promise<TestRelay> {
  const logs: Record<string, unknown>[] = []
  const relay = await startRelay({
    source: { definition: definitionFor(api) },
    settings: settingsFor(simulator) as unknown as JSONObject,
    subscriptions: instance.subscriptions,
    batch: { size: 100, bytes: 4_000_000 },
    concurrency: 4,
    deadlineMs: 8000,
    lingerMs: 0,
    credentials: { keys: [] },
    listen: { port: 0, host: '127.0.0.1' },
    log: (entry) => logs.push(entry),
    ...overrides
  })
  return Object.assign(relay, { logs })
}

/** An order, a product view and a sign-up, each with an email and a messageId of its own. */
export function sampleEvents(tag: string, count = 1): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => [
    {
      messageId: `${tag}-order-${i}`,
      type: 'track',
      event: 'Order Completed',
      timestamp: '2025-01-02T03:04:05.000Z',
      context: { traits: { email: `buyer${i}@example.com` } },
      properties: { order_id: `${tag}-${i}`, total: 10 + i, quantity: 1, currency: 'USD' }
    },
    {
      messageId: `${tag}-view-${i}`,
      type: 'track',
      event: 'Product Viewed',
      timestamp: '2025-01-02T03:04:05.000Z',
      context: { traits: { email: `viewer${i}@example.com` } },
      properties: { product_id: `P-${i}`, name: 'Sweater', price: 5, category: 'Apparel' }
    },
    {
      messageId: `${tag}-signup-${i}`,
      type: 'identify',
      timestamp: '2025-01-02T03:04:05.000Z',
      traits: { email: `new${i}@example.com`, firstName: 'Ada', lastName: 'Lovelace' }
    }
  ]).flat()
}

export interface Answer {
  status: number
  headers: Headers
  body: {
    requestId?: string
    error?: string
    results?: { index: number; messageId?: string; subscription?: string; status: string; reason?: string }[]
  }
}

export async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = { 'content-type': 'application/json' }
): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    body: typeof body === 'string' ? body : new Uint8Array(body),
    headers
  })
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] }
}

/**
 * A proxy in front of the simulator whose answers to the events call of `eventUID` (or to the requests `fails`
 * picks) are HTTP `failWith` while `state.failing` is set: Listrak failing for one subscription.
 */
export async function startFailingProxy(
  simulator: RunningSimulator,
  eventUID: string,
  failWith = 500,
  fails: (request: { method: string; url: string }) => boolean = ({ method, url }) =>
    method === 'POST' && url.includes(eventUID)
): Promise<LocalServer & { state: { failing: boolean }; apiUrl: string }> {
  const state = { failing: true }
  const target = new URL(simulator.apiUrl)
  const server = await startLocalServer((request, response) => {
    if (state.failing && fails(request)) {
      response.writeHead(failWith, { 'content-type': 'application/json' })
      return response.end(JSON.stringify({ status: failWith, message: 'Internal Server Error' }))
    }
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(([name]) => !['host', 'content-length', 'connection'].includes(name))
    ) as Record<string, string>
    fetch(`${target.origin}${request.url}`, {
      method: request.method,
      headers,
      body: request.method === 'GET' ? undefined : request.body
    }).then(
      async (answer) => {
        response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' })
        response.end(Buffer.from(await answer.arrayBuffer()))
      },
      () => response.destroy()
    )
  })
  return { ...server, apiUrl: `${server.url}${target.pathname.replace(/\/+$/, '')}`, state }
}

/** Runs `run` against a relay of the sample instance and a simulator of their own, both closed afterwards. */
export function withRelay<T>(
  overrides: Partial<RelayOptions>,
  run: (relay: TestRelay, simulator: RunningSimulator) => Promise<T>
): Promise<T> {
  return withSimulator({}, async (simulator) => {
    const relay = await startTestRelay(simulator, simulator, overrides)
    try {
      return await run(relay, simulator)
    } finally {
      await relay.close()
    }
  })
}
