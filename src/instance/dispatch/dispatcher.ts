import type { BatchResult, Sendable } from '../executors/executor'
import type { Outcome } from '../outcome'
import { RunFailure } from '../preflight'
import type { Route } from '../routes'
import type { AdaptiveLimiter } from './limiter'
import { backoffDelay } from './retry'
import type { RetryPolicy } from './retry'

/** An event on its way to one subscription. */
export interface Item extends Sendable {
  attempts: number
  lastError?: { status: number; reason: string }
}

/** Where the dispatcher reports each event's end: the backfill's ledger, a relay request's answer. */
export interface Settlement<T extends Item> {
  accepted(item: T, route: Route, warnings: string[]): void
  filtered(item: T, route: Route): void
  /** Refused for good, by the mapping or the destination. */
  rejected(item: T, route: Route, status: number, reason: string): void
  /** Still failing in a way a retry may cure after `attempts` sends: the retry budget ran out. */
  gaveUp(item: T, route: Route, status: number, reason: string, attempts: number): void
}

export interface DispatchStats {
  /** Batches handed to the destination, retries and halves included. */
  batches: number
  /** Of those, batches of events sent again after a retryable answer. */
  retriedBatches: number
  /** Events sent again after a retryable answer. */
  retriedEvents: number
  /** Batches rejected whole and sent again as two halves. */
  splits: number
  /** HTTP requests the destination made (token requests included), and how many were answered 429. */
  requests: number
  throttled: number
}

export interface DispatcherOptions<T extends Item> {
  limiter: AdaptiveLimiter
  retry: RetryPolicy
  settlement: Settlement<T>
  send(route: Route, items: T[]): Promise<BatchResult>
  /** After each batch's outcomes were settled, before its slot takes the next batch (a backfill's checkpoint). */
  settled?(): Promise<void>
  /**
   * The destination refused the run itself (credentials refused after a fresh token, an unknown resource), or a
   * whole batch still fails the same way after the retry budget: `items` are unsettled. Called before the slot
   * goes to the next batch, so that a caller that stops sends nothing more.
   */
  onFailure(error: unknown, route: Route, items: T[]): void
}

/**
 * Sends batches with bounded, adaptive concurrency, and settles each event in the ledger: accepted,
 * rejected, or filtered by the destination; events with a retryable answer go again after a backoff,
 * up to the retry budget; a batch refused whole (one answer for every event, naming none) is halved
 * until the events at fault stand alone.
 */
export class Dispatcher<T extends Item> {
  readonly stats: DispatchStats = {
    batches: 0,
    retriedBatches: 0,
    retriedEvents: 0,
    splits: 0,
    requests: 0,
    throttled: 0
  }
  /** Items whose end was settled: what a failure of the batch leaves out. */
  private readonly finished = new WeakSet<T>()
  private work = 0
  private stopped = false
  private readonly waiters: (() => void)[] = []
  private readonly timers = new Set<NodeJS.Timeout>()

  constructor(private readonly options: DispatcherOptions<T>) {}

  /** Batches sending, waiting for a slot, or waiting to be retried. */
  get busy(): number {
    return this.work
  }

  dispatch(route: Route, items: T[]): void {
    this.work++
    // The slot is held until the batch's outcomes are settled (a backfill: checkpointed), so that the events sent
    // and not settled are never more than those of the requests in flight.
    void this.options.limiter
      .run(async () => {
        try {
          await this.send(route, items)
          await this.options.settled?.()
        } catch (error) {
          this.options.onFailure(
            error,
            route,
            items.filter((item) => !this.finished.has(item))
          )
        }
      })
      .finally(() => this.completed())
  }

