import { createHash } from 'node:crypto'
import type { SegmentEvent } from '@segment/actions-core'
import { AdaptiveLimiter, Batcher, Dispatcher } from '../instance'
import type {
  BatchResult,
  DestinationInstance,
  DispatchStats,
  Item,
  RetryPolicy,
  Route,
  RunningInstance,
  Settlement
} from '../instance'
import type { BodyEvent } from './body'
import type { DeliveryMemory } from './memory'

/** What became of one event for one subscription (or, `unmatched`, for none). */
export type EventResult = {
  /** The event's place in the request. */
  index: number
  messageId?: string
} & (
  | { status: 'unmatched' }
  | { status: 'delivered'; subscription: string; warnings?: string[] }
  /** Delivered by an earlier request (the CDP's retry), or earlier in this one: not sent again. */
  | { status: 'repeat'; subscription: string }
  /** actions-core's filter did not take it. */
  | { status: 'filtered'; subscription: string }
  /** Refused for good: a retry would fail the same way. */
  | { status: 'rejected'; subscription: string; code: number; reason: string }
  /** Not a Segment-spec event: sent nowhere, and refused for good. */
  | { status: 'invalid'; code: 400; reason: string }
  /** Not delivered, in a way a retry may cure: the request is answered 503 (429 when Listrak throttled). */
  | { status: 'retry'; subscription: string; code: number; reason: string }
)

export interface RelayAnswer {
  status: 200 | 429 | 503
  results: EventResult[]
}

/** A rejected event, for the log and the dead-letter file. */
export interface Rejection {
  requestId: string
  /** The event, or the element of the request that is none. */
  event: unknown
  index: number
  /** null for an element that is no event. */
  subscription: string | null
  code: number
  reason: string
}

export interface RelayOptions {
  instance: DestinationInstance
  running: RunningInstance
  memory: DeliveryMemory
  /** Requests to the destination at once, across all requests to the relay. */
  concurrency: number
  batch: { size: number; bytes: number }
  /** How long a request waits for its events; what is not finished by then is answered with a retry. */
  deadlineMs: number
  /**
   * How long an event waits for others of the same subscription (and batch key), from any request, to fill a
   * batch: a CDP posting one event a request then does not cost one Listrak request an event. 0 sends at once.
   */
  lingerMs: number
  onRejected?: (rejection: Rejection) => void
  /** Each event's end for each subscription, and each batch the destination was sent: for metrics. */
  observer?: RelayObserver
}

export interface RelayObserver {
  result(result: EventResult): void
  batch(route: Route, result: BatchResult | undefined, seconds: number): void
}

/**
 * Retries inside a request are few and quick: the CDP's own retries, for hours, are the relay's queue, and a
 * request must be answered within the deadline.
 */
const RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 1000 }

interface RelayItem extends Item {
  requestId: string
  index: number
  messageId?: string
  route: Route
  /** The memory's key: the subscription and the messageId. */
  key: string
  bytes: number
  settle(result: EventResult): void
}

/** An event for one subscription, before its claim. */
type Wanted = Pick<RelayItem, 'index' | 'messageId' | 'event' | 'bytes' | 'route' | 'key'>
type About = { index: number; messageId?: string; subscription: string }

/** The messageId the memory knows an event by: its own, or one derived from its content (the same for a retry). */
export function memoryIdOf(event: SegmentEvent): string {
  if (typeof event.messageId === 'string' && event.messageId.length > 0) return event.messageId
  return `content:${createHash('sha256').update(JSON.stringify(event)).digest('base64url')}`
}

const messageIdOf = (event: SegmentEvent): string | undefined =>
  typeof event.messageId === 'string' && event.messageId.length > 0 ? event.messageId : undefined

/**
 * Sends the events of a request through the destination instance, every event to every subscription whose
 * trigger it matches, and says what became of each: the same `Destination.onBatch` path as a backfill, with
 * one dispatcher (bounded, adaptive concurrency, retries, splits) for all requests.
 */
export class Relay {
  private readonly dispatcher: Dispatcher<RelayItem>
  /** One for all requests: events of concurrent requests for one subscription travel together. */
  private readonly batcher: Batcher<RelayItem>
  private flushTimer: NodeJS.Timeout | undefined

  constructor(private readonly options: RelayOptions) {
    const { running, memory, onRejected, observer } = options
    this.batcher = new Batcher(options.batch, (item) => `${item.route.index}:${item.route.batchKeyOf(item.event)}`)
    const end = (item: RelayItem, result: EventResult) => {
      const remembered = result.status === 'delivered' ? memory.delivered(item.key) : memory.release(item.key)
      // A memory that cannot be written forgets a delivery: a retry may then send the event again.
      void remembered.catch(() => undefined)
      observer?.result(result)
      item.settle(result)
    }
    const about = (item: RelayItem, route: Route) => ({
      index: item.index,
      messageId: item.messageId,
      subscription: route.name
    })
    const settlement: Settlement<RelayItem> = {
      accepted: (item, route, warnings) =>
        end(item, { ...about(item, route), status: 'delivered', ...(warnings.length > 0 ? { warnings } : {}) }),
      filtered: (item, route) => end(item, { ...about(item, route), status: 'filtered' }),
      rejected: (item, route, code, reason) => {
        const { requestId, event, index } = item
        onRejected?.({ requestId, event, index, subscription: route.name, code, reason })
        end(item, { ...about(item, route), status: 'rejected', code, reason })
      },
      gaveUp: (item, route, code, reason) => end(item, { ...about(item, route), status: 'retry', code, reason })
    }
    this.dispatcher = new Dispatcher<RelayItem>({
      limiter: new AdaptiveLimiter(options.concurrency),
      retry: RETRY,
      settlement,
      send: async (route, items) => {
        const started = performance.now()
        let result: BatchResult | undefined
        try {
          return (result = await running.send(route, items))
        } finally {
          observer?.batch(route, result, (performance.now() - started) / 1000)
        }
      },
      // The destination refused the whole batch in a way that is not the events' fault (credentials, a resource
      // it cannot find, still failing after the retries): the CDP keeps the events and tries again later.
      onFailure: (error, route, items) => {
        const reason = (error as Error).message
        for (const item of items) end(item, { ...about(item, route), status: 'retry', code: 503, reason })
      }
    })
  }

