import type { JSONObject } from '@segment/actions-core'
import { ConfigError, DestinationInstance } from '../instance'
import type { BatchLimits, DestinationSource, SubscriptionConfig } from '../instance'
import { hasCredentials } from './auth'
import type { RelayCredentials } from './auth'
import { DEFAULT_BODY_LIMITS } from './body'
import type { BodyLimits } from './body'
import { RelayDeadLetters } from './dead-letters'
import type { Log } from './log'
import { InProcessMemory } from './memory'
import type { DeliveryMemory } from './memory'
import { RelayMetrics } from './metrics'
import { Relay } from './relay'
import { startRelayServer } from './server'

export { jsonLines } from './log'
export type { Log } from './log'
export type { RelayCredentials } from './auth'
export type { EventResult } from './relay'
export { InProcessMemory } from './memory'
export type { DeliveryMemory } from './memory'
export { RedisMemory, redisUrlForLogs } from './redis-memory'

export interface RelayOptions {
  source: DestinationSource
  /** The destination's settings, secrets included. */
  settings: JSONObject
  subscriptions: SubscriptionConfig[]
  batch: BatchLimits
  concurrency: number
  deadlineMs: number
  /** How long an event waits for others to fill a batch (see `Relay`); 0 sends at once. */
  lingerMs: number
  credentials: RelayCredentials
  listen: { port: number; host: string }
  limits?: BodyLimits
  memory?: DeliveryMemory
  /** Where rejected events are appended as dead letters, if anywhere. */
  deadLetterPath?: string
  log: Log
}

export interface RunningRelay {
  url: string
  relay: Relay
  /** Drains and stops: see `RunningRelayServer.close`. */
  close(graceMs?: number): Promise<void>
}

const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host)

/**
 * Checks the instance (a ConfigError names every problem), authenticates (refused credentials: RunFailure), and
 * listens. Without keys or a signing secret it listens on loopback only: anyone who can reach it could send.
 */
export async function startRelay(options: RelayOptions): Promise<RunningRelay> {
  const { credentials, listen, log } = options
  if (!hasCredentials(credentials) && !isLoopback(listen.host)) {
    throw new ConfigError(
      `Refusing to listen on ${listen.host} without credentials: set LISTRAK_RELAY_KEYS or LISTRAK_RELAY_SIGNING_SECRET, or listen on 127.0.0.1.`
    )
  }
  const instance = new DestinationInstance(options)
  const running = await instance.start()
  const memory = options.memory ?? new InProcessMemory()
  const deadLetters =
    options.deadLetterPath === undefined
      ? undefined
      : new RelayDeadLetters(options.deadLetterPath, (error) =>
          log({ level: 'error', error: `cannot write the dead-letter file: ${error.message}` })
        )
  const metrics = new RelayMetrics()
  const relay = new Relay({
    instance,
    running,
    memory,
    concurrency: options.concurrency,
    batch: options.batch,
    deadlineMs: options.deadlineMs,
    lingerMs: options.lingerMs,
    observer: metrics,
    onRejected: (rejection) => {
      // The reason stays out of the log: a destination's reason may quote the value it refused (an email address).
      const { requestId, index, subscription, code } = rejection
      log({ level: 'warn', requestId, event: index, subscription, rejected: code })
      deadLetters?.write(rejection)
    }
  })
  let server
  try {
    server = await startRelayServer(
      {
        relay,
        credentials,
        limits: options.limits ?? DEFAULT_BODY_LIMITS,
        log,
        metrics,
        ready: () => memory.ready()
      },
      listen
    )
  } catch (error) {
    await running.close()
    throw error
  }
  const listening = server
  return {
    url: listening.url,
    relay,
    async close(graceMs = 15_000) {
      const started = Date.now()
      await listening.close(graceMs)
      // Batches still on their way (answered 503 at their deadline) end before the memory closes, so that what
      // they delivered is remembered.
      await relay.idle(Math.max(0, graceMs - (Date.now() - started)))
      await running.close()
      await deadLetters?.close()
      await memory.close()
    }
  }
}
