import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import type { WriteStream } from 'node:fs'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseSimulatorConfig } from './config'
import type { EventConfiguration, SimulatorConfig, SimulatorConfigInput } from './config'
import { contractValidator, describeErrors } from './contract'
import { seededRandom } from './random'
import { LeakyBucket } from './rate-limit'
import { groupRecipients, judgeEvent } from './recipients'
import type { Identifier, IncomingEvent } from './recipients'

export const API_PREFIX = '/crosschannel/v1'
export const TOKEN_PATH = '/OAuth2/Token'
export const STATS_PATH = '/_simulator/stats'

/** One accepted event, as the simulator's journal records it. */
export interface JournalEntry {
  seq: number
  requestId: number
  eventUID: string
  identifiers: Identifier[]
  dataFields: Record<string, string>
  receivedAt: string
}

export interface SimulatorStats {
  requests: number
  tokenRequests: number
  tokensIssued: number
  status2xx: number
  status4xx: number
  status429: number
  status5xx: number
  connectionResets: number
  eventsAccepted: number
  eventsRejected: number
}

export interface SimulatorState {
  readonly config: SimulatorConfig
  readonly stats: SimulatorStats
  /** Accepted events in arrival order (empty when `recordEvents` is off). */
  readonly journal: JournalEntry[]
  /** Makes every token issued so far invalid, as an early revocation would. */
  revokeTokens(): void
  /** Every token issued so far, for tests that check no secret leaks anywhere. */
  issuedTokens(): string[]
}

export interface SimulatorOptions {
  port?: number
  host?: string
  config?: SimulatorConfigInput
  /** Also append every accepted event to this NDJSON file. */
  journalPath?: string
  /** Milliseconds since the epoch, read for token lifetimes, scheduled revocations and the rate limit; Date.now by default. */
  clock?: () => number
}

export interface RunningSimulator {
  url: string
  apiUrl: string
  tokenUrl: string
  credentials: { clientId: string; clientSecret: string }
  state: SimulatorState
  close(): Promise<void>
}

const SECURITY_HEADERS = {
  'x-frame-options': 'DENY',
  'strict-transport-security': 'max-age=31536000',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'"
}

type Route = { kind: 'list' } | { kind: 'detail'; eventUID: string } | { kind: 'events'; eventUID: string }

function matchRoute(pathname: string): Route | undefined {
  const parts = pathname.slice(API_PREFIX.length).split('/').filter(Boolean).map(decodeURIComponent)
  if (parts[0]?.toLowerCase() !== 'eventconfigurations') return undefined
  if (parts.length === 1) return { kind: 'list' }
  if (parts.length === 2) return { kind: 'detail', eventUID: parts[1] }
  if (parts.length === 3 && parts[2].toLowerCase() === 'events') return { kind: 'events', eventUID: parts[1] }
  return undefined
}

const ROUTE_METHOD: Record<Route['kind'], string> = { list: 'GET', detail: 'GET', events: 'POST' }

