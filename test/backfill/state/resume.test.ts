import { checksumOf } from '../../../src/backfill/ledger/ledger'
import type { SourceRecord } from '../../../src/backfill/reading'
import type { Checkpoint } from '../../../src/backfill/state/checkpoint'
import { addChecksum } from '../../../src/backfill/state/identity'
import { Resume } from '../../../src/backfill/state/resume'
import { ConfigError } from '../../../src/instance'

const NAMES = ['a', 'b']
const maskOf = (names: string[]) => names.reduce((mask, name) => mask | (1 << NAMES.indexOf(name)), 0)
const namesOf = (mask: number) => NAMES.filter((_, index) => mask & (1 << index))

const record = (input: number, seq: number, text = `{"n":${seq}}`): SourceRecord => ({
  input,
  seq,
  where: `line ${seq}`,
  content: { kind: 'event', event: { type: 'track' }, text }
})

/** A checkpoint of two inputs, finished up to `position`, with the prefix sums of `records` up to it. */
function checkpointOf(
  position: { input: number; seq: number } | null,
  records: SourceRecord[],
  beyond: Pick<Checkpoint, 'finishedAfter' | 'partlyFinished'> = { finishedAfter: [], partlyFinished: [] }
): Checkpoint {
  const prefix = [0, 0]
  for (const each of records) prefix[each.input] = addChecksum(prefix[each.input], checksumOf(each))
  return {
    version: 4,
    runId: 'run',
    identity: { mode: 'real', configuration: { settings: '', subscriptions: '' }, inputs: [] },
    position,
    prefix,
    ...beyond,
    inFlight: 0,
    counts: { read: 0, blankLines: 0, unreadable: 0, unreadBytes: 0, duplicates: 0, unmatched: 0, subscriptions: {} },
    complete: false,
    updatedAt: ''
  }
}

describe('Resume', () => {
  const inputs = ['first.ndjson', 'second.ndjson']

  it('covers the records up to the watermark across inputs, and none after it', () => {
    const earlier = [record(0, 1), record(0, 2), record(1, 1)]
    const resume = new Resume(checkpointOf({ input: 1, seq: 1 }, earlier), inputs, maskOf)
    expect(earlier.map((each) => resume.covers(each))).toEqual([true, true, true])
    expect(resume.covers(record(1, 2))).toBe(false)
    expect(resume.covers(record(1, 3))).toBe(false)
  })

  it('covers nothing without a checkpoint or before a first watermark', () => {
    expect(new Resume(undefined, inputs, maskOf).covers(record(0, 1))).toBe(false)
    expect(new Resume(checkpointOf(null, []), inputs, maskOf).covers(record(0, 1))).toBe(false)
  })

  it('refuses, naming the input, records that differ from those the checkpoint covers', () => {
    const resume = new Resume(checkpointOf({ input: 0, seq: 2 }, [record(0, 1), record(0, 2)]), inputs, maskOf)
    resume.covers(record(0, 1))
    resume.covers(record(0, 2, '{"n":"changed"}'))
    expect(() => resume.covers(record(0, 3))).toThrow(ConfigError)
    expect(() => new Resume(checkpointOf({ input: 0, seq: 2 }, [record(0, 1)]), inputs, maskOf).check()).toThrow(
      /first\.ndjson does not hold the records the checkpoint covers \(up to record 2\)/
    )
  })

  it('checks at the end an input that ended before the watermark', () => {
    const resume = new Resume(
      checkpointOf({ input: 0, seq: 3 }, [record(0, 1), record(0, 2), record(0, 3)]),
      inputs,
      maskOf
    )
    resume.covers(record(0, 1))
    expect(() => resume.check()).toThrow(/first\.ndjson does not hold the records/)
  })

  it('hands back what was finished beyond the watermark once each, and lists what was not read yet', () => {
    const checkpoint = checkpointOf({ input: 0, seq: 1 }, [record(0, 1)], {
      finishedAfter: [
        [0, 3],
        [0, 5]
      ],
      partlyFinished: [[0, 4, ['b']]]
    })
    const resume = new Resume(checkpoint, inputs, maskOf)
    expect(resume.doneBefore(record(0, 3))).toBe(-1)
    expect(resume.doneBefore(record(0, 3))).toBeUndefined()
    expect(resume.doneBefore(record(0, 4))).toBe(maskOf(['b']))
    expect(resume.doneBefore(record(0, 2))).toBeUndefined()
    expect(resume.pending(namesOf)).toEqual({ finishedAfter: [[0, 5]], partlyFinished: [] })
  })
})
