import { stat } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { isDirective, transform } from '@segment/actions-core'
import type { Destination, JSONObject, SegmentEvent, Subscription } from '@segment/actions-core'
import { parseFql, validate } from '@segment/destination-subscriptions'
import { Batcher } from './batcher'
import type { BatchLimits } from './batcher'
import { CheckpointWriter, readCheckpoint } from './checkpoint'
import { compileMapping } from './compiled-mapping'
import type { CompiledMapping } from './compiled-mapping'
import type { Checkpoint, FinishedCounts } from './checkpoint'
import { DeadLetterWriter } from './dead-letters'
import { MessageIdWindow } from './dedup'
import { AdaptiveLimiter, backoffDelay } from './limiter'
import { readLines } from './lines'
import type { InputSpec, Line } from './lines'
import { PositionTracker } from './positions'
import type { Position } from './positions'
import { parseLine } from './records'
import type { DeadLetterInfo } from './records'

export interface RetryPolicy {
  /** Sends of one event at the most, the first included. */
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
}

export interface BackfillOptions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any destination of the registry
  destination: Destination<any>
  /** The destination's settings, secrets included; the subscription and token state are added here. */
  settings: JSONObject
  subscription: Subscription & { mapping: JSONObject }
  inputs: string[]
  batch: BatchLimits
  concurrency: number
  retry: RetryPolicy
  deadLetterPath: string
  checkpointPath?: string
  maxLineBytes?: number
  stdin?: Readable
  signal?: AbortSignal
}

export interface BackfillCounts extends FinishedCounts {
  /** Events read: every non-blank line, whether or not it parsed. */
  read: number
  /** Events read and not finished when the run stopped (0 when it completed): a resume sends them. */
  unfinished: number
}

export interface BackfillReport {
  inputs: string[]
  outcome: 'completed' | 'aborted' | 'already-complete'
  abortReason?: string
  counts: BackfillCounts
  resume?: { afterLine: Position | null; alreadyFinished: number; inFlightAtCrash: number }
  requests: number
  throttled: number
  retries: number
  splits: number
  deadLetterFile: string
  durationMs: number
  eventsPerSecond: number
}

export interface BackfillProgress {
  bytesRead: number
  totalBytes: number | undefined
  counts: BackfillCounts
  elapsedMs: number
}

interface Item {
  ticket: number
  /** The line the event came from; its text is kept, not the parsed event, to keep memory small. */
  line: Line & { text: string }
  /** What `onBatch` gets: the parsed event, or with a compiled mapping a carrier of its payload. */
  input: SegmentEvent
  bytes: number
  attempts: number
  lastError?: { status: number; reason: string }
}

type Result = { status: number; errormessage?: string; errorreporter?: string }

const DEFAULT_MAX_LINE_BYTES = 1 << 20
/** A partial batch waits at most this long for more events (a slow stdin, a rare batch key). */
const LINGER_MS = 1000
/** Where the carrier handed to onBatch holds the compiled payload. */
const PAYLOAD_KEY = '__backfillPayload'
/** The subscription onBatch gets for carriers: the runner has applied the real one already. */
const ALREADY_FILTERED = 'type != "already-filtered-by-the-backfill-runner"'
const isSuccess = (status: number) => status >= 200 && status < 300
const isRetryable = (status: number) => status === 401 || status === 408 || status === 429 || status >= 500

/** An error of the whole run (credentials refused, bad settings): stop, keep the checkpoint. */
export class BackfillAbort extends Error {
  override readonly name = 'BackfillAbort'
}

/**
 * Streams NDJSON exports through a destination's `onBatch`, as a CDP would: the subscription
 * filter, batching by the action's batch keys, bounded adaptive concurrency, retries with backoff,
 * splitting of batches rejected whole, dead letters and checkpoints. It knows actions-core, not
 * Listrak: any destination of the registry can be driven.
 */
