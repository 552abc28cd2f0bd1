import type { Readable } from 'node:stream'
import type { JSONObject, SegmentEvent } from '@segment/actions-core'
import { AdaptiveLimiter, Batcher, ConfigError, DestinationInstance, Dispatcher } from '../instance'
import type {
  BatchLimits,
  DestinationSource,
  DispatchStats,
  Item,
  PreparationRecipe,
  RetryPolicy,
  Route,
  RunningInstance,
  Settlement,
  SubscriptionConfig
} from '../instance'
import { DeadLetterWriter } from './ledger/dead-letters'
import { MessageIdWindow } from './ledger/dedup'
import { checkReplayedSubscription, checkReplayedSubscriptions } from './ledger/replay'
import { emptyCounts, Ledger } from './ledger/ledger'
import type { LedgerCounts, Position, Ticket } from './ledger/ledger'
import { WarningTally } from './ledger/warnings'
import type { CommonWarning } from './ledger/warnings'
import { Numbering, readPieces } from './reading'
import type { KeptRecord, Line, Numbered, Piece } from './reading'
import { packLines, routed, taken } from './reading/prepare'
import type { PreparedContent, TakenContent } from './reading/prepare'
import type { LineContent } from './reading/content'
import { CheckpointWriter, readCheckpoint } from './state/checkpoint'
import type { Checkpoint } from './state/checkpoint'
import { configurationHash, inputIdentity, mismatch, newRunId } from './state/identity'
import type { RunIdentity } from './state/identity'
import { FileLock } from './state/lock'
import { checkDistinct, checkNotAnInput, checkWritable } from './state/outputs'
import { Resume } from './state/resume'

export interface BackfillOptions {
  /** The destination: a recipe (worker threads may run it) or a definition at hand. */
  source: DestinationSource
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
  /** Ignore an existing checkpoint and start over; the dead letters of its run are moved aside, kept. */
  restart?: boolean
  /** A dry run: its checkpoint is its own, never a real run's. */
  dryRun?: boolean
  /** Other files the caller writes (a report, the dry run's payloads): checked before anything is sent. */
  outputs?: { path: string; what: string }[]
  maxLineBytes?: number
  stdin?: Readable
  signal?: AbortSignal
  /** Called once every check has passed (configuration, checkpoint, outputs, credentials), before the first read. */
  onStarted?: () => void
}

export interface BackfillCounts extends LedgerCounts {
  /** Events read and not finished when the run stopped (0 when it completed): a resume from its checkpoint sends them. */
  unfinished: number
}

/** Where a JSON document broke in this run, leaving the rest of its input unread. */
export interface NotRead {
  file: string
  where: string
  /** The first byte not read (after gunzipping), and how many bytes were not. */
  from: number
  bytes: number
}

export interface BackfillReport {
  inputs: string[]
  outcome: 'completed' | 'aborted' | 'already-complete'
  abortReason?: string
  counts: BackfillCounts
  /** The most common warnings of the events this run accepted (a resume's: since it resumed), with their counts. */
  warnings: CommonWarning[]
  notRead: NotRead[]
  /** Subscriptions that matched no event of a completed run: a trigger that may not say what was meant. */
  matchedNothing: { name: string; trigger: string }[]
  resume?: { after: Position | null; alreadyFinished: number; unfinishedAtCrash: number }
  /** HTTP requests the destination made (token requests included), and how many were answered 429. */
  requests: number
  throttled: number
  dispatch: Omit<DispatchStats, 'requests' | 'throttled'>
  deadLetterFile: string
  /** The checkpoint, when the run keeps one: only then can a resume send what is unfinished. */
  checkpointFile?: string
  /** With --restart: where the dead letters of the run started over were moved, and how many. */
  earlierDeadLetters?: { path: string; letters: number }
  durationMs: number
  eventsPerSecond: number
}

export interface BackfillProgress {
  bytesRead: number
  totalBytes: number | undefined
  counts: BackfillCounts
  elapsedMs: number
}

/** An event of the export on its way to one subscription. */
interface BackfillItem extends Item {
  ticket: Ticket
  record: KeptRecord
  route: Route
  bytes: number
  /** Its batch: the subscription and the batch key, found when it was routed. */
  batch: string
}

/**
 * An event for worker threads, which parse its JSON: the parsed event is not kept in flight (less to promote
 * and to hold); asked for, it is parsed again.
 */
class JsonItem implements BackfillItem {
  attempts = 0
  readonly bytes: number

