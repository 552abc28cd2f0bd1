import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { Server as NetServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises'
import { hasCredentials, keyAccepted, signatureAccepted } from './auth'
import type { RelayCredentials } from './auth'
import { BATCH_PATHS, eventsOf, parseJson, readBody, RequestError, SINGLE_EVENT_PATHS, WEBHOOK_PATH } from './body'
import type { BodyLimits } from './body'
import type { Log } from './log'
import type { RelayMetrics } from './metrics'
import type { Relay, RelayAnswer } from './relay'

export interface RelayServerOptions {
  relay: Relay
  credentials: RelayCredentials
  limits: BodyLimits
  log: Log
  metrics: RelayMetrics
  /** Whether the relay can deliver (its memory reachable), besides not shutting down. */
  ready(): boolean
}

export interface RunningRelayServer {
  url: string
  /**
   * Shuts down as a load balancer expects: `/readyz` turns 503, new connections are refused, requests in flight
   * and requests already sent on open connections are finished and answered (for at most `graceMs`), then the
   * server closes.
   */
  close(graceMs?: number): Promise<void>
}

const EVENT_PATHS = new Set([...Object.keys(SINGLE_EVENT_PATHS), ...BATCH_PATHS, WEBHOOK_PATH])
/** Probes and scrapes, answered often and not worth a log line each. */
const UNLOGGED_PATHS = new Set(['/healthz', '/readyz', '/metrics'])

/** How long no connection (no request) must have come before a draining relay stops listening (closes them). */
const QUIET_MS = 300

/** Seconds a CDP is asked to wait before it retries a request that was not finished. */
const RETRY_AFTER_SECONDS = { 429: 30, 503: 5 } as const

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers
  })
  response.end(text)
}

/** Counts of the results by status, for the log line and the answer. */
function countsOf(answer: RelayAnswer): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const result of answer.results) counts[result.status] = (counts[result.status] ?? 0) + 1
  return counts
}

/** The relay behind HTTP: Segment's Tracking API paths and a webhook path, health and readiness, auth, limits. */
export async function startRelayServer(
  options: RelayServerOptions,
  listen: { port: number; host: string }
): Promise<RunningRelayServer> {
  const { relay, credentials, limits, log, metrics } = options
  let draining = false
  let inFlight = 0
  let lastRequestAt = 0
  let lastConnectionAt = 0

  /** Answers the request; returns what its log line says besides the request id, path and duration. */
  async function handle(request: IncomingMessage, response: ServerResponse, requestId: string) {
    const path = pathOf(request)
    if (path === '/healthz') return reply(response, 200, { ok: true })
    if (path === '/readyz') {
      const ready = !draining && options.ready()
      return reply(response, ready ? 200 : 503, { ready })
    }
    if (path === '/metrics') {
      // A scraper presents a key like any client; without keys the relay listens on loopback only.
      if (credentials.keys.length > 0 && !keyAccepted(request.headers, credentials))
        throw new RequestError(401, 'missing or wrong credentials (a relay key)')
      const text = await metrics.text()
      response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text)
      return { status: 200 }
    }
    if (!EVENT_PATHS.has(path))
      throw new RequestError(404, `no such path ${path}; events go to /v1/batch or /v1/events`)
    if (request.method !== 'POST') throw new RequestError(405, `${path} takes POST`)
    const body = await readBody(request, limits.body)
    let json: unknown
    const parsed = () => (json ??= tryParse(body))
    const authenticated =
      !hasCredentials(credentials) ||
      keyAccepted(request.headers, credentials) ||
      (credentials.signingSecret !== undefined &&
        signatureAccepted(request.headers, body, parsed, credentials.signingSecret))
    if (!authenticated) throw new RequestError(401, 'missing or wrong credentials (a relay key, or a signature)')
    if (!options.ready()) throw new RequestError(503, 'the memory of delivered events cannot be reached; send again')
    const events = eventsOf(path, parseJson(body), limits)
    metrics.received(events.length)
    const answer = await relay.handle(events, requestId)
    const headers: Record<string, string> =
      answer.status === 200 ? {} : { 'retry-after': String(RETRY_AFTER_SECONDS[answer.status]) }
    send(response, answer.status, { requestId, results: answer.results }, headers)
    return { status: answer.status, events: events.length, ...countsOf(answer) }
  }

  const server: Server = createServer((request, response) => {
    const requestId = randomUUID()
    const start = performance.now()
    inFlight++
    lastRequestAt = start
    metrics.inFlight.inc()
    response.on('close', () => {
      metrics.inFlight.dec()
      inFlight--
    })
    if (draining) response.setHeader('connection', 'close')
    void handle(request, response, requestId)
      .catch((error: unknown) => {
        const status = error instanceof RequestError ? error.status : 500
        const message = error instanceof RequestError ? error.message : 'the relay failed on this request'
        if (!response.headersSent)
          send(response, status, { requestId, error: message }, status === 503 ? { 'retry-after': '5' } : {})
        // Read what the client still sends, so that it gets the answer rather than a reset connection.
        request.resume()
        return { status, error: message }
      })
      .then((entry) => {
        const path = pathOf(request)
        if (UNLOGGED_PATHS.has(path)) return
        const seconds = (performance.now() - start) / 1000
        metrics.request(EVENT_PATHS.has(path) ? path : 'other', entry.status, seconds)
        log({ requestId, path, ...entry, durationMs: Math.round(seconds * 1000) })
      })
  })
  server.on('connection', () => (lastConnectionAt = performance.now()))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(listen.port, listen.host, () => resolve())
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${host}:${address.port}`,
    async close(graceMs = 10_000) {
      const deadline = performance.now() + graceMs
      draining = true
      // Connections the system accepted before the signal wait in its backlog until this process takes them, and
      // closing the listener would reset them: it stays open until no connection came for a while. Each check
      // comes after a poll of the event loop, which takes whatever waits in the backlog.
      do {
        await sleep(QUIET_MS)
        await nextTurn()
      } while (performance.now() - lastConnectionAt < QUIET_MS && performance.now() < deadline)
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()))
      // Requests already sent on open connections are still read and answered (with `Connection: close`):
      // wait until none is in flight and none has started for a moment, within the grace period.
      while (performance.now() < deadline && (inFlight > 0 || performance.now() - lastRequestAt < QUIET_MS)) {
        await sleep(QUIET_MS / 4)
        await nextTurn()
      }
      server.closeAllConnections()
      await closed
    }
  }
}

const pathOf = (request: IncomingMessage): string => (request.url ?? '/').split('?')[0]

function reply(response: ServerResponse, status: number, content: unknown): { status: number } {
  send(response, status, content)
  return { status }
}

function tryParse(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    return undefined
  }
}
