import { readFile } from 'node:fs/promises'
import { z } from 'zod'

const settingValue = z.union([z.string(), z.number(), z.boolean()])

const subscriptionSchema = z
  .object({
    /** Identifies the subscription in progress, the report and dead letters; defaults to its place in the list. */
    name: z.string().trim().min(1).optional(),
    subscribe: z.string().min(1).default('type = "track"'),
    /** The action's key; may be left out when the destination has a single action. */
    partnerAction: z.string().min(1).optional(),
    mapping: z.record(z.string(), z.json())
  })
  .strict()

/** Where a destination with fixed endpoints is pointed instead (a test server, the simulator); https unless loopback. */
const endpointsSchema = z
  .object({
    apiUrl: z.string().min(1),
    tokenUrl: z.string().min(1)
  })
  .partial()
  .strict()

/**
 * A backfill configuration: a destination instance as a CDP stores it (the destination, its settings
 * and its subscriptions), plus how fast to send. Secrets are never here: they come from the environment.
 * A configuration of one `subscription` (the earlier format) reads as a list of one.
 */
export const backfillConfigSchema = z
  .object({
    destination: z.string().min(1).default('actions-listrak-cross-channel'),
    settings: z.record(z.string(), settingValue).default({}),
    endpoints: endpointsSchema.optional(),
    subscriptions: z.array(subscriptionSchema).min(1, 'list at least one subscription').optional(),
    subscription: subscriptionSchema.optional(),
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
  .superRefine((config, context) => {
    if (config.subscription && config.subscriptions) {
      context.addIssue({
        code: 'custom',
        path: ['subscription'],
        message: 'give either "subscriptions" (a list) or "subscription" (one), not both'
      })
    } else if (!config.subscription && !config.subscriptions) {
      context.addIssue({ code: 'custom', path: ['subscriptions'], message: 'list at least one subscription' })
    }
    const names = new Set<string>()
    config.subscriptions?.forEach((subscription, index) => {
      if (subscription.name === undefined) return
      if (names.has(subscription.name)) {
        context.addIssue({
          code: 'custom',
          path: ['subscriptions', index, 'name'],
          message: `"${subscription.name}" names another subscription too; names must differ`
        })
      }
      names.add(subscription.name)
    })
  })
  .transform(({ subscription, subscriptions, ...rest }) => ({
    ...rest,
    subscriptions: (subscriptions ?? (subscription ? [subscription] : [])).map((entry, index, all) => ({
      ...entry,
      name: entry.name ?? (all.length === 1 && subscription ? 'subscription' : `subscriptions[${index}]`),
      /** Where the subscription is in the file, for messages: `subscriptions[1]` or `subscription`. */
      key: subscription ? 'subscription' : `subscriptions[${index}]`
    }))
  }))

export type BackfillConfig = z.output<typeof backfillConfigSchema>
export type SubscriptionConfig = BackfillConfig['subscriptions'][number]

/** A configuration problem: every message names the key and what was expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

export function parseBackfillConfig(input: unknown, source: string): BackfillConfig {
  const parsed = backfillConfigSchema.safeParse(input)
  if (parsed.success) return parsed.data
  const problems = parsed.error.issues.map((issue) => {
    const key =
      issue.path
        .map((part, index) => (typeof part === 'number' ? `[${part}]` : index ? `.${String(part)}` : String(part)))
        .join('') || '(top level)'
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
