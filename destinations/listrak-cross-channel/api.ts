import { createRequestClient, IntegrationError, InvalidAuthenticationError } from '@segment/actions-core'
import type { ModifiedResponse, RequestClient } from '@segment/actions-core'
import { z } from 'zod'

/** Production locations, from Listrak's Cross Channel API reference. */
export const DEFAULT_API_URL = 'https://api.listrak.com/crosschannel/v1'
export const DEFAULT_TOKEN_URL = 'https://auth.listrak.com/OAuth2/Token'

export const IDENTIFIER_TYPES = ['EmailAddress', 'PhoneNumber', 'MobileContactUid'] as const
export type IdentifierType = (typeof IDENTIFIER_TYPES)[number]

export const ATTRIBUTE_TYPES = ['String', 'Int', 'Double', 'Date'] as const
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number]

// zod schemas of the bodies in the contract. Listrak may add fields (not a breaking change by its
// own versioning policy), so objects are parsed loosely: unknown keys pass through untouched.

const errorSchema = z.object({ userMessage: z.string().optional(), internalMessage: z.string().optional() })

export const responseMetaSchema = z.object({
  statusCode: z.number().int().optional(),
  message: z.string().optional(),
  errors: z.array(errorSchema).optional()
})
export type ResponseMeta = z.infer<typeof responseMetaSchema>

export const identifierSchema = z.object({
  identifierValue: z.string(),
  identifierType: z.enum(IDENTIFIER_TYPES)
})
export type Identifier = z.infer<typeof identifierSchema>

/** One event as the POST body carries it: `dataFields` values are strings, as the contract says. */
export type ListrakEvent = {
  identifiers: Identifier[]
  dataFields: Record<string, string>
}

export const eventConfigurationListSchema = z.object({
  data: z.array(z.object({ eventUID: z.string(), eventName: z.string().optional() })),
  meta: responseMetaSchema.optional()
})
export type EventConfiguration = z.infer<typeof eventConfigurationListSchema>['data'][number]

export const eventDetailSchema = z.object({
  data: z.object({
    eventUID: z.string(),
    eventName: z.string().optional(),
    eventSchemaAttrs: z.record(z.string(), z.enum(ATTRIBUTE_TYPES)).default({}),
    featureAccess: z.array(z.string()).optional()
  }),
  meta: responseMetaSchema.optional()
})
export type EventDetail = z.infer<typeof eventDetailSchema>['data']

export const recipientDetailSchema = z.object({
  identifiers: z.array(identifierSchema).default([]),
  statusCode: z.number().int(),
  errors: z.array(z.object({ errorType: z.string().optional(), errorMessage: z.string().optional() })).optional()
})
export type RecipientDetail = z.infer<typeof recipientDetailSchema>

export const eventPostResponseSchema = z.object({
  data: z.array(recipientDetailSchema).optional(),
  meta: responseMetaSchema.optional()
})
export type EventPostResponse = z.infer<typeof eventPostResponseSchema>

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.number().optional()
})

export interface ApiLocation {
  apiUrl?: string
  tokenUrl?: string
}

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]'])

function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname)
}

/**
 * Parses a configured base URL and refuses anything that would send credentials in clear text:
 * plain http is only allowed to this machine (the simulator, a test server).
 */
export function safeUrl(value: string, setting: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new IntegrationError(`The ${setting} setting "${value}" is not a valid URL.`, 'INVALID_URL', 400)
  }
  if (url.protocol === 'https:') return url
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return url
  throw new IntegrationError(
    `The ${setting} setting "${url.origin}" must use https (plain http is only allowed to localhost).`,
    'INSECURE_URL',
    400
  )
}

/** The base of every API route, without a trailing slash. */
export function apiBase(location: ApiLocation): string {
  return safeUrl(location.apiUrl || DEFAULT_API_URL, 'API URL').href.replace(/\/+$/, '')
}

export function eventConfigurationsUrl(location: ApiLocation): string {
  return `${apiBase(location)}/eventConfigurations`
}

export function eventConfigurationUrl(location: ApiLocation, eventUID: string): string {
  return `${eventConfigurationsUrl(location)}/${encodeURIComponent(eventUID)}`
}

export function eventsUrl(location: ApiLocation, eventUID: string): string {
  return `${eventConfigurationUrl(location, eventUID)}/events`
}

export interface ClientCredentials extends ApiLocation {
  clientId: string
  clientSecret: string
}

const pendingTokens = new Map<string, Promise<string>>()
const recentTokens = new Map<string, { token: string; at: number }>()
/** Tokens Listrak answered 401 for; bounded, since a long run sees a new one every hour or so. */
const rejectedTokens = new Set<string>()
/** A token this young, and not refused, is handed to a refresh instead of a new one (see refreshedAccessToken). */
const REUSE_MS = 30_000