/** The body, or undefined when it is larger than `limit`; an oversized body is drained, not kept, so the 413 reaches the client. */
async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size <= limit) chunks.push(chunk)
  }
  return size > limit ? undefined : Buffer.concat(chunks)
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const config = parseSimulatorConfig(options.config ?? {})
  const configurations = new Map<string, EventConfiguration>(
    config.eventConfigurations.map((configuration) => [configuration.eventUID.toLowerCase(), configuration])
  )
  const clock = options.clock ?? Date.now
  const startedAt = clock()
  /** Each live token's issue and expiry times. */
  const tokens = new Map<string, { issuedAt: number; expiresAt: number }>()
  const random = seededRandom(config.seed)
  const bucket = config.rateLimit && new LeakyBucket(config.rateLimit.requestsPerSecond, config.rateLimit.burst, clock)
  const validateEventList = contractValidator('EventList')
  const journalFile: WriteStream | undefined = options.journalPath
    ? createWriteStream(options.journalPath, { flags: 'a' })
    : undefined
  let requestIds = 0
  let sequence = 0

  const stats: SimulatorStats = {
    requests: 0,
    tokenRequests: 0,
    tokensIssued: 0,
    status2xx: 0,
    status4xx: 0,
    status429: 0,
    status5xx: 0,
    connectionResets: 0,
    eventsAccepted: 0,
    eventsRejected: 0
  }
  const journal: JournalEntry[] = []
  const issued: string[] = []
  const state: SimulatorState = {
    config,
    stats,
    journal,
    revokeTokens: () => tokens.clear(),
    issuedTokens: () => [...issued]
  }
  /** When the scheduled revocations last made every earlier token invalid (the start, before the first). */
  function lastScheduledRevocation(now: number): number {
    const every = config.faults.revokeTokensEveryMs
    return every ? startedAt + Math.floor((now - startedAt) / every) * every : startedAt
  }

  function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (status === 429) stats.status429++
    else if (status >= 500) stats.status5xx++
    else if (status >= 400) stats.status4xx++
    else stats.status2xx++
    const text = JSON.stringify(body)
    response.writeHead(status, {
      ...SECURITY_HEADERS,
      ...headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text)
    })
    response.end(text)
  }

  const fail = (response: ServerResponse, status: number, message: string, headers?: Record<string, string>): void =>
    send(response, status, { meta: { statusCode: status, message, errors: [{ userMessage: message }] } }, headers)

  async function issueToken(request: IncomingMessage, response: ServerResponse): Promise<void> {
    stats.tokenRequests++
    if (request.method !== 'POST') return fail(response, 405, 'Use POST to request a token.')
    if (!String(request.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
      return send(response, 400, {
        error: 'invalid_request',
        error_description: 'Use application/x-www-form-urlencoded.'
      })
    }
    const body = await readBody(request, 64 * 1024)
    const form = new URLSearchParams(body?.toString('utf8') ?? '')
    if (form.get('grant_type') !== 'client_credentials') {
      return send(response, 400, { error: 'unsupported_grant_type' })
    }
    const known = config.clients.some(
      (client) => client.clientId === form.get('client_id') && client.clientSecret === form.get('client_secret')
    )
    if (!known) return send(response, 401, { error: 'invalid_client' })
    const token = randomBytes(24).toString('hex')
    const now = clock()
    if (tokens.size > 10_000) for (const [key, { expiresAt }] of tokens) if (expiresAt <= now) tokens.delete(key)
    tokens.set(token, { issuedAt: now, expiresAt: now + config.tokenLifetimeSeconds * 1000 })
    issued.push(token)
    stats.tokensIssued++
    send(response, 200, { access_token: token, token_type: 'Bearer', expires_in: config.tokenLifetimeSeconds })
  }

  function authorized(request: IncomingMessage): boolean {
    const match = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')
    const issued = match ? tokens.get(match[1]) : undefined
    const now = clock()
    return issued !== undefined && issued.expiresAt > now && issued.issuedAt >= lastScheduledRevocation(now)
  }

  async function postEvents(
    request: IncomingMessage,
    response: ServerResponse,
    configuration: EventConfiguration
  ): Promise<void> {
    const { faults, limits } = config
    if (faults.latencyMs > 0 || faults.latencyJitterMs > 0) {
      await sleep(faults.latencyMs + random() * faults.latencyJitterMs)
    }
    const draw = random()
    if (draw < faults.resetRate) {
      stats.connectionResets++
      request.socket.destroy()
      return
    }
    if (draw < faults.resetRate + faults.errorRate) {
      return random() < 0.5
        ? fail(response, 500, 'An unexpected error occurred.')
        : fail(response, 503, 'Service unavailable.')
    }
    if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) {
      return fail(response, 415, 'Please use a Content-Type of application/json.')
    }
    const body = await readBody(request, limits.maxBodyBytes)
    if (!body) {
      return fail(response, 413, `Request body larger than ${limits.maxBodyBytes} bytes.`)
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(body.toString('utf8'))
    } catch {
      return fail(response, 400, 'The request body is not valid JSON.')
    }
    if (!validateEventList(parsed)) {
      return fail(response, 400, `The request body does not match EventList: ${describeErrors(validateEventList)}`)
    }
    const events = (parsed as { events?: IncomingEvent[] }).events ?? []
    if (events.length === 0) return fail(response, 400, 'events must hold at least one event.')
    if (events.length > limits.maxEventsPerRequest) {
      return fail(response, 400, `At most ${limits.maxEventsPerRequest} events may be sent in one request.`)
    }
    const incomplete = events.findIndex(
      (event) =>
        !event.identifiers?.length ||
        event.identifiers.some((identifier) => !identifier.identifierType || identifier.identifierValue === undefined)
    )
    if (incomplete >= 0) {
      return fail(
        response,
        400,
        `events[${incomplete}] needs one or more identifiers, each with an identifierType and an identifierValue.`
      )
    }

    const requestId = ++requestIds
    const receivedAt = new Date().toISOString()
    const verdicts = events.map((event) => judgeEvent(event, configuration))
    verdicts.forEach((verdict, index) => {
      if (!verdict.accepted) {
        stats.eventsRejected++
        return
      }
      stats.eventsAccepted++
      const entry: JournalEntry = {
        seq: ++sequence,
        requestId,
        eventUID: configuration.eventUID,
        identifiers: events[index].identifiers,
        dataFields: verdict.dataFields,
        receivedAt
      }
      if (config.recordEvents) journal.push(entry)
      journalFile?.write(`${JSON.stringify(entry)}\n`)
    })
    const accepted = verdicts.filter((verdict) => verdict.accepted).length
    send(response, 200, {
      data: groupRecipients(events, verdicts),
      meta: { statusCode: 200, message: `${accepted} of ${events.length} events accepted.` }
    })
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    stats.requests++
    const { pathname } = new URL(request.url ?? '/', 'http://simulator')
    if (pathname === STATS_PATH) return send(response, 200, stats)
    if (pathname.toLowerCase() === TOKEN_PATH.toLowerCase()) return issueToken(request, response)
    const route = pathname.startsWith(API_PREFIX) ? matchRoute(pathname) : undefined
    if (!route) return fail(response, 404, 'Entity Not Found')
    if (request.method !== ROUTE_METHOD[route.kind]) {
      return fail(response, 405, 'The route does not support the requested method.', {
        allow: ROUTE_METHOD[route.kind]
      })
    }
    if (!authorized(request)) return fail(response, 401, 'Authentication is required.')
    if (bucket && !bucket.tryTake()) return fail(response, 429, 'Too many requests.')

    if (route.kind === 'list') {
      return send(response, 200, {
        data: config.eventConfigurations.map(({ eventUID, eventName }) => ({ eventUID, eventName })),
        meta: { statusCode: 200, message: 'OK' }
      })
    }
    const configuration = configurations.get(route.eventUID.toLowerCase())
    if (!configuration) return fail(response, 404, `Entity Not Found: no event configuration ${route.eventUID}.`)
    if (route.kind === 'detail')
      return send(response, 200, { data: configuration, meta: { statusCode: 200, message: 'OK' } })
    return postEvents(request, response, configuration)
  }

  const server: Server = createServer({ keepAliveTimeout: 30_000 }, (request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) fail(response, 500, 'An unexpected error occurred.')
      else response.destroy()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1'
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`

  return {
    url,
    apiUrl: `${url}${API_PREFIX}`,
    tokenUrl: `${url}${TOKEN_PATH}`,
    credentials: { ...config.clients[0] },
    state,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      if (journalFile) await new Promise<void>((resolve) => journalFile.end(resolve))
    }
  }
}
