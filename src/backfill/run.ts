import { stat } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import type { Destination, JSONObject } from '@segment/actions-core'
import { Batcher } from './batcher'
import type { BatchLimits } from './batcher'
import { CheckpointWriter, readCheckpoint } from './checkpoint'
import type { Checkpoint } from './checkpoint'
import { ConfigError } from './config'
import type { SubscriptionConfig } from './config'
import { DeadLetterWriter } from './dead-letters'
import { MessageIdWindow } from './dedup'
import { deliver } from './deliver'
import { Dispatcher } from './dispatcher'
import type { DispatchStats, Item } from './dispatcher'
import { Ledger } from './ledger'
import type { LedgerCounts, Position } from './ledger'
import { AdaptiveLimiter } from './limiter'
import { checkAccount, checkInstance } from './preflight'
import { readRecords } from './reading'
import type { InputSpec, SourceRecord } from './reading'
import type { RetryPolicy } from './retry'
import type { Route } from './routes'

export interface BackfillOptions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any destination of the registry
  destination: Destination<any>
  /** The destination's settings, secrets included; the subscription and token state are added here. */
  settings: JSONObject
  /** The instance's subscriptions: each event goes to every one whose trigger matches. */
  subscriptions: SubscriptionConfig[]
  inputs: string[]
  batch: BatchLimits
  /** How the batch size was given, for messages: `batching.size` (default) or `--batch-size`. */
  batchSizeKey?: string
  concurrency: number
  retry: RetryPolicy
  deadLetterPath: string
  checkpointPath?: string
  maxLineBytes?: number
  stdin?: Readable
  signal?: AbortSignal
}

export interface BackfillCounts extends LedgerCounts {
  /** Events read and not finished when the run stopped (0 when it completed): a resume sends them. */
  unfinished: number
}

export interface BackfillReport {
  inputs: string[]
  outcome: 'completed' | 'aborted' | 'already-complete'
  abortReason?: string
  counts: BackfillCounts
  resume?: { after: Position | null; alreadyFinished: number; inFlightAtCrash: number }
  /** HTTP requests the destination made (token requests included), and how many were answered 429. */
  requests: number
  throttled: number
  dispatch: DispatchStats
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

const DEFAULT_MAX_LINE_BYTES = 1 << 20
/** A partial batch waits at most this long for more events (a slow stdin, a rare batch key). */
const LINGER_MS = 1000

/**
 * Runs a destination instance over exports, as a CDP would run it over live events: each event goes
 * to every subscription whose trigger matches, through `Destination.onBatch`, in batches by the
 * action's batch keys, with bounded adaptive concurrency, retries, dead letters and checkpoints. It
 * knows actions-core, not Listrak: any destination of the registry can be driven.
 */
export class Backfill {
  private readonly routes: Route[]
  private readonly deadLetters: DeadLetterWriter
  private readonly dedup = new MessageIdWindow()
  private readonly batcher: Batcher<Item & { bytes: number; route: Route }>
  private readonly settings: JSONObject
  private ledger: Ledger
  private dispatcher: Dispatcher | undefined
  private checkpoints: CheckpointWriter | undefined
  private abortReason: string | undefined
  private requests = 0
  private throttledResponses = 0
  private bytesRead = 0
  private totalBytes: number | undefined
  private startedAt = Date.now()
  private complete = false

  /** Checks the instance against the destination: a ConfigError names every problem, before anything is read. */
  constructor(private readonly options: BackfillOptions) {
    this.routes = checkInstance(options.destination, {
      settings: options.settings,
      subscriptions: options.subscriptions,
      batch: options.batch,
      batchSizeKey: options.batchSizeKey
    })
    this.settings = { ...options.settings, oauth: {} }
    this.deadLetters = new DeadLetterWriter(options.deadLetterPath)
    this.ledger = this.newLedger()
    this.batcher = new Batcher(options.batch, (item) => `${item.route.index}:${item.route.batchKeyOf(item.event)}`)
  }

  progress(): BackfillProgress {
    return {
      bytesRead: this.bytesRead,
      totalBytes: this.totalBytes,
      counts: { ...this.ledger.counts, unfinished: this.ledger.pending },
      elapsedMs: Date.now() - this.startedAt
    }
  }

  async run(): Promise<BackfillReport> {
    this.startedAt = Date.now()
    const { options } = this
    const checkpoint = options.checkpointPath ? await readCheckpoint(options.checkpointPath) : undefined
    if (checkpoint && JSON.stringify(checkpoint.inputs) !== JSON.stringify(options.inputs)) {
      throw new ConfigError(
        `The checkpoint ${options.checkpointPath} belongs to a run of ${JSON.stringify(checkpoint.inputs)}, not ${JSON.stringify(options.inputs)}. Use another --checkpoint file, or the same inputs.`
      )
    }
    if (checkpoint?.complete) return this.report('already-complete', checkpoint)
    if (checkpoint) this.ledger = this.newLedger(checkpoint)
    this.totalBytes = await totalSize(options.inputs)
    if (options.checkpointPath) this.checkpoints = new CheckpointWriter(options.checkpointPath, () => this.checkpoint())

    const onAbort = () => this.abort('interrupted')
    options.signal?.addEventListener('abort', onAbort)
    const linger = setInterval(() => this.drainBatches(LINGER_MS), 250)
    try {
      this.settings.oauth = await checkAccount(options.destination, options.settings, this.routes)
      if (!this.abortReason) await this.readAll(checkpoint)
    } catch (error) {
      this.abort(error instanceof Error ? error.message : String(error))
    } finally {
      clearInterval(linger)
      await this.dispatcher?.idle()
      options.signal?.removeEventListener('abort', onAbort)
    }
    this.complete = !this.abortReason
    await this.checkpoints?.flush()
    await this.deadLetters.close()
    return this.report(this.abortReason ? 'aborted' : 'completed', checkpoint)
  }

