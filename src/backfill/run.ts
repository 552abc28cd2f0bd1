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
import type { Outcome } from './deliver'
import { Dispatcher } from './dispatcher'
import type { DispatchStats, Item } from './dispatcher'
import { configurationHash, inputIdentity, mismatch, newRunId } from './identity'
import type { RunIdentity } from './identity'
import { emptyCounts, Ledger } from './ledger'
import type { LedgerCounts, Position } from './ledger'
import { AdaptiveLimiter } from './limiter'
import { checkDistinct, checkNotAnInput, checkWritable } from './outputs'
import { checkAccount, checkInstance } from './preflight'
import { readRecords } from './reading'
import type { SourceRecord } from './reading'
import { Resume } from './resume'
import type { RetryPolicy } from './retry'
import type { Route } from './routes'
import { WorkerPool } from './worker-pool'
import type { DefinitionRecipe } from './worker-pool'

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
  /** Ignore an existing checkpoint and start over; the dead letters of its run are replaced. */
  restart?: boolean
  /** A dry run: its checkpoint is its own, never a real run's. */
  dryRun?: boolean
  /** Other files the caller writes (a report, the dry run's payloads): checked before anything is sent. */
  outputs?: { path: string; what: string }[]
  maxLineBytes?: number
  /** Worker threads that run onBatch, each with its own Destination built from `recipe`; none runs it here. */
  workers?: { count: number; recipe: DefinitionRecipe }
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
  resume?: { after: Position | null; alreadyFinished: number; unfinishedAtCrash: number }
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
 *
 * A run belongs to its configuration, its inputs (by content) and its mode; its checkpoint is refused
 * for anything else. A checkpoint records only what the destination acknowledged, and a request's
 * acknowledgment is written before its slot takes the next request, so that a crash sends again at
 * most what was in flight.
 */
export class Backfill {
  private readonly routes: Route[]
  private readonly dedup = new MessageIdWindow()
  private readonly batcher: Batcher<Item & { bytes: number; route: Route }>
  private readonly settings: JSONObject
  private deadLetters: DeadLetterWriter | undefined
  private ledger: Ledger | undefined
  private resume: Resume | undefined
  private dispatcher: Dispatcher | undefined
  private pool: WorkerPool | undefined
  private checkpoints: CheckpointWriter | undefined
  private identity: RunIdentity | undefined
  private runId = newRunId()
  private abortReason: string | undefined
  private requests = 0
  private throttledResponses = 0
  private bytesRead = 0
  private totalBytes: number | undefined
  private startedAt = Date.now()
  private complete = false
  /** Records beyond the checkpoint's watermark: none when a completed run is read again on the same data. */
  private opened = 0

  /** Checks the instance against the destination: a ConfigError names every problem, before anything is read. */
  constructor(private readonly options: BackfillOptions) {
    this.routes = checkInstance(options.destination, {
      settings: options.settings,
      subscriptions: options.subscriptions,
      batch: options.batch,
      batchSizeKey: options.batchSizeKey
    })
    this.settings = { ...options.settings, oauth: {} }
    this.batcher = new Batcher(options.batch, (item) => `${item.route.index}:${item.route.batchKeyOf(item.event)}`)
  }

  progress(): BackfillProgress {
    return {
      bytesRead: this.bytesRead,
      totalBytes: this.totalBytes,
      counts: this.currentCounts(),
      elapsedMs: Date.now() - this.startedAt
    }
  }

  /**
   * Runs to the end, or until stopped. Throws ConfigError, before anything is sent, when the run cannot
   * start as configured (a checkpoint of other data, an output it cannot write).
   */
  async run(): Promise<BackfillReport> {
    this.startedAt = Date.now()
    const { options } = this
    const checkpoint = await this.prepare()

    const onAbort = () => this.abort('interrupted')
    options.signal?.addEventListener('abort', onAbort)
    const linger = setInterval(() => this.drainBatches(LINGER_MS), 250)
    let refused: ConfigError | undefined
    try {
      this.settings.oauth = await checkAccount(options.destination, options.settings, this.routes)
      if (options.workers && options.workers.count > 0) {
        this.pool = new WorkerPool(options.workers.count, {
          recipe: options.workers.recipe,
          settings: this.settings,
          subscriptions: this.routes.map((route) => route.subscription)
        })
      }
      if (!this.abortReason) await this.readAll()
    } catch (error) {
      if (error instanceof ConfigError) refused = error
      this.abort(error instanceof Error ? error.message : String(error))
    } finally {
      clearInterval(linger)
      await this.dispatcher?.idle()
      await this.pool?.close()
      options.signal?.removeEventListener('abort', onAbort)
    }
    // Data that is not what the checkpoint covers: nothing was sent, and the checkpoint stays as it was.
    if (refused) throw refused
    this.complete = !this.abortReason
    await this.checkpoints?.flush().catch((error: unknown) => {
      this.abortReason ??= `Cannot write the checkpoint ${options.checkpointPath}: ${(error as Error).message}`
      this.complete = false
    })
    await this.deadLetters?.close().catch(() => undefined)
    // A completed run's data read again, checked, and found to hold nothing new: nothing to do.
    const nothingNew = checkpoint?.complete && this.ledger?.pending === 0 && this.opened === 0
    return this.report(this.abortReason ? 'aborted' : nothingNew ? 'already-complete' : 'completed', checkpoint)
  }

