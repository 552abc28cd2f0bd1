import {
  ErrorCodes,
  getErrorCodeFromHttpStatus,
  IntegrationError,
  InvalidAuthenticationError
} from '@segment/actions-core'
import type { ModifiedResponse, RequestClient } from '@segment/actions-core'
import { parseResponseMeta, parseTokenResponse } from './contract'
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

export interface ClientCredentials {
  clientId: string
  clientSecret: string
}

const pendingTokens = new Map<string, Promise<string>>()
const recentTokens = new Map<string, { token: string; at: number }>()
/** Tokens Listrak answered 401 for; bounded, since a long run sees a new one every hour or so. */
const rejectedTokens = new Set<string>()
/** A token this young, and not refused, is handed to a refresh instead of a new one (see refreshedAccessToken). */
const REUSE_MS = 30_000

const credentialsKey = (tokenUrl: string, credentials: ClientCredentials) =>
  [tokenUrl, credentials.clientId, credentials.clientSecret].join('\u0000')

/**
 * OAuth2 client-credentials exchange, through the request client actions-core hands the caller.
 * Concurrent callers with the same credentials share one token request, so that many batches
 * meeting an expired token at once cause one refresh, not a storm.
 */
export function fetchAccessToken(
  request: RequestClient,
  tokenUrl: string,
  credentials: ClientCredentials
): Promise<string> {
  const key = credentialsKey(tokenUrl, credentials)
  const pending = pendingTokens.get(key)
  if (pending) return pending
  const token = requestToken(request, tokenUrl, credentials)
    .then((value) => {
      recentTokens.set(key, { token: value, at: Date.now() })
      return value
    })
    .finally(() => pendingTokens.delete(key))
  pendingTokens.set(key, token)
  return token
}

/**
 * The token for a refresh after a 401. When many batches were sent with the token that just
 * expired, their 401s come back one after another, after the first refresh has finished: the
 * token that refresh fetched is theirs to use, rather than one new token per batch. A token
 * Listrak has itself refused is never handed out again.
 */
export function refreshedAccessToken(
  request: RequestClient,
  tokenUrl: string,
  credentials: ClientCredentials
): Promise<string> {
  const recent = recentTokens.get(credentialsKey(tokenUrl, credentials))
  if (recent && !rejectedTokens.has(recent.token) && Date.now() - recent.at < REUSE_MS)
    return Promise.resolve(recent.token)
  return fetchAccessToken(request, tokenUrl, credentials)
}

/** Notes the token a 401 answered, from the request's Authorization header, so no refresh hands it out again. */
export function noteRejectedToken(response: ModifiedResponse): void {
  const header = (response as ModifiedResponse & { request?: Request }).request?.headers.get('authorization')
  const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined
  if (!token) return
  if (rejectedTokens.size >= 1000) rejectedTokens.clear()
  rejectedTokens.add(token)
}

/** Messages name the status, never the secret. */
async function requestToken(request: RequestClient, tokenUrl: string, credentials: ClientCredentials): Promise<string> {
  const response = await request(tokenUrl, {
    method: 'post',
    throwHttpErrors: false,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret
    }).toString()
  })
  if (response.status === 400 || response.status === 401 || response.status === 403) {
    throw new InvalidAuthenticationError(
      `Listrak refused the client credentials (HTTP ${response.status}). Check the client id and secret of your Cross Channel integration, and that its API access is not paused.`
    )
  }
  if (!response.ok) {
    throw new IntegrationError(
      `Listrak's token endpoint answered HTTP ${response.status}.`,
      ErrorCodes.OAUTH_REFRESH_FAILED,
      response.status
    )
  }
  const parsed = parseTokenResponse(readJson(response))
  if (!parsed) {
    throw new IntegrationError(
      "Listrak's token endpoint answered without an access_token.",
      ErrorCodes.OAUTH_REFRESH_FAILED,
      502
    )
  }
  return parsed.access_token
}

/** GET an API resource with an explicit token and parse it; used where the framework does not refresh tokens. */
export async function getWithToken<T>(
  request: RequestClient,
  url: string,
  token: string,
  parse: BodyParser<T>
): Promise<T> {
  const response = await request(url, {
    method: 'get',
    throwHttpErrors: false,
    headers: { authorization: `Bearer ${token}` }
  })
  return parseApiResponse(response, parse)
}

/** The body of an API response, checked against the contract; a failure becomes an error with the status. */
export function parseApiResponse<T>(response: ModifiedResponse, parse: BodyParser<T>): T {
  if (response.status === 401) {
    noteRejectedToken(response)
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

/**
 * GET a resource outside an action (dropdowns, connection checks), where actions-core does not
 * refresh tokens: the stored token is tried first, and on a 401 (or when there is none) a fresh
 * one is fetched with the client credentials, twice at the most.
 */
export async function getWithClientCredentials<T>(
  request: RequestClient,
  tokenUrl: string,
  credentials: ClientCredentials,
  accessToken: string | undefined,
  url: string,
  parse: BodyParser<T>
): Promise<T> {
  // The stored token if there is one, then up to two new ones (undefined: fetch a new one).
  const tokens: (string | undefined)[] = accessToken ? [accessToken, undefined, undefined] : [undefined, undefined]
  for (const [index, token] of tokens.entries()) {
    try {
      return await getWithToken(request, url, token ?? (await fetchAccessToken(request, tokenUrl, credentials)), parse)
    } catch (error) {
      // A refused token, even a new one (revoked at once), earns one more try with a new token.
      if (!(error instanceof InvalidAuthenticationError) || index === tokens.length - 1) throw error
    }
  }
  throw new InvalidAuthenticationError('Listrak rejected the access token (HTTP 401).')
}