export class Backfill {
  private readonly counts: Omit<BackfillCounts, 'unfinished'> = {
    read: 0,
    accepted: 0,
    rejected: 0,
    filtered: 0,
    duplicates: 0,
    blankLines: 0
  }
  private readonly limiter: AdaptiveLimiter
  private readonly deadLetters: DeadLetterWriter
  private readonly dedup = new MessageIdWindow()
  private readonly subscription: ReturnType<typeof parseFql>
  private readonly settings: JSONObject
  private readonly batcher: Batcher<Item>
  private readonly compiled: CompiledMapping | undefined
  private tracker = new PositionTracker()
  private checkpoints: CheckpointWriter | undefined
  private abortReason: string | undefined
  private work = 0
  private readonly waiters: (() => void)[] = []
  private readonly timers = new Set<NodeJS.Timeout>()
  private requests = 0
  private throttledResponses = 0
  private retries = 0
  private splits = 0
  private bytesRead = 0
  private totalBytes: number | undefined
  private startedAt = Date.now()
  private complete = false

  constructor(private readonly options: BackfillOptions) {
    this.limiter = new AdaptiveLimiter(options.concurrency)
    this.deadLetters = new DeadLetterWriter(options.deadLetterPath)
    const subscription = parseFql(options.subscription.subscribe) as ReturnType<typeof parseFql> & { error?: Error }
    if (subscription.error) {
      throw new BackfillAbort(
        `The subscription "${options.subscription.subscribe}" does not parse: ${subscription.error.message}`
      )
    }
    this.subscription = subscription
    const action = options.destination.definition.actions[options.subscription.partnerAction]
    if (!action) throw new BackfillAbort(`The destination has no action "${options.subscription.partnerAction}".`)
    const mapping: JSONObject = { ...options.subscription.mapping }
    // The runner's batch limits are the action's too, so that its request bodies agree with them.
    if ('batch_size' in action.fields) mapping.batch_size = options.batch.size
    if ('batch_bytes' in action.fields) mapping.batch_bytes = options.batch.bytes
    try {
      // A directive of the wrong shape fails on any event: say so now, not once per batch.
      this.compiled = compileMapping(mapping)
    } catch (error) {
      throw new BackfillAbort(`subscription.mapping: ${(error as Error).message}`)
    }
    const keys = mapping.batch_keys ?? action.fields.batch_keys?.default ?? []
    this.batcher = new Batcher<Item>(options.batch, batchKeyOf(mapping, Array.isArray(keys) ? keys.map(String) : []))
    // With a compiled mapping the runner filters and maps each event itself (with the same
    // subscription library and a mapping proven identical to mapping-kit's) and hands onBatch a
    // carrier of the resolved payload, which actions-core's mapping picks up: transformBatch then
    // only makes its final copy. The parsed event is not kept while its batch is in flight.
    const actionSubscription = this.compiled
      ? { ...options.subscription, subscribe: ALREADY_FILTERED, mapping: { '@path': `$.${PAYLOAD_KEY}` } }
      : { ...options.subscription, mapping }
    this.settings = { ...options.settings, oauth: {}, subscription: actionSubscription }
  }

  progress(): BackfillProgress {
    return {
      bytesRead: this.bytesRead,
      totalBytes: this.totalBytes,
      counts: { ...this.counts, unfinished: this.tracker.pending },
      elapsedMs: Date.now() - this.startedAt
    }
  }