  /** Everything checked before the first record is read: the run's identity, its checkpoint, its outputs. */
  private async prepare(): Promise<Checkpoint | undefined> {
    const { options } = this
    const inputs = await Promise.all(options.inputs.map((input) => inputIdentity(input)))
    this.identity = {
      mode: options.dryRun ? 'dry' : 'real',
      configuration: configurationHash(options.destination, options.settings, options.subscriptions),
      inputs
    }
    this.totalBytes = inputs.every((input) => 'size' in input)
      ? inputs.reduce((total, input) => total + ('size' in input ? input.size : 0), 0)
      : undefined

    const outputs = [
      { path: options.deadLetterPath, what: 'the dead-letter file' },
      ...(options.checkpointPath ? [{ path: options.checkpointPath, what: 'the checkpoint' }] : []),
      ...(options.outputs ?? [])
    ]
    for (const { path, what } of outputs) checkNotAnInput(path, what, options.inputs)
    checkDistinct(outputs)
    for (const { path, what } of outputs) await checkWritable(path, what)

    const saved = options.checkpointPath ? await readCheckpoint(options.checkpointPath) : undefined
    const checkpoint = options.restart ? undefined : saved
    if (checkpoint && options.checkpointPath) {
      const problem = mismatch(checkpoint.identity, this.identity, options.checkpointPath)
      if (problem) throw new ConfigError(problem)
      this.runId = checkpoint.runId
    }
    this.deadLetters = await DeadLetterWriter.open(
      options.deadLetterPath,
      { id: this.runId, resumes: checkpoint?.runId, replaces: options.restart ? saved?.runId : undefined },
      (error) => this.abort(`Cannot write the dead-letter file ${options.deadLetterPath}: ${error.message}`)
    )
    const names = this.routes.map((route) => route.name)
    this.ledger = new Ledger(
      names,
      options.inputs,
      this.deadLetters,
      checkpoint && { watermark: checkpoint.position, prefix: checkpoint.prefix, counts: checkpoint.counts }
    )
    this.resume = new Resume(checkpoint, options.inputs, (done) => this.ledger?.maskOf(done) ?? 0)
    if (options.checkpointPath) {
      this.checkpoints = new CheckpointWriter(options.checkpointPath, () => this.checkpoint())
      // A new run's checkpoint exists from the start; a resume's stays as it is until there is news.
      if (!checkpoint) await this.checkpoints.flush()
    }
    return checkpoint
  }

  private async readAll(): Promise<void> {
    const { options } = this
    const ledger = this.ledger as Ledger
    const resume = this.resume as Resume
    const dispatcher = (this.dispatcher = new Dispatcher({
      limiter: new AdaptiveLimiter(options.concurrency),
      retry: options.retry,
      ledger,
      send: (route, items) => this.send(route, items),
      settled: () => this.checkpointNow(),
      onFailure: (error) => this.abort((error as Error).message)
    }))
    // Records read ahead of the acknowledgments: enough for every request slot and the batch filling up. A
    // batch holds one subscription's events, so the window does not grow with the subscriptions.
    const window = (options.concurrency + 1) * options.batch.size
    for await (const records of readRecords(
      options.inputs.map((path) => ({ path })),
      {
        maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
        stdin: options.stdin,
        onBytes: (bytes) => (this.bytesRead += bytes)
      }
    )) {
      if (this.abortReason) break
      for (const record of records) this.take(record, resume)
      while (ledger.pending > window && !this.abortReason) {
        if (dispatcher.busy === 0) this.drainBatches(0)
        await dispatcher.nextCompletion()
      }
    }
    if (!this.abortReason) resume.check()
    this.drainBatches(0)
  }

