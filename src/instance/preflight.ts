import { setTimeout as delay } from 'node:timers/promises'
import { isDirective, transform } from '@segment/actions-core'
import type { JSONObject } from '@segment/actions-core'
import { generateFql, parseFql } from '@segment/destination-subscriptions'
import type { AnyDestination } from './any-destination'
import type { SubscriptionConfig } from './config'
import { ConfigError } from './config'
import { isRetryable } from './outcome'
import type { BatchLimits } from './dispatch/batcher'
import { routeOf } from './routes'
import type { Route } from './routes'
import { didYouMean } from './suggest'

type Fields = Record<
  string,
  { required?: boolean; minimum?: number; maximum?: number; dynamic?: unknown; default?: unknown }
>

/** A failure of the whole run found before anything was sent (credentials refused, an unknown choice): exit 1. */
export class RunFailure extends Error {
  override readonly name = 'RunFailure'
}

export interface InstanceCheck {
  settings: JSONObject
  subscriptions: SubscriptionConfig[]
  batch: BatchLimits
  /** How the batch size was given, for messages: `batching.size` or `--batch-size`. */
  batchSizeKey?: string
}

/** The FQL parser's own words, unless they are a crash of its own (a TypeError), which help nobody. */
const parserSays = (error: Error): string => (error instanceof TypeError ? '' : ` (the parser says: ${error.message})`)

/** Most subscriptions in one instance: each is a bit of a 32-bit mask. */
const MAX_SUBSCRIPTIONS = 31

/**
 * Checks a destination instance against the destination's definition before anything is read or
 * sent, and returns the route of each subscription. Every problem is listed, each naming its key;
 * nothing here knows a particular destination.
 */
export function checkInstance(destination: AnyDestination, instance: InstanceCheck): Route[] {
  const { definition } = destination
  const problems: string[] = []
  const declared = new Set([
    ...Object.keys(definition.authentication?.fields ?? {}),
    ...Object.keys((definition as { settings?: object }).settings ?? {})
  ])
  for (const key of Object.keys(instance.settings)) {
    if (!declared.has(key)) {
      problems.push(
        `settings.${key}: ${definition.name} has no such setting${didYouMean(key, declared)}; its settings: ${[...declared].join(', ') || 'none'}`
      )
    }
  }
  if (problems.length === 0) {
    try {
      destination.validateSettings(instance.settings)
    } catch (error) {
      problems.push(`settings: ${(error as Error).message}`)
    }
  }
  if (instance.subscriptions.length > MAX_SUBSCRIPTIONS) {
    problems.push(
      `subscriptions: at most ${MAX_SUBSCRIPTIONS} in one configuration, not ${instance.subscriptions.length}`
    )
  }

  const actions = Object.keys(definition.actions)
  const routes = instance.subscriptions.flatMap((subscription, index): Route[] => {
    const { key } = subscription
    const partnerAction = subscription.partnerAction ?? (actions.length === 1 ? actions[0] : undefined)
    if (partnerAction === undefined) {
      problems.push(`${key}.partnerAction: say which action: ${actions.join(', ')}`)
      return []
    }
    const action = definition.actions[partnerAction]
    if (!action) {
      problems.push(
        `${key}.partnerAction: ${definition.name} has no action "${partnerAction}"${didYouMean(partnerAction, actions)}; its actions: ${actions.join(', ')}`
      )
      return []
    }
    const before = problems.length
    const parsed = parseFql(subscription.subscribe) as ReturnType<typeof parseFql> & { error?: Error }
    if (parsed.error)
      problems.push(
        `${key}.subscribe: ${JSON.stringify(subscription.subscribe)} is not a trigger in Segment's subscription syntax, such as 'type = "track" and event = "Order Completed"'${parserSays(parsed.error)}`
      )
    else problems.push(...misreadProblems(key, subscription.subscribe, parsed))
    const fields = action.fields as Fields
    problems.push(...mappingProblems(key, subscription.mapping, fields))
    problems.push(...batchProblems(instance, fields))
    if (problems.length > before) return []
    // The runner's batch limits are the action's too, so that its requests agree with the batches it is given.
    const mapping: JSONObject = { ...subscription.mapping }
    if ('batch_size' in fields) mapping.batch_size = instance.batch.size
    if ('batch_bytes' in fields) mapping.batch_bytes = instance.batch.bytes
    const batchKeys = mapping.batch_keys ?? fields.batch_keys?.default ?? []
    return [
      routeOf(
        index,
        subscription.name,
        { subscribe: subscription.subscribe, partnerAction, mapping },
        Array.isArray(batchKeys) ? batchKeys.map(String) : []
      )
    ]
  })
  problems.push(...twinProblems(definition, routes, instance.subscriptions))
  if (problems.length > 0) {
    throw new ConfigError(
      `The configuration does not fit ${definition.name}:\n${[...new Set(problems)].map((p) => `  ${p}`).join('\n')}`
    )
  }
  return routes
}

