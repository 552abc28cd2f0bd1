import { ErrorCodes, IntegrationError } from '@segment/actions-core'
import { LISTRAK_CROSS_CHANNEL_API_VERSION } from './versioning-info'

/** Where the destination sends its requests. Fixed in code: a CDP is multi-tenant, so no customer setting chooses a host. */
export interface Endpoints {
  /** The base of every Cross Channel route, version included. */
  apiUrl: string
  /** The OAuth2 token endpoint. */
  tokenUrl: string
}

/** Production locations, from Listrak's Cross Channel API reference. */
export const PRODUCTION_ENDPOINTS: Endpoints = {
  apiUrl: `https://api.listrak.com/crosschannel/${LISTRAK_CROSS_CHANNEL_API_VERSION}`,
  tokenUrl: 'https://auth.listrak.com/OAuth2/Token'
}

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]'])

function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname)
}

/**
 * Parses an endpoint and refuses anything that would send credentials in clear text: plain http
 * is only allowed to this machine (the simulator, a test server).
 */
export function safeUrl(value: string, name: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new IntegrationError(`The ${name} "${value}" is not a valid URL.`, ErrorCodes.BAD_REQUEST, 400)
  }
  if (url.protocol === 'https:') return url
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return url
  throw new IntegrationError(
    `The ${name} "${url.origin}" must use https (plain http is only allowed to localhost).`,
    ErrorCodes.BAD_REQUEST,
    400
  )
}

/** Production, with whichever endpoints are given instead; each one checked, the API base without a trailing slash. */
export function resolveEndpoints(endpoints: Partial<Endpoints> = {}): Endpoints {
  const apiUrl = endpoints.apiUrl ?? PRODUCTION_ENDPOINTS.apiUrl
  const tokenUrl = endpoints.tokenUrl ?? PRODUCTION_ENDPOINTS.tokenUrl
  return {
    apiUrl: safeUrl(apiUrl, 'apiUrl').href.replace(/\/+$/, ''),
    tokenUrl: safeUrl(tokenUrl, 'tokenUrl').href
  }
}
