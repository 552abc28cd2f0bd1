import { readFile } from 'node:fs/promises'
import { z } from 'zod'

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
 * `subscription` (the earlier format) reads as a list of one. The backfill and the relay add keys of their own,
 * and refine and transform as `instanceConfigSchema` does.
 */
export const instanceShape = {
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
export function refineSubscriptions<T extends SubscriptionKeys>(config: T, context: z.core.$RefinementCtx<T>): void {
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
export function listSubscriptions<T extends SubscriptionKeys>({ subscription, subscriptions, ...rest }: T) {
  return {
    ...rest,
    subscriptions: (subscriptions ?? (subscription ? [subscription] : [])).map((entry, index, all) => ({
      ...entry,
      name: entry.name ?? (all.length === 1 && subscription ? 'subscription' : `subscriptions[${index}]`),
      key: subscription ? 'subscription' : `subscriptions[${index}]`
    }))
  }
}

export const instanceConfigSchema = z
  .object(instanceShape)
  .strict()
  .superRefine(refineSubscriptions)
  .transform(listSubscriptions)

export type InstanceConfig = z.output<typeof instanceConfigSchema>
export type SubscriptionConfig = InstanceConfig['subscriptions'][number]

/** A configuration problem: every message names the key and what was expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

/** Parses `input` with `schema`, or throws a ConfigError naming every key at fault. */
export function parseConfig<T>(schema: z.ZodType<T>, input: unknown, source: string, what: string): T {
  const parsed = schema.safeParse(input)
  if (parsed.success) return parsed.data
  const problems = parsed.error.issues.map((issue) => {
    const key =
      issue.path
        .map((part, index) => (typeof part === 'number' ? `[${part}]` : index ? `.${String(part)}` : String(part)))
        .join('') || '(top level)'
    return `  ${key}: ${issue.message}`
  })
  throw new ConfigError(`${source} is not a valid ${what}:\n${problems.join('\n')}`)
}

/** The JSON of a configuration file, or a ConfigError saying why it cannot be read. */
export async function readConfigFile(path: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new ConfigError(`Cannot read the configuration ${path}: ${(error as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON: ${whereJsonFails(text, (error as Error).message)}`)
  }
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