/**
 * Two subscriptions of one action with the same trigger that send to the same place (the same literal values of
 * its fields with dynamic choices, such as Listrak's event configuration; without such fields, the same mapping)
 * would send every event they match twice: a customer who hears twice.
 */
function twinProblems(definition: AnyDestination['definition'], routes: Route[], subscriptions: SubscriptionConfig[]) {
  const seen = new Map<string, Route>()
  return routes.flatMap((route) => {
    const { partnerAction, subscribe, mapping } = route.subscription
    const fields = definition.actions[partnerAction].fields as Fields
    const dynamic = Object.keys(fields).filter((field) => fields[field].dynamic && typeof mapping[field] === 'string')
    const target = dynamic.length > 0 ? dynamic.map((field) => [field, mapping[field]]) : mapping
    const signature = JSON.stringify([partnerAction, subscribe.replace(/\s+/g, ' ').trim(), target])
    const twin = seen.get(signature)
    seen.set(signature, twin ?? route)
    if (!twin) return []
    const sameTarget =
      dynamic.length > 0 ? dynamic.map((field) => `${field} ${JSON.stringify(mapping[field])}`).join(', ') : 'mapping'
    return [
      `${subscriptions[route.index].key}: repeats ${subscriptions[twin.index].key} ("${twin.name}"), the same trigger and the same ${sameTarget}: every event they match would be sent twice; remove one`
    ]
  })
}

