import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { replaceFile } from '../../common/replace-file'
import { ConfigError } from '../../instance'

const count = z.number().int().min(0)
const seqOf = z.tuple([z.number().int().min(0), z.number().int().min(0)])

const countsSchema = z.object({
  read: count,
  blankLines: count,
  unreadable: count,
  unreadBytes: count.default(0),
  duplicates: count,
  unmatched: count,
  subscriptions: z.record(z.string(), z.object({ accepted: count, rejected: count, filtered: count, warnings: count }))
})

const inputIdentitySchema = z.union([
  z.object({ path: z.literal('-') }).strict(),
  z.object({ path: z.string(), size: count, head: z.string(), tail: z.string() }).strict()
])

const checkpointSchema = z.object({
  version: z.literal(4),
  /** Names the run in its dead letters: a resume continues its own dead-letter file and no other. */
  runId: z.string(),
  identity: z.object({
    mode: z.enum(['real', 'dry']),
    configuration: z.object({ settings: z.string(), subscriptions: z.string() }),
    inputs: z.array(inputIdentitySchema)
  }),
  /** Every record up to and including this one is finished. */
  position: z.object({ input: count, seq: count }).nullable(),
  /** Per input, the sum of its records' checksums up to `position`: a resume checks the records it skips. */
  prefix: z.array(count),
  /** Records beyond `position` that are finished too, as [input, seq]. */
  finishedAfter: z.array(seqOf),
  /** Records beyond `position` finished for some of their subscriptions, as [input, seq, names of those done]. */
  partlyFinished: z.array(z.tuple([count, count, z.array(z.string())])),
  /** Records read but not finished when this was written: the most a resume sends again. */
  inFlight: count,
  /** Counts of the finished records. */
  counts: countsSchema,
  complete: z.boolean(),
  updatedAt: z.string()
})
export type Checkpoint = z.infer<typeof checkpointSchema>

/** Reads a checkpoint; a missing file means a fresh start. */
export async function readCheckpoint(path: string): Promise<Checkpoint | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new ConfigError(`The checkpoint ${path} is not JSON; it was not written by this tool.`)
  }
  const version = (json as { version?: unknown } | null)?.version
  // Version 3 summed SHA-1 checksums of the records, version 4 CRC-32 ones: an older sum cannot be checked.
  if (version === 1 || version === 2 || version === 3) {
    throw new ConfigError(
      `The checkpoint ${path} is of version ${version}, written by an earlier version of this tool, and cannot resume this run. Finish that run with the earlier version, or start over with --restart or another --checkpoint file.`
    )
  }
  const parsed = checkpointSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new ConfigError(
      `The checkpoint ${path} is not one this tool wrote: ${issue?.path.join('.')}: ${issue?.message}`
    )
  }
  return parsed.data
}

/**
 * Writes checkpoints atomically (a temporary file renamed over the old one), one at a time: a
 * request made while a write is under way is folded into one more write after it.
 */
export class CheckpointWriter {
  private writing: Promise<void> | undefined
  private again = false

  constructor(
    private readonly path: string,
    private readonly take: () => Promise<Checkpoint>
  ) {}

  request(): Promise<void> {
    if (this.writing) {
      this.again = true
      return this.writing
    }
    this.writing = this.loop().finally(() => (this.writing = undefined))
    return this.writing
  }

  /** Waits for pending writes, then writes once more. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing
    await this.request()
  }

  private async loop(): Promise<void> {
    do {
      this.again = false
      const checkpoint = await this.take()
      await replaceFile(this.path, `${JSON.stringify(checkpoint)}\n`)
    } while (this.again)
  }
}
