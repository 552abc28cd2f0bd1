import { totalsOf } from '../backfill'
import type { BackfillProgress } from '../backfill'

export type ProgressMode = 'bar' | 'lines' | 'quiet'

const number = new Intl.NumberFormat('en-US')
const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`

function duration(ms: number): string {
  const seconds = Math.round(ms / 1000)
  const minutes = Math.floor(seconds / 60)
  return `${minutes}:${String(seconds % 60).padStart(2, '0')}`
}

function rate(progress: BackfillProgress): number {
  return progress.elapsedMs > 0 ? (progress.counts.read * 1000) / progress.elapsedMs : 0
}

/** One status line: how far, how fast, what happened, how long still. */
export function describeProgress(progress: BackfillProgress, width = 20): string {
  const { bytesRead, totalBytes, counts } = progress
  const parts: string[] = []
  // Done means finished (acknowledged, dead-lettered, skipped), not read: the bytes read, scaled by the
  // share of what was read that is finished, so that the bar reaches 100% only when everything is.
  const finished = counts.read + counts.blankLines
  const done = totalBytes
    ? Math.min(1, bytesRead / totalBytes) * (finished / Math.max(1, finished + counts.unfinished))
    : undefined
  if (totalBytes && done !== undefined) {
    const filled = Math.round(done * width)
    parts.push(`[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.floor(done * 100)}% done`)
    parts.push(`${megabytes(bytesRead)}/${megabytes(totalBytes)} read`)
  } else {
    parts.push(`${megabytes(bytesRead)} read`)
  }
  parts.push(`${number.format(Math.round(rate(progress)))} ev/s`)
  const { accepted, rejected } = totalsOf(counts)
  parts.push(`accepted ${number.format(accepted)}`, `rejected ${number.format(rejected)}`)
  if (done !== undefined && done > 0 && done < 1)
    parts.push(`ETA ${duration(((1 - done) * progress.elapsedMs) / done)}`)
  return parts.join('  ')
}

/**
 * Shows progress on stderr: a bar redrawn in place on a terminal, a status line every few seconds
 * otherwise (logs, CI), nothing when quiet.
 */
export function showProgress(
  source: { progress(): BackfillProgress },
  mode: ProgressMode,
  stream: NodeJS.WritableStream = process.stderr
): () => void {
  if (mode === 'quiet') return () => undefined
  const timer = setInterval(
    () => {
      const line = describeProgress(source.progress())
      stream.write(mode === 'bar' ? `\r\x1b[2K${line}` : `backfill: ${line}\n`)
    },
    mode === 'bar' ? 200 : 5000
  )
  return () => {
    clearInterval(timer)
    if (mode === 'bar') stream.write('\r\x1b[2K')
  }
}