  private newLedger(checkpoint?: Checkpoint): Ledger {
    return new Ledger(
      this.routes.map((route) => route.name),
      this.options.inputs,
      this.deadLetters,
      checkpoint && { watermark: checkpoint.position, counts: checkpoint.counts }
    )
  }

  private async readAll(checkpoint: Checkpoint | undefined): Promise<void> {
    const { options, ledger } = this
    const dispatcher = (this.dispatcher = new Dispatcher({
      limiter: new AdaptiveLimiter(options.concurrency),
      retry: options.retry,
      ledger,
      send: (route, events) => this.send(route, events),
      onSettled: () => this.checkpointSoon(),
      onFailure: (error) => this.abort((error as Error).message)
    }))
    // Records finished (wholly or for some subscriptions) after the watermark by the run before a crash.
    const doneBefore = new Map<string, number>()
    for (const [input, seq] of checkpoint?.finishedAfter ?? []) doneBefore.set(`${input}:${seq}`, -1)
    for (const [input, seq, names] of checkpoint?.partlyFinished ?? [])
      doneBefore.set(`${input}:${seq}`, ledger.maskOf(names))
    const window = (options.concurrency + 1) * options.batch.size * Math.max(1, this.routes.length)
    for await (const records of readRecords(inputSpecs(options.inputs, checkpoint), {
      maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
      stdin: options.stdin,
      onBytes: (bytes) => (this.bytesRead += bytes)
    })) {
      if (this.abortReason) break
      for (const record of records) this.take(record, doneBefore.get(`${record.input}:${record.seq}`))
      while (ledger.pending > window && !this.abortReason) {
        if (dispatcher.busy === 0) this.drainBatches(0)
        await dispatcher.nextCompletion()
      }
    }
    this.drainBatches(0)
  }

  private take(record: SourceRecord, doneBefore: number | undefined): void {
    const { ledger } = this
    const ticket = ledger.open(record)
    const { content } = record
    // A record a crashed run finished is tracked (so later checkpoints still list it) but not counted or sent again.
    if (doneBefore === -1) return ledger.skip(ticket)
    if (content.kind === 'blank') return ledger.blank(ticket)
    if (content.kind === 'unreadable') return ledger.unreadable(ticket, record, content.reason)
    const { event } = content
    if (typeof event.messageId === 'string' && this.dedup.seen(event.messageId)) return ledger.duplicate(ticket)
    let matched = 0
    for (const route of this.routes) if (route.matches(event)) matched |= 1 << route.index
    const pending = ledger.route(ticket, matched, doneBefore ?? 0)
    for (const route of this.routes) {
      if (!(pending & (1 << route.index))) continue
      const batch = this.batcher.add({ ticket, record, event, attempts: 0, bytes: content.text.length, route })
      if (batch) this.dispatcher?.dispatch(route, batch)
    }
  }

  private async send(route: Route, events: Parameters<typeof deliver>[3]) {
    try {
      return await deliver(this.options.destination, this.settings, route, events)
    } finally {
      this.countResponses()
    }
  }

  private drainBatches(olderThanMs: number): void {
    if (this.abortReason || !this.dispatcher) return
    for (const batch of this.batcher.drain(olderThanMs)) this.dispatcher.dispatch(batch[0].route, batch)
  }

  private checkpointSoon(): void {
    void this.checkpoints
      ?.request()
      .catch((error: unknown) => this.abort(`Cannot write the checkpoint: ${(error as Error).message}`))
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
    this.dispatcher?.stop()
  }

  private async checkpoint(): Promise<Checkpoint> {
    await this.deadLetters.flush()
    const { watermark, finishedAfter, partlyFinished, inFlight, counts } = this.ledger.snapshot()
    return {
      version: 2,
      inputs: this.options.inputs,
      position: watermark,
      finishedAfter,
      partlyFinished,
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
        ? { ...checkpoint.counts, unfinished: 0 }
        : { ...this.ledger.counts, unfinished: this.ledger.pending }
    const readBefore = checkpoint?.counts.read ?? 0
    return {
      inputs: this.options.inputs,
      outcome,
      abortReason: this.abortReason,
      counts,
      resume: checkpoint
        ? { after: checkpoint.position, alreadyFinished: readBefore, inFlightAtCrash: checkpoint.inFlight }
        : undefined,
      requests: this.requests,
      throttled: this.throttledResponses,
      dispatch: this.dispatcher?.stats ?? { batches: 0, retriedEvents: 0, splits: 0 },
      deadLetterFile: this.deadLetters.path,
      durationMs,
      eventsPerSecond:
        durationMs > 0 ? Math.round(((counts.read + counts.unfinished - readBefore) * 1000) / durationMs) : 0
    }
  }
}

/** Where each input starts: inputs wholly before the checkpoint are skipped, the one it is in resumes after its record. */
function inputSpecs(inputs: string[], checkpoint: Checkpoint | undefined): InputSpec[] {
  const position = checkpoint?.position
  return inputs.map((path, index): InputSpec => {
    if (!position || index > position.input) return { path }
    if (index < position.input) return { path, skip: true }
    return { path, afterSeq: position.seq, afterOffset: position.end }
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
      throw new ConfigError(`Cannot read the input ${path}: ${(error as Error).message}`)
    }
  }
  return inputs.includes('-') ? undefined : total
}
