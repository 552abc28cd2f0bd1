import { readFile, rename, writeFile } from 'node:fs/promises'
import { z } from 'zod'
import { ConfigError } from './config'

const countsSchema = z.object({
  accepted: z.number().int().min(0),
  rejected: z.number().int().min(0),
  filtered: z.number().int().min(0),
  duplicates: z.number().int().min(0),
  blankLines: z.number().int().min(0)
})
export type FinishedCounts = z.infer<typeof countsSchema>

const checkpointSchema = z.object({
  version: z.literal(1),
  inputs: z.array(z.string()),
  /** Every line up to and including this one is finished. */
  position: z
    .object({ input: z.number().int().min(0), line: z.number().int().min(0), end: z.number().int().min(0) })
    .nullable(),
  /** Lines beyond `position` that are finished too, as [input, line]. */
  finishedAfter: z.array(z.tuple([z.number().int(), z.number().int()])),
  /** Lines read but not finished when this was written: the most a resume sends again. */
  inFlight: z.number().int().min(0),
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
      const temporary = `${this.path}.tmp`
      await writeFile(temporary, `${JSON.stringify(checkpoint)}\n`)
      await rename(temporary, this.path)
    } while (this.again)
  }
}
