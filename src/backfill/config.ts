import { z } from 'zod'
import { instanceShape, listSubscriptions, parseConfig, readConfigFile, refineSubscriptions } from '../instance'

/** A backfill configuration: a destination instance, plus how fast to send and how long a line may be. */
export const backfillConfigSchema = z
  .object({
    ...instanceShape,
    batching: z
      .object({
        size: z.number().int().min(1).default(1000),
        bytes: z.number().int().min(1).default(4_000_000)
      })
      .strict()
      .prefault({}),
    concurrency: z.number().int().min(1).max(64).default(4),
    retry: z
      .object({
        maxAttempts: z.number().int().min(1).max(100).default(8),
        baseDelayMs: z.number().int().min(0).default(500),
        maxDelayMs: z.number().int().min(0).default(30_000)
      })
      .strict()
      .prefault({}),
    maxLineBytes: z
      .number()
      .int()
      .min(1024)
      .default(1 << 20)
  })
  .strict()
  .superRefine(refineSubscriptions)
  .transform(listSubscriptions)

export type BackfillConfig = z.output<typeof backfillConfigSchema>

export const parseBackfillConfig = (input: unknown, source: string): BackfillConfig =>
  parseConfig(backfillConfigSchema, input, source, 'backfill configuration')

export async function loadBackfillConfig(path: string): Promise<BackfillConfig> {
  return parseBackfillConfig(await readConfigFile(path), path)
}