  private take(record: SourceRecord, resume: Resume): void {
    const { content } = record
    if (resume.covers(record)) {
      // Finished before the crash: not sent again, but a repeat of it after the resume is still a repeat.
      if (content.kind === 'event' && typeof content.event.messageId === 'string')
        this.dedup.seen(content.event.messageId)
      return
    }
    const ledger = this.ledger as Ledger
    this.opened++
    const ticket = ledger.open(record)
    const doneBefore = resume.doneBefore(record)
    if (doneBefore === -1) {
      if (content.kind === 'event' && typeof content.event.messageId === 'string')
        this.dedup.seen(content.event.messageId)
      return ledger.skip(ticket)
    }
    if (content.kind === 'blank') return ledger.blank(ticket)
    if (content.kind === 'unreadable') return ledger.unreadable(ticket, record, content.reason)
    const { event, only } = content
    if (typeof event.messageId === 'string' && this.dedup.seen(event.messageId)) return ledger.duplicate(ticket)
    let matched = 0
    for (const route of this.routes) {
      // A replayed dead letter goes only to the subscription that rejected it.
      if ((only === undefined || only === route.name) && route.matches(event)) matched |= 1 << route.index
    }
    const pending = ledger.route(ticket, matched, doneBefore ?? 0)
    for (const route of this.routes) {
      if (!(pending & (1 << route.index))) continue
      const batch = this.batcher.add({ ticket, record, event, attempts: 0, bytes: content.text.length, route })
      if (batch) this.dispatcher?.dispatch(route, batch)
    }
  }

  private async send(route: Route, items: Item[]): Promise<Outcome[]> {
    if (this.pool) {
      const texts = items.map(({ record }) => (record.content.kind === 'event' ? record.content.text : ''))
      const answer = await this.pool.send(route.index, texts)
      this.requests += answer.requests
      this.throttledResponses += answer.throttled
      return answer.outcomes
    }
    try {
      return await deliver(
        this.options.destination,
        this.settings,
        route.subscription,
        items.map((item) => item.event)
      )
    } finally {
      this.countResponses()
    }
  }

  private drainBatches(olderThanMs: number): void {
    if (this.abortReason || !this.dispatcher) return
    for (const batch of this.batcher.drain(olderThanMs)) this.dispatcher.dispatch(batch[0].route, batch)
  }

  /** Resolves once the ledger as it stands is in the checkpoint file. */
  private async checkpointNow(): Promise<void> {
    try {
      await this.checkpoints?.request()
    } catch (error) {
      this.abort(`Cannot write the checkpoint ${this.options.checkpointPath}: ${(error as Error).message}`)
    }
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

  private currentCounts(): BackfillCounts {
    const ledger = this.ledger
    if (!ledger) return { ...emptyCounts(this.routes.map((route) => route.name)), unfinished: 0 }
    return { ...ledger.counts, unfinished: ledger.pending }
  }

  private async checkpoint(): Promise<Checkpoint> {
    await this.deadLetters?.flush()
    const ledger = this.ledger as Ledger
    const { watermark, prefix, finishedAfter, partlyFinished, inFlight, counts } = ledger.snapshot()
    const notReadYet = (this.resume as Resume).pending((mask) => ledger.namesOf(mask))
    return {
      version: 3,
      runId: this.runId,
      identity: this.identity as RunIdentity,
      position: watermark,
      prefix,
      finishedAfter: [...finishedAfter, ...notReadYet.finishedAfter],
      partlyFinished: [...partlyFinished, ...notReadYet.partlyFinished],
      inFlight,
      counts,
      complete: this.complete,
      updatedAt: new Date().toISOString()
    }
  }

  private report(outcome: BackfillReport['outcome'], checkpoint: Checkpoint | undefined): BackfillReport {
    const durationMs = Date.now() - this.startedAt
    const counts: BackfillCounts =
      outcome === 'already-complete' && checkpoint ? { ...checkpoint.counts, unfinished: 0 } : this.currentCounts()
    const readBefore = checkpoint?.counts.read ?? 0
    return {
      inputs: this.options.inputs,
      outcome,
      abortReason: this.abortReason,
      counts,
      resume: checkpoint
        ? { after: checkpoint.position, alreadyFinished: readBefore, unfinishedAtCrash: checkpoint.inFlight }
        : undefined,
      requests: this.requests,
      throttled: this.throttledResponses,
      dispatch: this.dispatcher?.stats ?? { batches: 0, retriedBatches: 0, retriedEvents: 0, splits: 0 },
      deadLetterFile: this.options.deadLetterPath,
      durationMs,
      eventsPerSecond:
        durationMs > 0 ? Math.round(((counts.read + counts.unfinished - readBefore) * 1000) / durationMs) : 0
    }
  }
}
