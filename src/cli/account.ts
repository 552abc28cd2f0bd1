import { createRequestClient } from '@segment/actions-core'
import type { JSONObject } from '@segment/actions-core'
import { getWithClientCredentials } from '../../destinations/listrak-cross-channel/auth'
import {
  eventConfigurationsUrl,
  eventConfigurationUrl
} from '../../destinations/listrak-cross-channel/sendCustomEvent/api'
import {
  parseEventConfigurationList,
  parseEventDetail
} from '../../destinations/listrak-cross-channel/sendCustomEvent/contract'
import type { EventConfiguration, EventDetail } from '../../destinations/listrak-cross-channel/sendCustomEvent/contract'
import type { Endpoints } from '../../destinations/listrak-cross-channel/sendCustomEvent/endpoints'
import { findEventUID } from '../../destinations/listrak-cross-channel/sendCustomEvent/event-configurations'
import { ConfigError, DestinationInstance, loadInstanceFile, registryEntry } from '../instance'
import type { AnyDefinition, InstanceFile, RegistryEntry } from '../instance'
import type { ResolvedSubscription } from '../tools/preview'
import { UsageError } from './command'
import { connect } from './connection'
import type { Connection } from './connection'

/** The registry entry a configuration names, or a usage error listing the ones there are. */
export function destinationOf(config: { destination?: string }): ReturnType<typeof registryEntry> {
  try {
    return registryEntry(config.destination)
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

/** The entry's definition, pointed at `endpoints` (a connection's, or a capture proxy in front of them). */
export function definitionAt(entry: RegistryEntry, endpoints: Endpoints): ReturnType<RegistryEntry['withEndpoints']> {
  return entry.withEndpoints(endpoints)
}

/** The options every account tool takes to find the API. */
export const connectionOptions = {
  config: { type: 'string' },
  'api-url': { type: 'string' },
  'token-url': { type: 'string' },
  simulator: { type: 'boolean', default: false }
} as const

export const connectionHelp = `  --config FILE       read the API location (endpoints.apiUrl, endpoints.tokenUrl) from a
                      backfill configuration
  --api-url URL       the Cross Channel API base URL (default: Listrak's production API)
  --token-url URL     the OAuth2 token URL (default: Listrak's)
  --simulator         use an embedded API simulator instead (no credentials needed)`

interface ConnectionValues {
  config?: string
  'api-url'?: string
  'token-url'?: string
  simulator?: boolean
}

/** Loads a backfill configuration, turning its problems into usage errors (exit 2). */
export async function loadConfigOrExit(path: string): Promise<InstanceFile> {
  try {
    return await loadInstanceFile(path)
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

/**
 * The configuration's subscriptions, checked against the destination and the account exactly as a backfill checks
 * them (`definition` points at the connection's API): a configuration mistake exits 2, refused credentials or a
 * choice the account lacks 1.
 */
export async function resolveOrExit(
  config: InstanceFile,
  definition: AnyDefinition,
  settings: JSONObject,
  source: string
): Promise<ResolvedSubscription[]> {
  try {
    const instance = new DestinationInstance({
      source: { definition },
      settings,
      subscriptions: config.subscriptions,
      batch: config.batching
    })
    await instance.checkAccount()
    return instance.routes.map((route) => ({
      ...route.subscription,
      name: route.name,
      key: config.subscriptions[route.index].key
    }))
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`${source}: ${error.message}`)
    throw error
  }
}

/**
 * Runs a command's work connected as the options say (flags win over the config file; credentials from the
 * environment), and closes the connection (an embedded simulator) whatever happens.
 */
export async function withConnection<T>(
  values: ConnectionValues,
  run: (connection: Connection) => Promise<T>,
  config?: InstanceFile
): Promise<T> {
  const connection = await connectFromOptions(values, config)
  try {
    return await run(connection)
  } finally {
    await connection.close()
  }
}

/** Connects as the options say: flags win over the config file; credentials from the environment. */
export async function connectFromOptions(values: ConnectionValues, config?: InstanceFile): Promise<Connection> {
  const file = config ?? (values.config ? await loadConfigOrExit(values.config) : undefined)
  const endpoints: Partial<Endpoints> = { ...file?.endpoints }
  if (values['api-url']) endpoints.apiUrl = values['api-url']
  if (values['token-url']) endpoints.tokenUrl = values['token-url']
  try {
    return await connect({ ...file?.settings }, { endpoints, simulator: values.simulator })
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message)
    throw error
  }
}

/** An API failure in words a person can act on: refused credentials, an unknown event, an unreachable API. */
export class AccountError extends Error {
  override readonly name = 'AccountError'
}

const LIST = 'event configurations'

function explain(error: unknown, connection: Connection, what: string): AccountError {
  if (error instanceof AccountError) return error
  const { status, message, code } = error as { status?: number; message?: string; code?: string }
  const cause = (error as { cause?: { code?: string } }).cause?.code
  if (status === undefined && (code || cause || /fetch|ECONN|ENOTFOUND|socket/i.test(message ?? ''))) {
    // Name the endpoint that failed: the token URL and the API URL may be different hosts.
    const failed = /request to (\S+) failed/.exec(message ?? '')?.[1]
    const { tokenUrl, apiUrl } = connection.endpoints
    const where = failed?.startsWith(tokenUrl) ? `the token URL ${tokenUrl}` : `the Listrak API at ${failed ?? apiUrl}`
    return new AccountError(
      `Cannot reach ${where} (${code ?? cause ?? /reason: (.*)$/.exec(message ?? '')?.[1] ?? message}).`
    )
  }
  if (status === 404) {
    return new AccountError(
      what === LIST
        ? `The API at ${connection.endpoints.apiUrl} answered 404 Not Found for its list of event configurations: is the API URL right (endpoints.apiUrl, --api-url)? Listrak's ends in /crosschannel/v1.`
        : `Listrak has no ${what}, or the API URL (${connection.endpoints.apiUrl}) is not right.`
    )
  }
  return new AccountError(message ?? String(error))
}

/** A GET of the account's API with the connection's credentials, a fresh token for each call. */
function get<T>(connection: Connection, url: string, parse: (body: unknown) => T | undefined): Promise<T> {
  const { endpoints, credentials } = connection
  return getWithClientCredentials(createRequestClient(), endpoints.tokenUrl, credentials, undefined, url, parse)
}

export async function listConfigurations(connection: Connection): Promise<EventConfiguration[]> {
  try {
    return (await get(connection, eventConfigurationsUrl(connection.endpoints), parseEventConfigurationList)).data
  } catch (error) {
    throw explain(error, connection, LIST)
  }
}

/** The event configuration with this eventUID, or this name (as the action finds it). */
export async function getEventDetail(connection: Connection, eventUID: string): Promise<EventDetail> {
  try {
    const uid = await findEventUID(eventUID, () => listConfigurations(connection))
    return (await get(connection, eventConfigurationUrl(connection.endpoints, uid), parseEventDetail)).data
  } catch (error) {
    throw explain(
      error,
      connection,
      `event configuration with eventUID "${eventUID}" (list them with 'listrak configs')`
    )
  }
}
