import { ErrorCodes, IntegrationError, InvalidAuthenticationError } from '@segment/actions-core'
import type { RequestClient } from '@segment/actions-core'
import type { Settings } from './generated-types'
import { API_REQUEST_OPTIONS, parseApiResponse, readJson } from './sendCustomEvent/api'
import type { BodyParser } from './sendCustomEvent/contract'

/**
 * The OAuth2 client-credentials exchange of the standalone destination (`refreshAccessToken`,
 * `testAuthentication`) and of the account tools. It keeps no token: tokens are actions-core's to
 * keep (`settings.oauth`, `auth.accessToken`), and each call asks Listrak for a new one.
 */

export interface ClientCredentials {
  clientId: string
  clientSecret: string
}

/** The client credentials of the settings, under the names the token exchange uses. */
export function credentialsOf(settings: Settings): ClientCredentials {
  return { clientId: settings.client_id, clientSecret: settings.client_secret }
}

function accessTokenOf(body: unknown): string | undefined {
  const token = (body as { access_token?: unknown } | undefined)?.access_token
  return typeof token === 'string' && token.length > 0 ? token : undefined
}

/** A new token, through the request client actions-core hands the caller. Messages name the status, never the secret. */
export async function fetchAccessToken(
  request: RequestClient,
  tokenUrl: string,
  credentials: ClientCredentials
): Promise<string> {
  const response = await request(tokenUrl, {
    ...API_REQUEST_OPTIONS,
    method: 'post',
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
  const token = accessTokenOf(readJson(response))
  if (!token) {
    throw new IntegrationError(
      "Listrak's token endpoint answered without an access_token.",
      ErrorCodes.OAUTH_REFRESH_FAILED,
      502
    )
  }
  return token
}

/** GET an API resource with an explicit token and parse it; used where the framework does not refresh tokens. */
export async function getWithToken<T>(
  request: RequestClient,
  url: string,
  token: string,
  parse: BodyParser<T>
): Promise<T> {
  const response = await request(url, {
    ...API_REQUEST_OPTIONS,
    method: 'get',
    headers: { authorization: `Bearer ${token}` }
  })
  return parseApiResponse(response, parse)
}

/**
 * GET a resource outside an action (connection checks, the account tools), where actions-core does
 * not refresh tokens: the stored token is tried first, and on a 401 (or when there is none) a new
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
