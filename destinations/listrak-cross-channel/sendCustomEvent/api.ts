import {
  ErrorCodes,
  getErrorCodeFromHttpStatus,
  IntegrationError,
  InvalidAuthenticationError
} from '@segment/actions-core'
import type { ModifiedResponse, RequestClient } from '@segment/actions-core'
import { parseResponseMeta } from './contract'
import type { BodyParser } from './contract'
import type { Endpoints } from './endpoints'

export function eventConfigurationsUrl(endpoints: Endpoints): string {
  return `${endpoints.apiUrl}/eventConfigurations`
}

export function eventConfigurationUrl(endpoints: Endpoints, eventUID: string): string {
  return `${eventConfigurationsUrl(endpoints)}/${encodeURIComponent(eventUID)}`
}

export function eventsUrl(endpoints: Endpoints, eventUID: string): string {
  return `${eventConfigurationUrl(endpoints, eventUID)}/events`
}

/**
 * The options of every API request. actions-core would otherwise read a clone of each response and
 * leave the original unread: with node-fetch, a body over 16 KB (a batch's per-recipient answer) then
 * stalls the clone for ever. Set here, not in `extendRequest`, so that any destination can hold the action.
 */
export const API_REQUEST_OPTIONS = { throwHttpErrors: false, skipResponseCloning: true } as const

/**
 * GET an API resource with the request client the caller was given (its bearer token comes from the
 * destination's `extendRequest`) and parse it against the contract.
 */
export async function getResource<T>(request: RequestClient, url: string, parse: BodyParser<T>): Promise<T> {
  return parseApiResponse(await request(url, { ...API_REQUEST_OPTIONS, method: 'get' }), parse)
}

/** The body of an API response, checked against the contract; a failure becomes an error with the status. */
export function parseApiResponse<T>(response: ModifiedResponse, parse: BodyParser<T>): T {
  if (response.status === 401) {
    throw new InvalidAuthenticationError('Listrak rejected the access token (HTTP 401).')
  }
  const body = readJson(response)
  if (!response.ok) {
    throw new IntegrationError(
      describeFailure(response.status, body),
      getErrorCodeFromHttpStatus(response.status),
      response.status
    )
  }
  const parsed = parse(body)
  if (parsed === undefined) {
    throw new IntegrationError(
      `Listrak answered HTTP ${response.status} with a body that does not match its API contract.`,
      ErrorCodes.BAD_GATEWAY,
      502
    )
  }
  return parsed
}

/** A one-line account of a failed response, with Listrak's own message when it gave one. */
export function describeFailure(status: number, body: unknown): string {
  const meta = parseResponseMeta((body as { meta?: unknown } | undefined)?.meta)
  const details = meta ? [meta.message, ...(meta.errors ?? []).map((error) => error.userMessage)].filter(Boolean) : []
  const suffix = details.length > 0 ? `: ${details.join('; ')}` : ''
  return `Listrak answered HTTP ${status}${suffix}`
}

/** The parsed JSON body, or undefined when there is none (actions-core has already read the text). */
export function readJson(response: ModifiedResponse): unknown {
  if (typeof response.data === 'object' && response.data !== null) return response.data
  if (!response.content) return undefined
  try {
    return JSON.parse(response.content) as unknown
  } catch {
    return undefined
  }
}