/** A trigger as text, for comparing what was written with what was read: case, spacing, quotes and parentheses aside. */
const triggerText = (fql: string): string =>
  fql
    .toLowerCase()
    .replace(/\bexists\b/g, '!=null')
    .replace(/[\s"'()]/g, '')

/**
 * Segment's parser is lenient: it reads `event = Order Completed` as `event = "Order"` and an empty value as
 * "eos", and the trigger then matches other events than the ones meant, silently. What it read, written back
 * (`generateFql`), must say what the trigger says.
 */
function misreadProblems(key: string, subscribe: string, parsed: ReturnType<typeof parseFql>): string[] {
  const read = generateFql(parsed)
  if (triggerText(read) === triggerText(subscribe)) return []
  return [
    `${key}.subscribe: Segment's parser reads ${JSON.stringify(subscribe)} as ${JSON.stringify(read)}; quote each value, as in 'event = "Order Completed"'`
  ]
}

function mappingProblems(key: string, mapping: JSONObject, fields: Fields): string[] {
  const problems: string[] = []
  const names = Object.keys(fields)
  for (const field of Object.keys(mapping)) {
    // actions-core's own keys (a sync mode's `__segment_internal_sync_mode`) sit beside the fields.
    if (!(field in fields) && !field.startsWith('__segment_internal_')) {
      problems.push(
        `${key}.mapping.${field}: the action has no field "${field}"${didYouMean(field, names)}; its fields: ${names.join(', ')}`
      )
    }
  }
  for (const [field, definition] of Object.entries(fields)) {
    if (definition.required && !(field in mapping)) {
      problems.push(`${key}.mapping.${field}: the action requires this field; map it`)
    }
  }
  try {
    // A directive of the wrong shape fails on any event: say so now, not once per event.
    transform(mapping, {})
  } catch (error) {
    problems.push(...directiveProblems(key, error))
  }
  return problems
}

/** The mapping kit's directives (its validator does not export their names), for did-you-mean. */
const DIRECTIVES = [
  '@path',
  '@if',
  '@template',
  '@literal',
  '@case',
  '@replace',
  '@arrayPath',
  '@json',
  '@merge',
  '@flatten',
  '@transform',
  '@excludeWhenNull',
  '@liquid'
]

/**
 * The mapping kit's validation errors, one line each and naming the key: it throws an AggregateError of
 * ValidationErrors (`/dataFields/orderDate has an invalid directive: @paht.`) whose message is their stacks.
 */
function directiveProblems(key: string, error: unknown): string[] {
  const errors = Symbol.iterator in Object(error) ? [...(error as Iterable<Error>)] : [error as Error]
  return errors.map((each) => {
    const message = String(each.message).trim().split('\n')[0]
    const [, pointer = '', what = message] = /^\/(\S*) (.*?)\.?$/.exec(message) ?? []
    const at = pointer ? `.${pointer.split('/').join('.')}` : ''
    const directive = /invalid directive: (@\S+)$/.exec(what)?.[1]
    return `${key}.mapping${at}: ${what}${directive ? didYouMean(directive, DIRECTIVES) : ''}`
  })
}

/** The runner's batch limits must be values the action's batching fields accept. */
function batchProblems(instance: InstanceCheck, fields: Fields): string[] {
  const limits: [string, number, Fields[string] | undefined][] = [
    [instance.batchSizeKey ?? 'batching.size', instance.batch.size, fields.batch_size],
    ['batching.bytes', instance.batch.bytes, fields.batch_bytes]
  ]
  return limits.flatMap(([key, value, field]) => {
    if (!field) return []
    if (field.maximum !== undefined && value > field.maximum)
      return [`${key}: ${value} is more than the action allows (${field.maximum})`]
    if (field.minimum !== undefined && value < field.minimum)
      return [`${key}: ${value} is less than the action allows (${field.minimum})`]
    return []
  })
}

interface DynamicChoices {
  choices?: { value: string; label: string }[]
  error?: { message: string; code?: string }
}

/** Preflight asks the API a few questions before the run; a throttled or failing answer is asked again, a few times. */
const ATTEMPTS = 5
const FIRST_DELAY_MS = 100

async function askUntilAnswered(ask: () => Promise<DynamicChoices>): Promise<DynamicChoices> {
  for (let attempt = 1; ; attempt++) {
    const response = await ask()
    if (!response.error || attempt === ATTEMPTS || !isRetryable(Number(response.error.code))) return response
    await delay(FIRST_DELAY_MS * 2 ** (attempt - 1))
  }
}

const isLiteralObject = (value: JSONObject[string]): value is JSONObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !isDirective(value)

/** The mapping's values that are the same for every event: what a dynamic field may be asked about before any event. */
const literalsOf = (mapping: JSONObject): JSONObject =>
  Object.fromEntries(Object.entries(mapping).filter(([, value]) => !isDirective(value)))

/** A literal value must be one of the choices: its value or its label, as an action may take either (a name). */
function checkChoice(where: string, value: string, choices: { value: string; label: string }[]): void {
  if (choices.some((choice) => choice.value === value || choice.label === value)) return
  const offered = choices.map((choice) =>
    choice.label === choice.value ? choice.value : `${choice.label} (${choice.value})`
  )
  const candidates = choices.flatMap((choice) => [choice.value, choice.label])
  throw new RunFailure(
    `${where}: "${value}" is not one of the choices the account offers${didYouMean(value, candidates)}: ${offered.join(', ') || 'none'}`
  )
}

/**
 * Gets a token, so that refused credentials stop the run before anything is read, and checks each
 * literal mapping value of a field with dynamic choices against the choices the account offers (an
 * event configuration the account does not have, say: RunFailure), and the literal keys of an object
 * field with dynamic keys against the keys it offers (a data field the event's schema does not have:
 * a ConfigError, a mistake of the configuration). Returns the token state for `settings.oauth`.
 */
export async function checkAccount(
  destination: AnyDestination,
  settings: JSONObject,
  routes: Route[]
): Promise<JSONObject> {
  const oauth2 = destination.authentication?.scheme === 'oauth2'
  /** A token; `refused` names the one the API refused, so that a refresh shared with other callers makes a new one. */
  const tokenFor = async (refused: string): Promise<string> => {
    try {
      const tokens = await destination.refreshAccessToken(settings, {
        clientId: '',
        clientSecret: '',
        accessToken: refused,
        refreshToken: ''
      })
      return tokens?.accessToken ?? ''
    } catch (error) {
      const { status, message } = error as { status?: unknown; message?: string }
      // No HTTP answer at all: the token endpoint is down or its URL is wrong, which new credentials will not fix.
      if (typeof status !== 'number') throw new RunFailure(`Cannot reach the API to get a token: ${message}`)
      throw new RunFailure(`Authentication failed: ${message}`)
    }
  }
  const auth = { accessToken: oauth2 ? await tokenFor('') : '', refreshToken: '' }
  const problems: string[] = []
  for (const route of routes) {
    const { partnerAction, mapping } = route.subscription
    const action = destination.definition.actions[partnerAction]
    const dynamicFields = (action.dynamicFields ?? {}) as Record<string, unknown>
    const choicesOf = async (field: string, payload: JSONObject): Promise<DynamicChoices> => {
      const ask = () =>
        askUntilAnswered(
          async () =>
            (await destination.executeDynamicField(partnerAction, field, { settings, payload, auth })) as DynamicChoices
        )
      const response = await ask()
      if (!oauth2 || response.error?.code !== '401') return response
      // The token was revoked since it was issued: a new one, once, as actions-core does for a batch.
      auth.accessToken = await tokenFor(auth.accessToken)
      return ask()
    }
    for (const [field, value] of Object.entries(mapping)) {
      if (!(action.fields[field] as Fields[string] | undefined)?.dynamic) continue
      const where = `subscription "${route.name}": mapping.${field}`
      if (typeof value === 'string' && typeof dynamicFields[field] === 'function') {
        const response = await choicesOf(field, mapping)
        if (response.error) throw new RunFailure(`${where}: cannot list its choices: ${response.error.message}`)
        checkChoice(where, value, response.choices ?? [])
      }
      const keys = (dynamicFields[field] as Record<string, unknown> | undefined)?.__keys__
      if (typeof keys === 'function' && isLiteralObject(value)) {
        // The keys may depend on other fields (an object's keys on the event it goes to): give it their literal values.
        const response = await choicesOf(`${field}.__keys__`, literalsOf(mapping))
        // No list of keys (say, they depend on a value mapped from each event): nothing to check them against.
        if (response.error || !response.choices) continue
        const offered = response.choices.map((choice) => choice.value)
        for (const key of Object.keys(value).filter((key) => !offered.includes(key))) {
          problems.push(
            `${where}.${key}: not one of the keys the account offers for this field${didYouMean(key, offered)}; its keys: ${offered.join(', ') || 'none'}`
          )
        }
      }
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(
      `The configuration does not fit the account:\n${problems.map((problem) => `  ${problem}`).join('\n')}`
    )
  }
  return auth.accessToken ? { access_token: auth.accessToken } : {}
}
