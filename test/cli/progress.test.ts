import { PassThrough } from 'node:stream'
import { describeProgress, showProgress } from '../../src/cli/progress'
import type { BackfillProgress } from '../../src/backfill'

const progress = (bytesRead: number, totalBytes: number | undefined, unfinished = 0): BackfillProgress => ({
  bytesRead,
  totalBytes,
  counts: {
    read: 20_000,
    blankLines: 0,
    unreadable: 2,
    unreadBytes: 0,
    duplicates: 88,
    unmatched: 900,
    unfinished,
    subscriptions: {
      Orders: { accepted: 15_000, rejected: 6, filtered: 5_000, warnings: 0 },
      Views: { accepted: 4_000, rejected: 4, filtered: 16_000, warnings: 0 }
    }
  },
  elapsedMs: 2000
})

describe('progress', () => {
  it('shows what is done, bytes read, events per second, accepted and rejected counts, and an ETA', () => {
    expect(describeProgress(progress(25e6, 100e6))).toBe(
      '[#####---------------] 25% done  25.0 MB/100.0 MB read  10,000 ev/s  accepted 19,000  rejected 12  ETA 0:06'
    )
  })

  it('reaches 100% only when every event read is finished', () => {
    expect(describeProgress(progress(100e6, 100e6, 20_000))).toMatch(/^\[##########----------\] 50% done/)
    expect(describeProgress(progress(100e6, 100e6, 0))).toMatch(/^\[####################\] 100% done/)
  })

  it('shows what it can of stdin, whose size is unknown', () => {
    expect(describeProgress(progress(25e6, undefined))).toBe('25.0 MB read  10,000 ev/s  accepted 19,000  rejected 12')
  })

  it('writes nothing when quiet, and clears its bar when it stops', () => {
    const stream = new PassThrough()
    let written = ''
    stream.on('data', (chunk: Buffer) => (written += chunk.toString()))
    showProgress({ progress: () => progress(1, 2) }, 'quiet', stream)()
    expect(written).toBe('')
    showProgress({ progress: () => progress(1, 2) }, 'bar', stream)()
    expect(written).toBe('\r\x1b[2K')
  })
})