  async run(): Promise<BackfillReport> {
    this.startedAt = Date.now()
    const { options } = this
    const checkpoint = options.checkpointPath ? await readCheckpoint(options.checkpointPath) : undefined
    if (checkpoint && JSON.stringify(checkpoint.inputs) !== JSON.stringify(options.inputs)) {
      throw new BackfillAbort(
        `The checkpoint ${options.checkpointPath} belongs to a run of ${JSON.stringify(checkpoint.inputs)}, not ${JSON.stringify(options.inputs)}. Use another --checkpoint file, or the same inputs.`
      )
    }
    if (checkpoint?.complete) return this.report('already-complete', checkpoint)
    if (checkpoint) Object.assign(this.counts, checkpoint.counts, { read: readOf(checkpoint.counts) })
    this.tracker = new PositionTracker(checkpoint?.position ?? undefined)
    if (options.checkpointPath) this.checkpoints = new CheckpointWriter(options.checkpointPath, () => this.checkpoint())
    this.totalBytes = await totalSize(options.inputs)

    const onAbort = () => this.abort('interrupted')
    options.signal?.addEventListener('abort', onAbort)
    const linger = setInterval(() => this.drainBatches(LINGER_MS), 250)
    try {
      await this.authenticate()
      const finishedAfter = new Set((checkpoint?.finishedAfter ?? []).map(([input, line]) => `${input}:${line}`))
      const window = (options.concurrency + 1) * options.batch.size
      for await (const lines of readLines(inputSpecs(options.inputs, checkpoint), {
        maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
        stdin: options.stdin,
        onBytes: (bytes) => (this.bytesRead += bytes)
      })) {
        if (this.abortReason) break
        for (const line of lines) {
          // Finished before the crash: tracked (so the next checkpoint still lists it) but not taken again.
          if (finishedAfter.has(`${line.input}:${line.line}`)) this.tracker.finish(this.tracker.read(line))
          else this.take(line)
        }
        while (this.tracker.pending > window && !this.abortReason) {
          if (this.work === 0) this.drainBatches(0)
          await this.nextCompletion()
        }
      }
      if (!this.abortReason) this.drainBatches(0)
      while (this.work > 0) await this.nextCompletion()
    } catch (error) {
      this.abort(error instanceof Error ? error.message : String(error))
      while (this.work > 0) await this.nextCompletion()
    } finally {
      clearInterval(linger)
      options.signal?.removeEventListener('abort', onAbort)
    }
    const outcome = this.abortReason ? 'aborted' : 'completed'
    this.complete = outcome === 'completed'
    await this.checkpoints?.flush()
    await this.deadLetters.close()
    return this.report(outcome, checkpoint)
  }

  /** Gets a token before reading, so refused credentials stop the run at once and batches do not all start with a 401. */
  private async authenticate(): Promise<void> {
    const { destination } = this.options
    if (destination.authentication?.scheme !== 'oauth2') return
    const { subscription: _subscription, oauth: _oauth, ...settings } = this.settings
    try {
      const tokens = await destination.refreshAccessToken(settings, {
        clientId: '',
        clientSecret: '',
        accessToken: '',
        refreshToken: ''
      })
      if (tokens?.accessToken) this.settings.oauth = { access_token: tokens.accessToken }
    } catch (error) {
      throw new BackfillAbort(`Authentication failed: ${(error as Error).message}`)
    }
  }

  private take(line: Line): void {
    const ticket = this.tracker.read(line)
    const file = this.options.inputs[line.input]
    if (line.text === undefined) {
      this.counts.read++
      this.reject(ticket, line, { raw: line.preview ?? '' }, null, `line ${line.line} of ${file}: ${line.problem}`)
      return
    }
    const parsed = parseLine(line.text)
    if (parsed.kind === 'blank') {
      this.counts.blankLines++
      this.tracker.finish(ticket)
      return
    }
    this.counts.read++
    if (parsed.kind === 'malformed') {
      this.reject(ticket, line, { raw: parsed.raw }, null, `line ${line.line} of ${file}: ${parsed.reason}`)
      return
    }
    const { event } = parsed
    if (!validate(this.subscription, event)) {
      this.counts.filtered++
      this.tracker.finish(ticket)
      return
    }
    if (typeof event.messageId === 'string' && this.dedup.seen(event.messageId)) {
      this.counts.duplicates++
      this.tracker.finish(ticket)
      return
    }
    const input = this.compiled
      ? ({ [PAYLOAD_KEY]: this.compiled(event as unknown as JSONObject) } as unknown as SegmentEvent)
      : event
    const batch = this.batcher.add({ ticket, line: line as Item['line'], input, bytes: line.text.length, attempts: 0 })
    if (batch) this.dispatch(batch)
  }

  /** The event as read, for a dead letter. */
  private eventOf(item: Item): SegmentEvent {
    if (!this.compiled) return item.input
    const parsed = parseLine(item.line.text)
    return parsed.kind === 'event' ? parsed.event : item.input
  }

  private drainBatches(olderThanMs: number): void {
    if (this.abortReason) return
    for (const batch of this.batcher.drain(olderThanMs)) this.dispatch(batch)
  }

  private dispatch(items: Item[]): void {
    this.work++
    this.limiter
      .run(() => this.send(items))
      .catch((error: unknown) => this.abort((error as Error).message))
      .finally(() => this.completed())
  }