  /** Resolves when some batch completes. */
  nextCompletion(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  async idle(): Promise<void> {
    while (this.work > 0) await this.nextCompletion()
  }

  /** Sends nothing more: batches waiting for a slot return unsent, retries are dropped (their events stay unfinished). */
  stop(): void {
    if (this.stopped) return
    this.stopped = true
    this.options.limiter.stop()
    for (const timer of this.timers) {
      clearTimeout(timer)
      this.completed()
    }
    this.timers.clear()
  }

  private async send(route: Route, items: T[]): Promise<void> {
    if (this.stopped) return
    const { settlement } = this.options
    this.stats.batches++
    const { outcomes, statuses } = await this.options.send(route, items)
    for (const [status, count] of Object.entries(statuses)) {
      this.stats.requests += count
      if (status === '429') this.stats.throttled += count
    }
    const retry: T[] = []
    const failed: { item: T; outcome: Extract<Outcome, { kind: 'failed' }> }[] = []
    let throttled = false
    items.forEach((item, index) => {
      const outcome = outcomes[index]
      switch (outcome.kind) {
        case 'accepted':
          this.finished.add(item)
          return settlement.accepted(item, route, outcome.warnings)
        case 'filtered':
          this.finished.add(item)
          return settlement.filtered(item, route)
        case 'retry':
          throttled ||= outcome.status === 429
          item.lastError = { status: outcome.status, reason: outcome.reason }
          return retry.push(item)
        case 'failed':
          return failed.push({ item, outcome })
      }
    })
    if (throttled) this.options.limiter.throttled()
    else this.options.limiter.succeeded()

    const whole = failed.length === items.length && refusedWhole(failed.map((f) => f.outcome))
    if (whole && RUN_FAILURES.has(failed[0].outcome.status)) {
      // Not the events' fault (credentials refused after a fresh token, an unknown event configuration, a
      // wrong API path): the run stops, and the events stay unfinished for a resume.
      throw new RunFailure(
        `subscription "${route.name}": ${failed[0].outcome.reason}. The run stopped; nothing was dead-lettered for it.`
      )
    }
    if (whole && items.length > 1) {
      this.stats.splits++
      const half = Math.ceil(items.length / 2)
      this.dispatch(route, items.slice(0, half))
      this.dispatch(route, items.slice(half))
    } else {
      for (const { item, outcome } of failed) {
        this.finished.add(item)
        settlement.rejected(item, route, outcome.status, outcome.reason)
      }
    }
    this.scheduleRetries(route, retry)
  }

  private scheduleRetries(route: Route, items: T[]): void {
    const { retry, settlement } = this.options
    const again: T[] = []
    for (const item of items) item.attempts++
    const exhausted = items.filter((item) => item.attempts >= retry.maxAttempts)
    if (exhausted.length > 0 && exhausted.length === items.length && sameError(items)) {
      // The whole batch still fails the same way after every attempt: the API is down or unreachable, which
      // is not the events' fault. The run stops; a resume sends them.
      const { status, reason } = items[0].lastError ?? { status: 503, reason: 'unknown error' }
      throw new RunFailure(
        `subscription "${route.name}": still failing after ${retry.maxAttempts} attempts (${status}: ${reason}). The run stopped; nothing was dead-lettered for it.`
      )
    }
    for (const item of items) {
      if (item.attempts >= retry.maxAttempts) {
        const { status, reason } = item.lastError ?? { status: 500, reason: 'unknown error' }
        this.finished.add(item)
        settlement.gaveUp(item, route, status, reason, item.attempts)
      } else again.push(item)
    }
    if (again.length === 0 || this.stopped) return
    this.stats.retriedEvents += again.length
    this.stats.retriedBatches++
    const attempt = Math.max(...again.map((item) => item.attempts))
    this.work++
    const timer = setTimeout(
      () => {
        this.timers.delete(timer)
        if (!this.stopped) this.dispatch(route, again)
        this.completed()
      },
      backoffDelay(attempt, retry.baseDelayMs, retry.maxDelayMs)
    )
    this.timers.add(timer)
  }

  private completed(): void {
    this.work--
    for (const wake of this.waiters.splice(0)) wake()
  }
}

/** Whole-request answers that say the run itself is wrong: refused credentials, a forbidden or unknown resource. */
const RUN_FAILURES = new Set([401, 403, 404])

const sameError = (items: readonly Item[]): boolean =>
  items.every(
    (item) =>
      item.lastError?.status === items[0].lastError?.status && item.lastError?.reason === items[0].lastError?.reason
  )

/** One answer for the whole request that names no event: the same status and reason for each, from the destination. */
function refusedWhole(outcomes: Extract<Outcome, { kind: 'failed' }>[]): boolean {
  const [first] = outcomes
  return (
    first.reporter === 'DESTINATION' &&
    outcomes.every((outcome) => outcome.status === first.status && outcome.reason === first.reason)
  )
}
