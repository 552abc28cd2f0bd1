import { readFile } from 'node:fs/promises'
import { z } from 'zod'

const settingValue = z.union([z.string(), z.number(), z.boolean()])

/** Where a destination with fixed endpoints is pointed instead (a test server, the simulator); https unless loopback. */
const endpointsSchema = z
  .object({
    apiUrl: z.string().min(1),
    tokenUrl: z.string().min(1)
  })
  .partial()
  .strict()

/** backfill.json: what to send where, and how fast. Secrets are never here: they come from the environment. */
export const backfillConfigSchema = z
  .object({
    destination: z.string().min(1).default('actions-listrak-cross-channel'),
    settings: z.record(z.string(), settingValue).default({}),
    endpoints: endpointsSchema.optional(),
    subscription: z
      .object({
        subscribe: z.string().min(1).default('type = "track"'),
        partnerAction: z.string().min(1).default('sendCustomEvent'),
        mapping: z.record(z.string(), z.json())
      })
      .strict(),
    batching: z
      .object({
        size: z.number().int().min(1).max(10_000).default(1000),
        bytes: z.number().int().min(1000).default(4_000_000)
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

export type BackfillConfig = z.output<typeof backfillConfigSchema>

/** A configuration problem: every message names the key and what was expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

export function parseBackfillConfig(input: unknown, source: string): BackfillConfig {
  const parsed = backfillConfigSchema.safeParse(input)
  if (parsed.success) return parsed.data
  const problems = parsed.error.issues.map((issue) => {
    const key = issue.path.join('.') || '(top level)'
    return `  ${key}: ${issue.message}`
  })
  throw new ConfigError(`${source} is not a valid backfill configuration:\n${problems.join('\n')}`)
}

export async function loadBackfillConfig(path: string): Promise<BackfillConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new ConfigError(`Cannot read the configuration ${path}: ${(error as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON: ${(error as Error).message}`)
  }
  return parseBackfillConfig(json, path)
}