  private async send(items: Item[]): Promise<void> {
    if (this.abortReason) return
    const { destination } = this.options
    let results: Result[]
    try {
      const output = await destination.onBatch(
        items.map((item) => item.input),
        this.settings
      )
      results = output[0]?.multistatus ?? []
    } catch (error) {
      results = items.map(() => resultOfThrow(error, destination.name))
    } finally {
      this.countResponses()
    }

    const retry: Item[] = []
    const failed: { item: Item; result: Result }[] = []
    items.forEach((item, index) => {
      const result = results[index] ?? {
        status: 500,
        errormessage: 'the destination returned no result for this event'
      }
      if (isSuccess(result.status)) {
        this.counts.accepted++
        this.tracker.finish(item.ticket)
      } else if (isRetryable(result.status)) {
        item.lastError = { status: result.status, reason: result.errormessage ?? `HTTP ${result.status}` }
        retry.push(item)
      } else failed.push({ item, result })
    })
    if (results.some((result) => result.status === 429)) this.limiter.throttled()
    else this.limiter.succeeded()

    if (failed.length === items.length && items.length > 1 && rejectedWhole(failed.map((f) => f.result))) {
      // One answer for the whole request that names no event: halve the batch until the bad ones stand alone.
      this.splits++
      const half = Math.ceil(items.length / 2)
      this.dispatch(items.slice(0, half))
      this.dispatch(items.slice(half))
    } else {
      for (const { item, result } of failed) {
        this.reject(
          item.ticket,
          item.line,
          { event: this.eventOf(item) },
          result.status,
          result.errormessage ?? `HTTP ${result.status}`
        )
      }
    }
    this.scheduleRetries(retry)
    void this.checkpoints
      ?.request()
      .catch((error: unknown) => this.abort(`Cannot write the checkpoint: ${(error as Error).message}`))
  }

  private scheduleRetries(items: Item[]): void {
    const { retry } = this.options
    const again: Item[] = []
    for (const item of items) {
      item.attempts++
      if (item.attempts >= retry.maxAttempts) {
        const { status, reason } = item.lastError ?? { status: 500, reason: 'unknown error' }
        this.reject(
          item.ticket,
          item.line,
          { event: this.eventOf(item) },
          status,
          `${reason} (gave up after ${item.attempts} attempts)`
        )
      } else again.push(item)
    }
    if (again.length === 0) return
    this.retries += again.length
    const attempt = Math.max(...again.map((item) => item.attempts))
    this.work++
    const timer = setTimeout(
      () => {
        this.timers.delete(timer)
        if (!this.abortReason) this.dispatch(again)
        this.completed()
      },
      backoffDelay(attempt, retry.baseDelayMs, retry.maxDelayMs)
    )
    this.timers.add(timer)
  }

  private reject(
    ticket: number,
    position: Position,
    content: { event: SegmentEvent } | { raw: string },
    status: number | null,
    reason: string
  ): void {
    const deadLetter: DeadLetterInfo = {
      file: this.options.inputs[position.input],
      line: position.line,
      status,
      reason,
      at: new Date().toISOString()
    }
    this.deadLetters.write({ ...content, deadLetter })
    this.counts.rejected++
    this.tracker.finish(ticket)
  }

  private countResponses(): void {
    const { responses } = this.options.destination
    this.requests += responses.length
    for (const response of responses) if (response.status === 429) this.throttledResponses++
    // actions-core keeps every response for tests; a long run must not.
    responses.length = 0
  }

  private abort(reason: string): void {
    if (this.abortReason) return
    this.abortReason = reason
    // Batches waiting for a slot or the pace would only return unsent: let them go at once.
    this.limiter.stop()
    for (const timer of this.timers) {
      clearTimeout(timer)
      this.completed()
    }
    this.timers.clear()
  }

  private completed(): void {
    this.work--
    for (const wake of this.waiters.splice(0)) wake()
  }

