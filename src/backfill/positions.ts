/** A line's place in the run: which input, which line, and the byte offset just after it. */
export interface Position {
  input: number
  line: number
  end: number
}

/**
 * Tracks which lines are finished (accepted, dead-lettered, filtered, skipped) while later lines
 * are still in flight. The watermark is the last line before which everything is finished; lines
 * finished beyond it are listed too, so a resume re-sends only what was really in flight.
 * Memory is bounded by the number of lines between the watermark and the reader.
 */
export class PositionTracker {
  private readonly queue: (Position & { done: boolean })[] = []
  private head = 0
  private watermark: Position | undefined
  private pendingCount = 0

  constructor(start?: Position) {
    this.watermark = start
  }

  /** Registers a line as read; returns the handle to finish it with. */
  read(position: Position): Position & { done: boolean } {
    const entry = { ...position, done: false }
    this.queue.push(entry)
    this.pendingCount++
    return entry
  }

  finish(entry: { done: boolean }): void {
    if (entry.done) return
    entry.done = true
    this.pendingCount--
    while (this.head < this.queue.length && this.queue[this.head].done) {
      const { input, line, end } = this.queue[this.head++]
      this.watermark = { input, line, end }
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head)
      this.head = 0
    }
  }

  /** Lines read and not finished yet. */
  get pending(): number {
    return this.pendingCount
  }

  snapshot(): { watermark: Position | undefined; finishedAfter: [number, number][]; inFlight: number } {
    const finishedAfter: [number, number][] = []
    for (let i = this.head; i < this.queue.length; i++) {
      const entry = this.queue[i]
      if (entry.done) finishedAfter.push([entry.input, entry.line])
    }
    return { watermark: this.watermark, finishedAfter, inFlight: this.pendingCount }
  }
}
