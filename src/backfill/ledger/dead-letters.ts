import { createReadStream, createWriteStream } from 'node:fs'
import type { WriteStream } from 'node:fs'
import { rename, stat } from 'node:fs/promises'
import { extname } from 'node:path'
import { createInterface } from 'node:readline'
import { ConfigError } from '../../instance'
import { checkWritable } from '../state/outputs'

/** What a dead-letter line holds besides the event: where it came from, which subscription failed it, and why. */
export interface DeadLetterInfo {
  file: string
  /** Where a person finds the record: `line 12`, `element 5`. */
  where: string
  seq: number
  /** The subscription that rejected the event; null for a record that is not an event. */
  subscription: string | null
  status: number | null
  reason: string
  /** Only the first bytes of an overlong line were kept: a replay never sends them. */
  truncated?: true
  /** The JSON broke here: the input was not read from byte `from` on (`bytes` of it, `raw` their first ones). */
  notRead?: { from: number; bytes: number }
  /** A dead letter replayed and failed again: where it was in the file replayed (file, where, seq are the first). */
  replayedFrom?: { file: string; where: string }
  /** The run that wrote it. */
  run: string
  at: string
}

/** A dead letter to write: the record as read, as text, or in base64 when it was not UTF-8; the writer adds its run. */
export type NewDeadLetter = { deadLetter: Omit<DeadLetterInfo, 'run'> } & ({ raw: string } | { rawBase64: string })

const keyOf = ({ file, seq, subscription }: Pick<DeadLetterInfo, 'file' | 'seq' | 'subscription'>): string =>
  `${file}\u0000${seq}\u0000${subscription ?? ''}`

/**
 * What a dead-letter file holds: the run that wrote it (from its first line; undefined when it is empty,
 * '' when that line is not a dead letter of this tool) and the key of every letter in it.
 */
async function contentOf(path: string): Promise<{ run: string | undefined; keys: Set<string> }> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity })
  let run: string | undefined
  const keys = new Set<string>()
  for await (const line of lines) {
    let info: DeadLetterInfo | undefined
    try {
      info = (JSON.parse(line) as { deadLetter?: DeadLetterInfo }).deadLetter
    } catch {
      // not a dead letter of this tool
    }
    run ??= info?.run ?? ''
    if (info) keys.add(keyOf(info))
  }
  return { run, keys }
}

/** `dl.ndjson` moved aside: `dl.replaced-2026-11-27T15-01-20-352Z.ndjson`, next to it. */
function asideOf(file: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const extension = extname(file)
  return `${file.slice(0, file.length - extension.length)}.replaced-${stamp}${extension}`
}

/**
 * Appends a run's dead letters as NDJSON; `flush` resolves once everything written so far has reached the
 * file. A run writes only to a file of its own: a resume continues the file its run wrote, and no run
 * appends to another's.
 */
export class DeadLetterWriter {
  private stream: WriteStream | undefined

  /**
   * The file is created with the first dead letter, so a clean run leaves none behind. `open` checks it
   * first. `written` holds the letters a resumed run wrote before its crash beyond its checkpoint: read
   * again, their records are not written twice.
   */
  constructor(
    readonly path: string,
    private readonly runId: string,
    private readonly onError: (error: Error) => void,
    private readonly written = new Set<string>(),
    /** Where the dead letters of the run this one replaces were moved, and how many there are. */
    readonly earlier?: { path: string; letters: number }
  ) {}

  /**
   * Checks that the run may write `path`: a new file, an empty one, or one its own run wrote (`resumes`).
   * One written by `replaces` (a run started over with --restart) is moved aside, never emptied: its
   * letters may not have been looked at yet.
   */
  static async open(
    path: string,
    run: { id: string; resumes?: string; replaces?: string },
    onError: (error: Error) => void
  ): Promise<DeadLetterWriter> {
    await checkWritable(path, 'the dead-letter file')
    const size = await stat(path).then(
      (stats) => stats.size,
      () => 0
    )
    let written: Set<string> | undefined
    let earlier: { path: string; letters: number } | undefined
    if (size > 0) {
      const { run: owner, keys } = await contentOf(path)
      if (owner !== undefined && owner === run.replaces) {
        earlier = { path: asideOf(path), letters: keys.size }
        await rename(path, earlier.path)
      } else if (owner !== undefined && owner === run.resumes) written = keys
      else {
        throw new ConfigError(
          `The dead-letter file ${path} holds dead letters of another run, and a run never appends to another's. Replay them with 'listrak backfill --config … ${path} --dead-letter NEW.ndjson', move the file away, or pass another --dead-letter.`
        )
      }
    }
    return new DeadLetterWriter(path, run.id, onError, written, earlier)
  }

  write(letter: NewDeadLetter): void {
    if (this.written.size > 0 && this.written.delete(keyOf(letter.deadLetter))) return
    if (!this.stream) {
      this.stream = createWriteStream(this.path, { flags: 'a' })
      this.stream.on('error', this.onError)
    }
    this.stream.write(`${JSON.stringify({ ...letter, deadLetter: { ...letter.deadLetter, run: this.runId } })}\n`)
  }

  flush(): Promise<void> {
    const stream = this.stream
    if (!stream) return Promise.resolve()
    return new Promise((resolve, reject) => stream.write('', (error) => (error ? reject(error) : resolve())))
  }

  async close(): Promise<void> {
    const stream = this.stream
    if (!stream || stream.destroyed) return
    await new Promise<void>((resolve, reject) =>
      stream.end((error?: Error | null) => (error ? reject(error) : resolve()))
    )
  }
}
