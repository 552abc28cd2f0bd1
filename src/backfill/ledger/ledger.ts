import { isUtf8 } from 'node:buffer'
import type { DeadLetterWriter } from './dead-letters'
import { addChecksum, jsonChecksum, recordChecksum } from '../state/identity'
import type { KeptRecord, SourceRecord } from '../reading/record'

/** A record's place in the run: which input, which record. */
export interface Position {
  input: number
  seq: number
}

export interface SubscriptionCounts {
  accepted: number
  rejected: number
  /** Events its trigger did not match. */
  filtered: number
  /** Events accepted with a warning from the destination (a value it left out, say). */
  warnings: number
}

/** Counts of finished records; `read` = unreadable + duplicates + unmatched + the events some subscription took. */
export interface LedgerCounts {
  /** Records that were not blank: events and unreadable lines. */
  read: number
  blankLines: number
  /** Records that are not events (broken JSON, not UTF-8, too long): dead-lettered for no subscription. */
  unreadable: number
  /** Bytes of JSON documents not read because the JSON broke before them: named by their unreadable record. */
  unreadBytes: number
  /** Events whose messageId was seen before: sent once. */
  duplicates: number
  /** Events no subscription's trigger matched. */
  unmatched: number
  subscriptions: Record<string, SubscriptionCounts>
}

/** Where a resume starts: every record up to `watermark` is finished, and so are those listed after it. */
export interface LedgerSnapshot {
  watermark: Position | null
  /** Per input, the sum of the checksums of its records up to the watermark: a resume checks what it skips. */
  prefix: number[]
  /** Records beyond the watermark that are finished, as [input, seq]. */
  finishedAfter: [number, number][]
  /** Records beyond the watermark finished for some of their subscriptions, as [input, seq, names of those done]. */
  partlyFinished: [number, number, string[]][]
  /** Records read and not finished: the most a resume sends again. */
  inFlight: number
  counts: LedgerCounts
}

export type Ticket = number

export const emptyCounts = (names: string[]): LedgerCounts => ({
  read: 0,
  blankLines: 0,
  unreadable: 0,
  unreadBytes: 0,
  duplicates: 0,
  unmatched: 0,
  subscriptions: Object.fromEntries(names.map((name) => [name, { accepted: 0, rejected: 0, filtered: 0, warnings: 0 }]))
})

/**
 * The one owner of each record's fate. A record is finished when it is blank, unreadable, a duplicate,
 * matched no subscription, or every subscription it matched has accepted or rejected it; counts, dead
 * letters and the resume position all follow from here. Subscriptions are numbered (bit i of a mask is
 * subscription i), so an instance has at most 31 of them.
 *
 * The watermark is the last record before which everything is finished; records finished beyond it are
 * listed in snapshots, so that a resume sends again only what was really in flight. Memory is bounded
 * by the records between the watermark and the reader.
 */
export class Ledger {
  readonly counts: LedgerCounts
  private positions: Position[] = []
  /** Per record: the subscriptions it matched, and those done with it. */
  private matched: number[] = []
  private done: number[] = []
  private checksums: number[] = []
  private readonly prefix: number[]
  /** The ticket of positions[0]. */
  private base = 0
  private head = 0
  private watermark: Position | undefined
  private pendingCount = 0

  constructor(
    private readonly names: string[],
    private readonly inputs: string[],
    private readonly deadLetters: DeadLetterWriter,
    resume?: { watermark: Position | null; prefix: number[]; counts: LedgerCounts }
  ) {
    this.counts = resume ? structuredClone(resume.counts) : emptyCounts(names)
    this.watermark = resume?.watermark ?? undefined
    this.prefix = resume ? [...resume.prefix] : inputs.map(() => 0)
  }

  /** Records read and not finished. */
  get pending(): number {
    return this.pendingCount
  }

  /** Registers a record as read; returns the ticket that settles it. */
  open(record: KeptRecord | SourceRecord): Ticket {
    this.positions.push({ input: record.input, seq: record.seq })
    this.matched.push(0)
    this.done.push(0)
    this.checksums.push(checksumOf(record))
    this.pendingCount++
    return this.base + this.positions.length - 1
  }

  /** A record a run before a crash finished: tracked, so that checkpoints still list it, but not counted again. */
  skip(ticket: Ticket): void {
    this.close(ticket)
  }

  blank(ticket: Ticket): void {
    this.counts.blankLines++
    this.close(ticket)
  }

  duplicate(ticket: Ticket): void {
    this.counts.read++
    this.counts.duplicates++
    this.close(ticket)
  }

  unreadable(ticket: Ticket, record: KeptRecord, reason: string): void {
    this.deadLetter(record, null, null, `${this.describe(record)}: ${reason}`)
    this.counts.read++
    this.counts.unreadable++
    if (record.content.kind === 'unreadable') this.counts.unreadBytes += record.content.rest?.bytes ?? 0
    this.close(ticket)
  }

  /**
   * The subscriptions an event goes to (a mask), less those a run before a crash finished already.
   * Returns the subscriptions still to send it to; 0 when the event is finished.
   */
  route(ticket: Ticket, matched: number, alreadyDone = 0): number {
    const index = ticket - this.base
    this.matched[index] = matched
    this.done[index] = alreadyDone & matched
    return this.settleIfDone(ticket) ? 0 : matched & ~alreadyDone
  }

  accepted(ticket: Ticket, subscription: number, warnings: number): void {
    if (!this.awaits(ticket, subscription)) return
    const counts = this.counts.subscriptions[this.names[subscription]]
    counts.accepted++
    if (warnings > 0) counts.warnings++
    this.settle(ticket, subscription)
  }