  /** Batches and HTTP requests sent to the destination so far. */
  get stats(): Readonly<DispatchStats> {
    return this.dispatcher.stats
  }

  /** Sends what waits in the batcher; with `olderThanMs`, only batches that waited that long. */
  flush(olderThanMs = 0): void {
    clearTimeout(this.flushTimer)
    this.flushTimer = undefined
    for (const items of this.batcher.drain(olderThanMs)) this.dispatcher.dispatch(items[0].route, items)
    if (this.batcher.open > 0) this.scheduleFlush()
  }

  private scheduleFlush(): void {
    const { lingerMs } = this.options
    this.flushTimer ??= setTimeout(() => this.flush(lingerMs), lingerMs)
  }

  /** Resolves once every batch sent (or retrying) has ended, or after `timeoutMs`: for a shutdown. */
  async idle(timeoutMs: number): Promise<void> {
    this.flush()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      this.dispatcher.idle(),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))
    ])
    clearTimeout(timer)
  }

  async handle(elements: BodyEvent[], requestId: string): Promise<RelayAnswer> {
    const { memory, deadlineMs, lingerMs, observer, onRejected } = this.options
    const results: EventResult[] = []
    const observed = (result: EventResult): EventResult => {
      observer?.result(result)
      return result
    }
    const events: Extract<BodyEvent, { event: unknown }>[] = []
    for (const element of elements) {
      if ('event' in element) events.push(element)
      else {
        const { index, problem, raw } = element
        onRejected?.({ requestId, event: raw, index, subscription: null, code: 400, reason: problem })
        results.push(observed({ index, status: 'invalid', code: 400, reason: problem }))
      }
    }
    const wanted = this.route(events, (result) => results.push(observed(result)))
    const claims = await Promise.all(wanted.map(({ key }) => memory.claim(key).catch((error: Error) => error)))
    const sending: { about: About; result: Promise<EventResult> }[] = []
    wanted.forEach((want, position) => {
      const claim = claims[position]
      const about = { index: want.index, messageId: want.messageId, subscription: want.route.name }
      if (claim instanceof Error) {
        const reason = `the memory of delivered events cannot be reached (${claim.message})`
        return results.push(observed({ ...about, status: 'retry', code: 503, reason }))
      }
      if (claim === 'delivered') return results.push(observed({ ...about, status: 'repeat' }))
      if (claim === 'in-flight') {
        const reason = 'another request is sending this event'
        return results.push(observed({ ...about, status: 'retry', code: 409, reason }))
      }
      sending.push({ about, result: new Promise((settle) => this.add({ ...want, requestId, settle })) })
    })
    if (lingerMs === 0) this.flush()
    else if (this.batcher.open > 0) this.scheduleFlush()

    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), deadlineMs)
    })
    const settled = await Promise.all(sending.map(({ result }) => Promise.race([result, deadline])))
    clearTimeout(timer)
    settled.forEach((result, position) => {
      // Still on its way when the deadline passed: it may yet be delivered, and then the memory knows it.
      const reason = `not finished within the deadline (${deadlineMs} ms)`
      results.push(result ?? { ...sending[position].about, status: 'retry', code: 504, reason })
    })
    results.sort((a, b) => a.index - b.index)
    const retry = results.filter((result) => result.status === 'retry')
    const status = retry.length === 0 ? 200 : retry.some((result) => result.code === 429) ? 429 : 503
    return { status, results }
  }

  /**
   * Each event for each subscription whose trigger it matches, with the memory's key; what needs no sending
   * (no subscription matched, the same event earlier in the request) is reported at once.
   */
  private route(events: Extract<BodyEvent, { event: unknown }>[], report: (result: EventResult) => void): Wanted[] {
    const wanted: Wanted[] = []
    const keys = new Set<string>()
    for (const { index, event, bytes } of events) {
      const messageId = messageIdOf(event)
      const routes = this.options.instance.routesOf(event)
      if (routes.length === 0) report({ index, messageId, status: 'unmatched' })
      const memoryId = routes.length > 0 ? memoryIdOf(event) : ''
      for (const route of routes) {
        const key = `${route.name}\u0000${memoryId}`
        if (keys.has(key)) report({ index, messageId, status: 'repeat', subscription: route.name })
        else wanted.push({ index, messageId, event, bytes, route, key })
        keys.add(key)
      }
    }
    return wanted
  }

  /** Into the batcher shared by all requests; a batch it fills goes at once. */
  private add(claimed: Wanted & Pick<RelayItem, 'requestId' | 'settle'>): void {
    const item: RelayItem = { ...claimed, attempts: 0 }
    const full = this.batcher.add(item)
    if (full) this.dispatcher.dispatch(item.route, full)
  }
}