const credentialsKey = (credentials: ClientCredentials) =>
  [credentials.tokenUrl, credentials.clientId, credentials.clientSecret].join('\u0000')

/**
 * OAuth2 client-credentials exchange. Concurrent callers with the same credentials share one
 * token request, so that many batches meeting an expired token at once cause one refresh, not a storm.
 */
export function fetchAccessToken(credentials: ClientCredentials): Promise<string> {
  const key = credentialsKey(credentials)
  const pending = pendingTokens.get(key)
  if (pending) return pending
  const token = requestToken(credentials)
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
export function refreshedAccessToken(credentials: ClientCredentials): Promise<string> {
  const recent = recentTokens.get(credentialsKey(credentials))
  if (recent && !rejectedTokens.has(recent.token) && Date.now() - recent.at < REUSE_MS)
    return Promise.resolve(recent.token)
  return fetchAccessToken(credentials)
}

/** Notes the token a 401 answered, from the request's Authorization header, so no refresh hands it out again. */
export function noteRejectedToken(response: ModifiedResponse): void {
  const header = (response as ModifiedResponse & { request?: Request }).request?.headers.get('authorization')
  const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined
  if (!token) return
  if (rejectedTokens.size >= 1000) rejectedTokens.clear()
  rejectedTokens.add(token)
}

/**
 * Uses a request client of its own so that no `Authorization: Bearer` header from
 * `extendRequest` rides along on the token request. Messages name the status, never the secret.
 */
async function requestToken(credentials: ClientCredentials): Promise<string> {
  const url = safeUrl(credentials.tokenUrl || DEFAULT_TOKEN_URL, 'token URL').href
  const request = createRequestClient()
  const response = await request(url, {
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
      'OAUTH_REFRESH_FAILED',
      response.status
    )
  }
  const parsed = tokenResponseSchema.safeParse(readJson(response))
  if (!parsed.success) {
    throw new IntegrationError(
      "Listrak's token endpoint answered without an access_token.",
      'OAUTH_REFRESH_FAILED',
      502
    )
  }
  return parsed.data.access_token
}

/** GET an API resource with an explicit token and parse it; used where the framework does not refresh tokens. */
export async function getWithToken<T>(
  request: RequestClient,
  url: string,
  token: string,
  schema: z.ZodType<T>
): Promise<T> {
  const response = await request(url, {
    method: 'get',
    throwHttpErrors: false,
    headers: { authorization: `Bearer ${token}` }
  })
  return parseApiResponse(response, schema)
}

/** The body of an API response, checked against its schema; a failure becomes an IntegrationError with the status. */
export function parseApiResponse<T>(response: ModifiedResponse, schema: z.ZodType<T>): T {
  if (response.status === 401) {
    noteRejectedToken(response)
    throw new InvalidAuthenticationError('Listrak rejected the access token (HTTP 401).')
  }
  const body = readJson(response)
  if (!response.ok) {
    throw new IntegrationError(describeFailure(response.status, body), 'LISTRAK_API_ERROR', response.status)
  }
  const parsed = schema.safeParse(body)
  if (!parsed.success) {
    throw new IntegrationError(
      `Listrak answered HTTP ${response.status} with a body that does not match its API contract.`,
      'LISTRAK_API_ERROR',
      502
    )
  }
  return parsed.data
}

/** A one-line account of a failed response, with Listrak's own message when it gave one. */
export function describeFailure(status: number, body: unknown): string {
  const meta = responseMetaSchema.safeParse((body as { meta?: unknown } | undefined)?.meta)
  const details = meta.success
    ? [meta.data.message, ...(meta.data.errors ?? []).map((error) => error.userMessage)].filter(Boolean)
    : []
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
  credentials: ClientCredentials,
  accessToken: string | undefined,
  url: string,
  schema: z.ZodType<T>
): Promise<T> {
  // The stored token if there is one, then up to two new ones (undefined: fetch a new one).
  const tokens: (string | undefined)[] = accessToken ? [accessToken, undefined, undefined] : [undefined, undefined]
  for (const [index, token] of tokens.entries()) {
    try {
      return await getWithToken(request, url, token ?? (await fetchAccessToken(credentials)), schema)
    } catch (error) {
      // A refused token, even a new one (revoked at once), earns one more try with a new token.
      if (!(error instanceof InvalidAuthenticationError) || index === tokens.length - 1) throw error
    }
  }
  throw new InvalidAuthenticationError('Listrak rejected the access token (HTTP 401).')
}
