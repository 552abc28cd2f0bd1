import type { Checkpoint } from './checkpoint'
import { ConfigError } from '../../instance'
import { addChecksum } from './identity'
import { checksumOf } from '../ledger/ledger'
import type { KeptRecord, SourceRecord } from '../reading/record'

/** Finished by the run before a crash: wholly (-1), or for the subscriptions of a mask. */
type DoneBefore = number

/**
 * Where a resumed run stands against its checkpoint. A resume reads its inputs from the start again:
 * the records up to the checkpoint's watermark are not sent, but their messageIds are remembered (a
 * repeat after the resume is still a repeat) and their checksums are summed and compared with the
 * checkpoint's before anything after them is sent, so that a checkpoint is never applied to other
 * data, stdin included. Records finished beyond the watermark are handed back once each, and those not
 * read yet stay listed in later checkpoints.
 */
export class Resume {
  private readonly sums: number[]
  private checked: boolean
  private readonly finished = new Map<string, DoneBefore>()

  constructor(
    private readonly checkpoint: Checkpoint | undefined,
    private readonly inputs: string[],
    maskOf: (names: string[]) => number
  ) {
    this.sums = inputs.map(() => 0)
    this.checked = !checkpoint?.position
    for (const [input, seq] of checkpoint?.finishedAfter ?? []) this.finished.set(`${input}:${seq}`, -1)
    for (const [input, seq, names] of checkpoint?.partlyFinished ?? [])
      this.finished.set(`${input}:${seq}`, maskOf(names))
  }

  /** True for a record at or before the watermark: finished and counted by the run before. */
  covers(record: KeptRecord | SourceRecord): boolean {
    const position = this.checkpoint?.position
    if (this.checked || !position) return false
    if (record.input < position.input || (record.input === position.input && record.seq <= position.seq)) {
      this.sums[record.input] = addChecksum(this.sums[record.input], checksumOf(record))
      return true
    }
    this.check()
    return false
  }

  /** What the run before finished of a record beyond the watermark; each is handed back once. */
  doneBefore(record: KeptRecord | SourceRecord): DoneBefore | undefined {
    if (this.finished.size === 0) return undefined
    const key = `${record.input}:${record.seq}`
    const done = this.finished.get(key)
    if (done !== undefined) this.finished.delete(key)
    return done
  }

  /** The checkpoint's finished records not read yet: a checkpoint written now must still list them. */
  pending(names: (mask: number) => string[]): {
    finishedAfter: [number, number][]
    partlyFinished: [number, number, string[]][]
  } {
    const finishedAfter: [number, number][] = []
    const partlyFinished: [number, number, string[]][] = []
    for (const [key, done] of this.finished) {
      const [input, seq] = key.split(':').map(Number)
      if (done === -1) finishedAfter.push([input, seq])
      else partlyFinished.push([input, seq, names(done)])
    }
    return { finishedAfter, partlyFinished }
  }

  /** Compares what was skipped with the checkpoint: at the first record beyond the watermark, or at the end. */
  check(): void {
    const { checkpoint } = this
    if (this.checked || !checkpoint?.position) return
    this.checked = true
    for (let input = 0; input <= checkpoint.position.input; input++) {
      if (this.sums[input] !== checkpoint.prefix[input]) {
        throw new ConfigError(
          `${this.inputs[input] === '-' ? 'stdin' : this.inputs[input]} does not hold the records the checkpoint covers (up to ${input === checkpoint.position.input ? `record ${checkpoint.position.seq}` : 'its end'}): other data under the same name? Nothing was sent. Another run? Give it its own --checkpoint (and --dead-letter). To redo this run from the start instead, add --restart (the dead letters of the run it replaces are moved aside, kept).`
        )
      }
    }
  }
}