  private nextCompletion(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  private async checkpoint(): Promise<Checkpoint> {
    await this.deadLetters.flush()
    const { watermark, finishedAfter, inFlight } = this.tracker.snapshot()
    // Counts cover finished lines only, as the position does: events in flight are counted by whoever finishes them.
    const { read: _read, ...counts } = this.counts
    return {
      version: 1,
      inputs: this.options.inputs,
      position: watermark ?? null,
      finishedAfter,
      inFlight,
      counts,
      complete: this.complete,
      updatedAt: new Date().toISOString()
    }
  }

  private report(outcome: BackfillReport['outcome'], checkpoint: Checkpoint | undefined): BackfillReport {
    const durationMs = Date.now() - this.startedAt
    const counts: BackfillCounts =
      outcome === 'already-complete' && checkpoint
        ? { ...checkpoint.counts, read: readOf(checkpoint.counts), unfinished: 0 }
        : { ...this.counts, unfinished: this.tracker.pending }
    return {
      inputs: this.options.inputs,
      outcome,
      abortReason: this.abortReason,
      counts,
      resume: checkpoint
        ? {
            afterLine: checkpoint.position,
            alreadyFinished: readOf(checkpoint.counts),
            inFlightAtCrash: checkpoint.inFlight
          }
        : undefined,
      requests: this.requests,
      throttled: this.throttledResponses,
      retries: this.retries,
      splits: this.splits,
      deadLetterFile: this.deadLetters.path,
      durationMs,
      eventsPerSecond:
        durationMs > 0
          ? Math.round(((counts.read - (checkpoint ? readOf(checkpoint.counts) : 0)) * 1000) / durationMs)
          : 0
    }
  }
}

const readOf = (counts: FinishedCounts): number =>
  counts.accepted + counts.rejected + counts.filtered + counts.duplicates

/**
 * The batch key of an event: the values of the action's batch keys in its payload. A key whose
 * mapping is a literal is the same for every event and is not evaluated.
 */
function batchKeyOf(mapping: JSONObject, batchKeys: string[]): (item: Item) => string {
  const mapped = batchKeys.filter((key) => key in mapping && isDirective(mapping[key]))
  if (mapped.length === 0) return () => ''
  const keyMapping = Object.fromEntries(mapped.map((key) => [key, mapping[key]]))
  return (item) => {
    const payload = (item.input as unknown as Record<string, unknown>)[PAYLOAD_KEY] as
      Record<string, unknown> | undefined
    const values = payload
      ? mapped.map((key) => payload[key])
      : transform(keyMapping, item.input as unknown as JSONObject)
    return JSON.stringify(values)
  }
}

/**
 * A batch that threw instead of answering. Refused settings or credentials stop the run; a
 * transport failure (the token endpoint unreachable, say) is retried; anything else is the
 * mapping failing on some event, which splitting the batch will find.
 */
function resultOfThrow(error: unknown, destination: string): Result {
  const { status, message, code, name } = error as { status?: number; message?: string; code?: string; name?: string }
  if (typeof status === 'number' && status >= 400 && status < 500 && !isRetryable(status)) {
    throw new BackfillAbort(`${destination} refused the run: ${message ?? status}`)
  }
  if (typeof status === 'number' || code !== undefined || name === 'FetchError' || name === 'TimeoutError') {
    return { status: status ?? 503, errormessage: message ?? 'the batch failed' }
  }
  return { status: 400, errormessage: `The mapping failed: ${message ?? String(error)}`, errorreporter: 'DESTINATION' }
}

/** A whole-request rejection: the same non-retryable status and message for every event, from the destination's API. */
function rejectedWhole(results: Result[]): boolean {
  const [first] = results
  return (
    first.errorreporter === 'DESTINATION' &&
    results.every((result) => result.status === first.status && result.errormessage === first.errormessage)
  )
}

/** Where each input starts: inputs wholly before the checkpoint are skipped, the one it is in resumes after its line. */
function inputSpecs(inputs: string[], checkpoint: Checkpoint | undefined): InputSpec[] {
  const position = checkpoint?.position
  return inputs.map((path, index): InputSpec => {
    if (!position || index > position.input) return { path }
    if (index < position.input) return { path, skip: true }
    return { path, afterLine: position.line, afterOffset: position.end }
  })
}

/** The bytes to read, for progress; an input that cannot be read stops the run before anything is sent. */
async function totalSize(inputs: string[]): Promise<number | undefined> {
  let total = 0
  for (const path of inputs) {
    if (path === '-') continue
    try {
      total += (await stat(path)).size
    } catch (error) {
      throw new BackfillAbort(`Cannot read the input ${path}: ${(error as Error).message}`)
    }
  }
  return inputs.includes('-') ? undefined : total
}