  constructor(
    readonly ticket: Ticket,
    readonly record: KeptRecord,
    readonly json: Buffer,
    readonly route: Route,
    readonly batch: string
  ) {
    this.bytes = json.length
  }

  get event(): SegmentEvent {
    return JSON.parse(this.json.toString('utf8')) as SegmentEvent
  }
}

/** Worker threads parse and route the lines they are handed with `preparePacked`; so does this thread without them. */
const PREPARATION: PreparationRecipe = {
  module: require.resolve('./reading/prepare'),
  exportName: 'preparePacked'
}
const NO_LINES: Promise<unknown[]> = Promise.resolve([])
/** Chunks of lines being prepared in worker threads at once, ahead of the one the run takes next. */
const PREPARING_AHEAD = 8

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
  private readonly instance: DestinationInstance
  private readonly dedup = new MessageIdWindow()
  private readonly warnings = new WarningTally()
  private readonly batcher: Batcher<BackfillItem>
  private deadLetters: DeadLetterWriter | undefined
  private ledger: Ledger | undefined
  private resume: Resume | undefined
  private dispatcher: Dispatcher<BackfillItem> | undefined
  private running: RunningInstance | undefined
  private checkpoints: CheckpointWriter | undefined
  private identity: RunIdentity | undefined
  private runId = newRunId()
  private abortReason: string | undefined
  private bytesRead = 0
  private totalBytes: number | undefined
  private startedAt = Date.now()
  private complete = false
  /** Records beyond the checkpoint's watermark: none when a completed run is read again on the same data. */
  private opened = 0
  private readonly notRead: NotRead[] = []
  private readonly locks: FileLock[] = []
  /** Replayed dead letters go to one subscription each: the others matching nothing is no news then. */
  private replayed = false
  /** The subscriptions' names, in their order: bit i of a ledger mask is names[i]. */
  private readonly names: string[]
  /** Each subscription's batch when its batch keys are literals (the same for every event). */
  private readonly literalBatches: string[]

  /** Checks the instance against the destination: a ConfigError names every problem, before anything is read. */
  constructor(private readonly options: BackfillOptions) {
    this.instance = new DestinationInstance({ ...options, preparation: PREPARATION })
    this.names = this.instance.routes.map((route) => route.name)
    this.literalBatches = this.instance.routes.map((route) => `${route.index}:`)
    this.batcher = new Batcher(options.batch, (item) => item.batch)
  }

  private get maxLineBytes(): number {
    return this.options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES
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
   * start as configured (a checkpoint of other data, an output it cannot write, or one in use by another run).
   */
  async run(): Promise<BackfillReport> {
    try {
      return await this.runLocked()
    } finally {
      for (const lock of this.locks) await lock.release()
    }
  }

  private async runLocked(): Promise<BackfillReport> {
    this.startedAt = Date.now()
    const { options } = this
    const checkpoint = await this.prepare()

    const onAbort = () => this.abort('interrupted')
    options.signal?.addEventListener('abort', onAbort)
    const linger = setInterval(() => this.drainBatches(LINGER_MS), 250)
    let refused: ConfigError | undefined
    try {
      this.running = await this.instance.start()
      options.onStarted?.()
      if (!this.abortReason) await this.readAll(this.running)
    } catch (error) {
      if (error instanceof ConfigError) refused = error
      this.abort(error instanceof Error ? error.message : String(error))
    } finally {
      clearInterval(linger)
      await this.dispatcher?.idle()
      await this.running?.close()
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
      configuration: configurationHash(this.instance.destination, options.settings, options.subscriptions),
      inputs
    }
    this.totalBytes = inputs.every((input) => 'size' in input)
      ? inputs.reduce((total, input) => total + ('size' in input ? input.size : 0), 0)
      : undefined

    // The files that hold the run's state: one run at a time each, since two would send events twice.
    const stateFiles = [
      { path: options.deadLetterPath, what: 'the dead-letter file' },
      ...(options.checkpointPath ? [{ path: options.checkpointPath, what: 'the checkpoint' }] : [])
    ]
    const outputs = [...stateFiles, ...(options.outputs ?? [])]
    for (const { path, what } of outputs) checkNotAnInput(path, what, options.inputs)
    checkDistinct(outputs)
    for (const { path, what } of outputs) await checkWritable(path, what)
    for (const { path, what } of stateFiles) this.locks.push(await FileLock.acquire(path, what))

    await checkReplayedSubscriptions(options.inputs, this.names, this.maxLineBytes)

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
    this.ledger = new Ledger(
      this.names,
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

  private async readAll(running: RunningInstance): Promise<void> {
    const { options } = this
    const ledger = this.ledger as Ledger
    const resume = this.resume as Resume
    const settlement: Settlement<BackfillItem> = {
      accepted: (item, route, warnings) => {
        ledger.accepted(item.ticket, route.index, warnings.length)
        this.warnings.add(route.name, warnings)
      },
      filtered: (item, route) => ledger.filtered(item.ticket, route.index),
      rejected: (item, route, status, reason) => ledger.rejected(item.ticket, route.index, item.record, status, reason),
      gaveUp: (item, route, status, reason, attempts) =>
        ledger.rejected(item.ticket, route.index, item.record, status, `${reason} (gave up after ${attempts} attempts)`)
    }
    const dispatcher = (this.dispatcher = new Dispatcher<BackfillItem>({
      limiter: new AdaptiveLimiter(options.concurrency),
      retry: options.retry,
      settlement,
      send: (route, items) => running.send(route, items),
      settled: () => this.checkpointNow(),
      // The run stops; the batch's unsettled events stay unfinished, for a resume.
      onFailure: (error) => this.abort((error as Error).message)
    }))
    // Records read ahead of the acknowledgments: enough for every request slot and the batch filling up. A
    // batch holds one subscription's events, so the window does not grow with the subscriptions.
    const window = (options.concurrency + 1) * options.batch.size
    const numbering = new Numbering()
    // Chunks whose lines are being parsed and routed (in worker threads, when there are some), taken in order.
    const preparing: { pieces: Piece[]; lines: Promise<unknown[]> }[] = []
    const ahead = running.parsesText ? PREPARING_AHEAD : 0
    const takeNext = async (): Promise<void> => {
      const { pieces, lines } = preparing.shift() as (typeof preparing)[number]
      const records = this.number(pieces, (await lines) as LineContent<PreparedContent>[], numbering)
      for (const record of records) this.take(record, resume)
    }
    for await (const pieces of readPieces(
      options.inputs.map((path) => ({ path })),
      {
        maxLineBytes: this.maxLineBytes,
        stdin: options.stdin,
        onBytes: (bytes) => (this.bytesRead += bytes)
      }
    )) {
      if (this.abortReason) break
      const chunk: Line[] = []
      for (const { content } of pieces) if (content.kind === 'line') chunk.push(content)
      const lines =
        chunk.length > 0 ? running.prepare([packLines(chunk)]).then(([packed]) => packed as unknown[]) : NO_LINES
      // A run that stops leaves these unread: their failure is not news then.
      lines.catch(() => undefined)
      preparing.push({ pieces, lines })
      while (preparing.length > ahead && !this.abortReason) await takeNext()
      while (ledger.pending > window && !this.abortReason) {
        if (dispatcher.busy === 0) this.drainBatches(0)
        await dispatcher.nextCompletion()
      }
    }
    while (preparing.length > 0 && !this.abortReason) await takeNext()
    if (!this.abortReason) resume.check()
    this.drainBatches(0)
  }

  /** The records of a chunk of pieces, numbered, their lines as prepared; JSON array elements are routed here. */
  private number(
    pieces: Piece[],
    lines: LineContent<PreparedContent>[],
    numbering: Numbering
  ): Numbered<TakenContent>[] {
    const keepEvents = !(this.running?.parsesText ?? false)
    const records: Numbered<TakenContent>[] = []
    let next = 0
    for (const piece of pieces) {
      const { content } = piece
      if (content.kind !== 'line') {
        numbering.add(piece, taken(routed(content, this.instance.routes, keepEvents)), records)
        continue
      }
      const line = lines[next++]
      numbering.add(
        piece,
        line.kind === 'elements'
          ? { kind: 'elements', contents: line.contents.map((c) => taken(c)) }
          : taken(line, content.bytes),
        records
      )
    }
    return records
  }

  private take(record: Numbered<TakenContent>, resume: Resume): void {
    const { content } = record
    if (resume.covers(record)) {
      // Finished before the crash: not sent again, but a repeat of it after the resume is still a repeat.
      if (content.kind === 'event' && content.messageId !== undefined) this.dedup.seen(content.messageId)
      return
    }
    const ledger = this.ledger as Ledger
    this.opened++
    const ticket = ledger.open(record)
    const doneBefore = resume.doneBefore(record)
    if (doneBefore === -1) {
      if (content.kind === 'event' && content.messageId !== undefined) this.dedup.seen(content.messageId)
      return ledger.skip(ticket)
    }
    if (content.kind === 'blank') return ledger.blank(ticket)
    if (content.kind === 'unreadable') {
      if (content.rest)
        this.notRead.push({ file: this.options.inputs[record.input], where: record.where, ...content.rest })
      return ledger.unreadable(ticket, record, content.reason)
    }
    const { only, messageId, json, origin, event, keys } = content
    if (only !== undefined) this.replayed = true
    checkReplayedSubscription(only, this.names)
    if (messageId !== undefined && this.dedup.seen(messageId)) return ledger.duplicate(ticket)
    // A replayed dead letter goes only to the subscription that rejected it.
    const matched = only === undefined ? content.matched : content.matched & (1 << this.names.indexOf(only))
    const pending = ledger.route(ticket, matched, doneBefore ?? 0)
    // What a dead letter writes: the parsed event, when this thread keeps one, travels in the item alone.
    const kept: KeptRecord = {
      input: record.input,
      seq: record.seq,
      where: record.where,
      content: { kind: 'event', json, only, origin }
    }
    for (const route of this.instance.routes) {
      if (!(pending & (1 << route.index))) continue
      const batch = keys === undefined ? this.literalBatches[route.index] : `${route.index}:${keys[route.index]}`
      const item: BackfillItem =
        event === undefined
          ? new JsonItem(ticket, kept, json, route, batch)
          : { ticket, record: kept, event, json, attempts: 0, bytes: json.length, route, batch }
      const full = this.batcher.add(item)
      if (full) this.dispatcher?.dispatch(route, full)
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

  private abort(reason: string): void {
    if (this.abortReason) return
    this.abortReason = reason
    this.dispatcher?.stop()
  }

  private currentCounts(): BackfillCounts {
    const ledger = this.ledger
    if (!ledger) return { ...emptyCounts(this.instance.routes.map((route) => route.name)), unfinished: 0 }
    return { ...ledger.counts, unfinished: ledger.pending }
  }

  private async checkpoint(): Promise<Checkpoint> {
    await this.deadLetters?.flush()
    const ledger = this.ledger as Ledger
    const { watermark, prefix, finishedAfter, partlyFinished, inFlight, counts } = ledger.snapshot()
    const notReadYet = (this.resume as Resume).pending((mask) => ledger.namesOf(mask))
    return {
      version: 4,
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

  private matchedNothing(counts: BackfillCounts): BackfillReport['matchedNothing'] {
    if (counts.read - counts.unreadable - counts.duplicates === 0) return []
    return this.instance.routes
      .filter(({ name }) => counts.subscriptions[name].accepted + counts.subscriptions[name].rejected === 0)
      .map(({ name, subscription }) => ({ name, trigger: subscription.subscribe }))
  }

  private report(outcome: BackfillReport['outcome'], checkpoint: Checkpoint | undefined): BackfillReport {
    const durationMs = Date.now() - this.startedAt
    const counts: BackfillCounts =
      outcome === 'already-complete' && checkpoint ? { ...checkpoint.counts, unfinished: 0 } : this.currentCounts()
    const readBefore = checkpoint?.counts.read ?? 0
    const stats = this.dispatcher?.stats
    return {
      inputs: this.options.inputs,
      outcome,
      abortReason: this.abortReason,
      counts,
      warnings: this.warnings.common(),
      notRead: this.notRead,
      matchedNothing: outcome === 'completed' && !this.replayed ? this.matchedNothing(counts) : [],
      resume: checkpoint
        ? { after: checkpoint.position, alreadyFinished: readBefore, unfinishedAtCrash: checkpoint.inFlight }
        : undefined,
      requests: stats?.requests ?? 0,
      throttled: stats?.throttled ?? 0,
      dispatch: {
        batches: stats?.batches ?? 0,
        retriedBatches: stats?.retriedBatches ?? 0,
        retriedEvents: stats?.retriedEvents ?? 0,
        splits: stats?.splits ?? 0
      },
      deadLetterFile: this.options.deadLetterPath,
      checkpointFile: this.options.checkpointPath,
      ...(this.deadLetters?.earlier ? { earlierDeadLetters: this.deadLetters.earlier } : {}),
      durationMs,
      eventsPerSecond:
        durationMs > 0 ? Math.round(((counts.read + counts.unfinished - readBefore) * 1000) / durationMs) : 0
    }
  }
}
