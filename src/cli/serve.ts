import { parseArgs } from 'node:util'
import { ConfigError, RunFailure, registryRecipe } from '../instance'
import { InProcessMemory, RedisMemory, jsonLines, redisUrlForLogs, startRelay } from '../serve'
import type { DeliveryMemory } from '../serve'
import { connectFromOptions, destinationOf, loadConfigOrExit } from './account'
import { EXIT, UsageError } from './command'
import type { Command } from './command'

/** Where the relay's own secrets come from: the environment, never a file or a flag. */
const RELAY_ENV = {
  keys: 'LISTRAK_RELAY_KEYS',
  signingSecret: 'LISTRAK_RELAY_SIGNING_SECRET',
  redis: 'LISTRAK_RELAY_REDIS_URL'
} as const

const help = `Usage: listrak serve --config instance.json [options]

A live relay: puts a destination instance (the same configuration file as 'listrak
backfill') behind HTTP, for every CDP that can post events to a URL and every
Segment-compatible SDK. Each event goes to every subscription whose trigger matches,
through the same destination as a backfill.

Endpoints:
  POST /v1/batch, /v1/import        Segment's HTTP Tracking API: {"batch": [events]}
  POST /v1/track, /v1/identify, /v1/page, /v1/screen, /v1/group, /v1/alias
                                    one event of that type
  POST /v1/events                   a webhook: one event or a JSON array of them
  GET  /healthz, /readyz            alive; ready to deliver (503 while shutting down)
  GET  /metrics                     Prometheus metrics
Bodies are JSON, gzip allowed.

Answers: 200 when every event was delivered, rejected for good (a retry would fail the
same way), or matched no subscription; 503 with Retry-After (429 when Listrak throttled)
when any event may succeed on a retry, or was not finished within the deadline: the
CDP's retry then sends only what was not delivered. The body says what became of each
event. 400 a body that is not JSON or holds no events; 401 missing or wrong credentials;
413 too large; 415 not JSON.

Credentials: LISTRAK_CLIENT_ID and LISTRAK_CLIENT_SECRET (the Listrak integration);
${RELAY_ENV.keys} (comma-separated keys, sent as HTTP Basic user name or as a bearer
token) and/or ${RELAY_ENV.signingSecret} (Segment's X-Signature). Without either, the
relay listens on loopback only.

Options:
  --config FILE        the instance configuration (required; see README)
  --port N             the port (default 8080; 0 picks a free one)
  --host HOST          the address to listen on (default 127.0.0.1)
  --deadline MS        how long a request waits for its events (default 8000)
  --linger MS          how long an event waits for events of other requests to fill a
                       batch to the same subscription (default 20; 0 sends at once)
  --dead-letter FILE   append events rejected for good to FILE (NDJSON; a backfill
                       replays it)
  --redis URL          keep the memory of delivered events in Redis (redis://...), shared
                       by every relay behind a load balancer (default: ${RELAY_ENV.redis},
                       else in this process)
  --simulator          send to an embedded Listrak API simulator (no credentials needed)
  -h, --help           show this help

Logs: one JSON line per request on stdout (never an identifier value, key or secret).
SIGTERM or SIGINT: /readyz turns 503, requests in flight are answered, then exit 0.
Exit codes: 0 stopped by a signal; 2 a configuration error (listens nowhere); 1
credentials refused or the port cannot be taken.
`

/** Milliseconds requests in flight get to finish once a shutdown starts. */
const GRACE_MS = 15_000

function number(value: string | undefined, option: string, fallback: number, min: number): number {
  if (value === undefined) return fallback
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < min || parsed > 2 ** 31)
    throw new UsageError(`${option} must be a whole number of at least ${min}, got "${value}"`)
  return parsed
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'a live relay: the destination behind HTTP, for CDP webhooks and Segment SDKs',
  help,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        deadline: { type: 'string' },
        linger: { type: 'string' },
        'dead-letter': { type: 'string' },
        redis: { type: 'string' },
        simulator: { type: 'boolean', default: false }
      }
    })
    if (positionals.length > 0) throw new UsageError(`serve takes no files (got ${positionals.join(' ')})`)
    if (!values.config) throw new UsageError('--config is required: the instance configuration file (see README).')
    const port = number(values.port, '--port', 8080, 0)
    const deadlineMs = number(values.deadline, '--deadline', 8000, 1)
    const lingerMs = number(values.linger, '--linger', 20, 0)
    if (lingerMs >= deadlineMs)
      throw new UsageError(`--linger (${lingerMs} ms) must be shorter than --deadline (${deadlineMs} ms)`)
    const redisUrl = values.redis ?? (process.env[RELAY_ENV.redis] || undefined)
    if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl))
      throw new UsageError(`--redis takes a redis:// or rediss:// URL, not "${redisUrlForLogs(redisUrl)}"`)
    const config = await loadConfigOrExit(values.config)
    const { slug } = destinationOf(config)
    const keys = (process.env[RELAY_ENV.keys] ?? '')
      .split(',')
      .map((key) => key.trim())
      .filter(Boolean)
    const signingSecret = process.env[RELAY_ENV.signingSecret] || undefined

    const connection = await connectFromOptions({ simulator: values.simulator }, config)
    const log = jsonLines(process.stdout)
    let memory: DeliveryMemory
    try {
      memory = redisUrl
        ? await RedisMemory.connect({
            url: redisUrl,
            // A claim outlives the sends of its request (retries included) and lapses soon after a relay dies.
            claimTtlMs: Math.max(5 * deadlineMs, 2000),
            onState: (state, detail) =>
              log({
                level: state === 'reachable' ? 'info' : 'error',
                redis: state,
                url: redisUrlForLogs(redisUrl),
                detail
              })
          })
        : new InProcessMemory()
    } catch (error) {
      await connection.close()
      throw error
    }
    let relay
    try {
      relay = await startRelay({
        source: { recipe: registryRecipe(slug, connection.endpoints) },
        settings: connection.settings,
        subscriptions: config.subscriptions,
        batch: config.batching,
        concurrency: config.concurrency,
        deadlineMs,
        lingerMs,
        credentials: { keys, signingSecret },
        listen: { port, host: values.host },
        deadLetterPath: values['dead-letter'],
        memory,
        log
      })
    } catch (error) {
      await memory.close()
      await connection.close()
      if (error instanceof ConfigError) throw new UsageError(error.message)
      if (error instanceof RunFailure) throw error
      const code = (error as { code?: string }).code
      if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL')
        throw new Error(`cannot listen on ${values.host}:${port} (${code})`)
      throw error
    }
    const running = relay
    process.stderr.write(
      `Relaying to ${connection.target}: listening on ${running.url} (${config.subscriptions.length} subscription(s); ${keys.length > 0 || signingSecret ? 'credentials required' : 'no credentials: loopback only'}; memory ${redisUrl ? `in Redis at ${redisUrlForLogs(redisUrl)}` : 'in this process'})\n`
    )
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        process.off('SIGINT', onInt)
        process.off('SIGTERM', onTerm)
        log({ level: 'info', shutdown: signal })
        resolve()
      }
      const onInt = () => stop('SIGINT')
      const onTerm = () => stop('SIGTERM')
      process.once('SIGINT', onInt)
      process.once('SIGTERM', onTerm)
    })
    await running.close(GRACE_MS)
    await connection.close()
    return EXIT.ok
  }
}
