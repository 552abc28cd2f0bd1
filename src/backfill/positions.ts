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
 * Memory is bounded by the number of lines between the watermark and the reader; `read` hands out
 * a ticket number rather than a new object per line.
 */
export class PositionTracker {
  private positions: Position[] = []
  private finished: boolean[] = []
  /** The ticket of positions[0]. */
  private base = 0
  private head = 0
  private watermark: Position | undefined
  private pendingCount = 0

  constructor(start?: Position) {
    this.watermark = start
  }

  /** Registers a line as read; returns the ticket to finish it with. */
  read(position: Position): number {
    this.positions.push(position)
    this.finished.push(false)
    this.pendingCount++
    return this.base + this.positions.length - 1
  }

  finish(ticket: number): void {
    const index = ticket - this.base
    if (index < this.head || this.finished[index]) return
    this.finished[index] = true
    this.pendingCount--
    while (this.head < this.positions.length && this.finished[this.head]) this.watermark = this.positions[this.head++]
    if (this.head > 4096 && this.head * 2 > this.positions.length) {
      this.positions = this.positions.slice(this.head)
      this.finished = this.finished.slice(this.head)
      this.base += this.head
      this.head = 0
    }
  }

  /** Lines read and not finished yet. */
  get pending(): number {
    return this.pendingCount
  }

  snapshot(): { watermark: Position | undefined; finishedAfter: [number, number][]; inFlight: number } {
    const finishedAfter: [number, number][] = []
    for (let i = this.head; i < this.positions.length; i++) {
      if (this.finished[i]) finishedAfter.push([this.positions[i].input, this.positions[i].line])
    }
    const watermark = this.watermark && {
      input: this.watermark.input,
      line: this.watermark.line,
      end: this.watermark.end
    }
    return { watermark, finishedAfter, inFlight: this.pendingCount }
  }
}
