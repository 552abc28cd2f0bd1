import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { didYouMean } from './suggest'

const settingValue = z.union([z.string(), z.number(), z.boolean()])

const subscriptionSchema = z
  .object({
    /** Identifies the subscription in progress, reports, logs and dead letters; defaults to its place in the list. */
    name: z.string().trim().min(1).optional(),
    subscribe: z.string().min(1).default('type = "track"'),
    /** The action's key; may be left out when the destination has a single action. */
    partnerAction: z.string().min(1).optional(),
    mapping: z.record(z.string(), z.json())
  })
  .strict()

/**
 * The keys of a destination instance as a CDP stores it: the destination (by slug; may be left out when the
 * registry holds one), its settings (secrets never: they come from the environment), where a destination with
 * fixed endpoints is pointed instead (a test server, the simulator), and its subscriptions. A configuration of one
 * `subscription` (the earlier format) reads as a list of one.
 */
const instanceShape = {
  destination: z.string().min(1).optional(),
  settings: z.record(z.string(), settingValue).default({}),
  endpoints: z.record(z.string(), z.string().min(1)).optional(),
  subscriptions: z.array(subscriptionSchema).min(1, 'list at least one subscription').optional(),
  subscription: subscriptionSchema.optional()
}

type SubscriptionInput = z.output<typeof subscriptionSchema>
interface SubscriptionKeys {
  subscription?: SubscriptionInput
  subscriptions?: SubscriptionInput[]
}

/** Either one `subscription` or a list of `subscriptions`, whose names differ. */
function refineSubscriptions<T extends SubscriptionKeys>(config: T, context: z.core.$RefinementCtx<T>): void {
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
}

/** The subscriptions as one list, each with its `name` and its `key` (where it is in the file, for messages). */
function listSubscriptions<T extends SubscriptionKeys>({ subscription, subscriptions, ...rest }: T) {
  return {
    ...rest,
    subscriptions: (subscriptions ?? (subscription ? [subscription] : [])).map((entry, index, all) => ({
      ...entry,
      name: entry.name ?? (all.length === 1 && subscription ? 'subscription' : `subscriptions[${index}]`),
      key: subscription ? 'subscription' : `subscriptions[${index}]`
    }))
  }
}

const batchingSchema = z
  .object({
    size: z.number().int().min(1).default(1000),
    bytes: z.number().int().min(1).default(4_000_000)
  })
  .strict()

const retrySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(100).default(8),
    baseDelayMs: z.number().int().min(0).default(500),
    maxDelayMs: z.number().int().min(0).default(30_000)
  })
  .strict()

/**
 * An instance file, what `listrak backfill` and `listrak serve` both read: the instance, how its events are sent
 * (batch limits, requests at once, retries), and how long an export's line may be (the backfill's reader).
 */
export const instanceFileSchema = z
  .object({
    ...instanceShape,
    batching: batchingSchema.prefault({}),
    concurrency: z.number().int().min(1).max(64).default(4),
    retry: retrySchema.prefault({}),
    maxLineBytes: z
      .number()
      .int()
      .min(1024)
      .default(1 << 20)
  })
  .strict()
  .superRefine(refineSubscriptions)
  .transform(listSubscriptions)

export type InstanceFile = z.output<typeof instanceFileSchema>
export type SubscriptionConfig = InstanceFile['subscriptions'][number]

/** A configuration problem: every message names the key and what was expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

/** The keys each object of the file may hold, by the key that holds it ('' the file itself), for suggestions. */
const KNOWN_KEYS: Record<string, string[]> = {
  '': Object.keys(instanceFileSchema.in.shape),
  subscription: Object.keys(subscriptionSchema.shape),
  batching: Object.keys(batchingSchema.shape),
  retry: Object.keys(retrySchema.shape)
}

/** A did-you-mean for each key the object lacks, from the keys it may hold. */
function suggestKeys(issue: z.core.$ZodIssueUnrecognizedKeys): string {
  const holder = issue.path.at(-1)
  // The file's only lists are its subscriptions.
  const known = KNOWN_KEYS[typeof holder === 'number' ? 'subscription' : String(holder ?? '')] ?? []
  return issue.keys.map((unknown) => didYouMean(unknown, known)).join('')
}

/** Parses an instance file's JSON, or throws a ConfigError naming every key at fault. */
export function parseInstanceFile(input: unknown, source: string): InstanceFile {
  const parsed = instanceFileSchema.safeParse(input)
  if (parsed.success) return parsed.data
  const problems = parsed.error.issues.map((issue) => {
    const key =
      issue.path
        .map((part, index) => (typeof part === 'number' ? `[${part}]` : index ? `.${String(part)}` : String(part)))
        .join('') || '(top level)'
    return `  ${key}: ${issue.message}${issue.code === 'unrecognized_keys' ? suggestKeys(issue) : ''}`
  })
  throw new ConfigError(`${source} is not a valid configuration:\n${problems.join('\n')}`)
}

/** Reads and parses an instance file, or throws a ConfigError saying why it cannot be used. */
export async function loadInstanceFile(path: string): Promise<InstanceFile> {
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
    throw new ConfigError(`${path} is not valid JSON: ${whereJsonFails(text, (error as Error).message)}`)
  }
  return parseInstanceFile(json, path)
}

/** JSON.parse's complaint with its byte position as a line and a column, and a word about comments. */
function whereJsonFails(text: string, message: string): string {
  const position = /at position (\d+)/.exec(message)
  if (!position) return message
  const offset = Number(position[1])
  const before = text.slice(0, offset).split('\n')
  const where = `line ${before.length}, column ${before[before.length - 1].length + 1}`
  const reason = message.replace(/ in JSON at position \d+.*$/, '')
  const comment = /^\/[/*]/.test(text.slice(offset)) ? ': comments are not allowed (the file is JSON, not JSONC)' : ''
  return `${where}: ${reason}${comment}`
}