  rejected(ticket: Ticket, subscription: number, record: KeptRecord, status: number | null, reason: string): void {
    if (!this.awaits(ticket, subscription)) return
    this.deadLetter(record, this.names[subscription], status, reason)
    this.counts.subscriptions[this.names[subscription]].rejected++
    this.settle(ticket, subscription)
  }

  /** The destination's own filter did not take an event its subscription was thought to match. */
  filtered(ticket: Ticket, subscription: number): void {
    if (!this.awaits(ticket, subscription)) return
    this.matched[ticket - this.base] &= ~(1 << subscription)
    this.settleIfDone(ticket)
  }

  snapshot(): LedgerSnapshot {
    const finishedAfter: [number, number][] = []
    const partlyFinished: [number, number, string[]][] = []
    for (let i = this.head; i < this.positions.length; i++) {
      const { input, seq } = this.positions[i]
      if (this.isFinished(i)) finishedAfter.push([input, seq])
      else if (this.done[i] !== 0) partlyFinished.push([input, seq, this.namesOf(this.done[i])])
    }
    const { watermark } = this
    return {
      watermark: watermark ? { input: watermark.input, seq: watermark.seq } : null,
      prefix: [...this.prefix],
      finishedAfter,
      partlyFinished,
      inFlight: this.pendingCount,
      counts: structuredClone(this.counts)
    }
  }

  /** The mask of the subscriptions with these names (those of a checkpoint's partly finished record). */
  maskOf(names: string[]): number {
    let mask = 0
    for (const name of names) {
      const index = this.names.indexOf(name)
      if (index >= 0) mask |= 1 << index
    }
    return mask
  }

  namesOf(mask: number): string[] {
    return this.names.filter((_, index) => mask & (1 << index))
  }

  private isFinished(index: number): boolean {
    return this.matched[index] === -1
  }

  /** Whether the subscription has yet to settle the record (a batch settles each of its events once). */
  private awaits(ticket: Ticket, subscription: number): boolean {
    const index = ticket - this.base
    return index >= this.head && !this.isFinished(index) && !(this.done[index] & (1 << subscription))
  }

  private settle(ticket: Ticket, subscription: number): void {
    this.done[ticket - this.base] |= 1 << subscription
    this.settleIfDone(ticket)
  }

  /** Finishes an event once every subscription it matched is done with it. */
  private settleIfDone(ticket: Ticket): boolean {
    const index = ticket - this.base
    const matched = this.matched[index]
    if ((this.done[index] & matched) !== matched) return false
    this.counts.read++
    if (matched === 0) this.counts.unmatched++
    this.names.forEach((name, subscription) => {
      if (!(matched & (1 << subscription))) this.counts.subscriptions[name].filtered++
    })
    this.close(ticket)
    return true
  }

  private close(ticket: Ticket): void {
    const index = ticket - this.base
    this.matched[index] = -1
    this.pendingCount--
    while (this.head < this.positions.length && this.isFinished(this.head)) {
      const position = this.positions[this.head]
      this.prefix[position.input] = addChecksum(this.prefix[position.input], this.checksums[this.head])
      this.watermark = position
      this.head++
    }
    if (this.head > 4096 && this.head * 2 > this.positions.length) {
      this.positions = this.positions.slice(this.head)
      this.matched = this.matched.slice(this.head)
      this.done = this.done.slice(this.head)
      this.checksums = this.checksums.slice(this.head)
      this.base += this.head
      this.head = 0
    }
  }

  private describe(record: KeptRecord): string {
    return `${record.where} of ${this.inputs[record.input]}`
  }

  /** The record as read, byte for byte: its text, or base64 when it was not UTF-8. */
  private deadLetter(record: KeptRecord, subscription: string | null, status: number | null, reason: string): void {
    const { content } = record
    const kept =
      content.kind === 'event'
        ? { raw: content.json.toString('utf8') }
        : content.kind === 'unreadable' && !isUtf8(content.raw)
          ? { rawBase64: content.raw.toString('base64') }
          : { raw: content.kind === 'unreadable' ? content.raw.toString('utf8') : '' }
    // A replayed letter keeps where its record first came from, and says where it was replayed from.
    const here = { file: this.inputs[record.input], where: record.where }
    const origin = content.kind === 'blank' ? undefined : content.origin
    this.deadLetters.write({
      ...kept,
      deadLetter: {
        ...(origin ?? { ...here, seq: record.seq }),
        subscription,
        status,
        reason,
        ...(content.kind === 'unreadable' && content.truncated ? { truncated: true } : {}),
        ...(content.kind === 'unreadable' && content.rest ? { notRead: content.rest } : {}),
        ...(origin ? { replayedFrom: here } : {}),
        at: new Date().toISOString()
      }
    })
  }
}

/** Events accepted and dead letters written, over every subscription. */
export function totalsOf(counts: LedgerCounts): { accepted: number; rejected: number; warnings: number } {
  const subscriptions = Object.values(counts.subscriptions)
  const sum = (key: keyof SubscriptionCounts) => subscriptions.reduce((total, entry) => total + entry[key], 0)
  return { accepted: sum('accepted'), rejected: counts.unreadable + sum('rejected'), warnings: sum('warnings') }
}

/** A record's checksum, from the text a resume reads again. */
export function checksumOf(record: KeptRecord | SourceRecord): number {
  const { content } = record
  if (content.kind === 'event') return 'json' in content ? jsonChecksum(content.json) : recordChecksum(content.text)
  if (content.kind === 'unreadable') return recordChecksum(content.raw)
  return recordChecksum('')
}
