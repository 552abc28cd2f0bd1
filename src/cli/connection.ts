import type { JSONObject } from '@segment/actions-core'
import type { ClientCredentials } from '../../destinations/listrak-cross-channel/auth'
import { resolveEndpoints } from '../../destinations/listrak-cross-channel/sendCustomEvent/endpoints'
import type { Endpoints } from '../../destinations/listrak-cross-channel/sendCustomEvent/endpoints'
import { ConfigError, didYouMean } from '../instance'
import { startSimulator } from '../simulator'

/** Where the secrets come from, by setting: the environment, never a file or a flag. */
export const CREDENTIAL_ENV = { client_id: 'LISTRAK_CLIENT_ID', client_secret: 'LISTRAK_CLIENT_SECRET' } as const

export type FileSettings = Record<string, string | number | boolean>

/** Keys a file must not hold, with where the value belongs instead (the earlier camelCase names included). */
const CREDENTIAL_KEYS: Record<string, string> = {
  client_id: CREDENTIAL_ENV.client_id,
  client_secret: CREDENTIAL_ENV.client_secret,
  clientId: CREDENTIAL_ENV.client_id,
  clientSecret: CREDENTIAL_ENV.client_secret
}

export interface Connection {
  /** The destination's settings: the credentials and any other settings of the file. */
  settings: JSONObject
  credentials: ClientCredentials
  /** Where the API and the token endpoint are: production unless the configuration, a flag or the simulator says otherwise. */
  endpoints: Endpoints
  /** Said to the user: where events go. Never holds a secret. */
  target: string
  close(): Promise<void>
}

/**
 * The destination settings and endpoints a command runs with: the file's settings, the credentials
 * from the environment and the endpoints given (production by default), or with `simulator` an
 * embedded simulator, its endpoints and its credentials.
 */
export async function connect(
  fileSettings: FileSettings,
  options: { endpoints?: Partial<Endpoints>; simulator?: boolean; env?: NodeJS.ProcessEnv } = {}
): Promise<Connection> {
  for (const [key, env] of Object.entries(CREDENTIAL_KEYS)) {
    if (key in fileSettings) {
      throw new ConfigError(
        `settings.${key}: credentials are read from ${env} in the environment, never from a file. Remove the key.`
      )
    }
  }
  for (const key of ['apiUrl', 'tokenUrl']) {
    if (key in fileSettings) {
      throw new ConfigError(
        `settings.${key}: the destination's endpoints are not settings; to point it at another server, give "endpoints": { "${key}": ... } at the top level.`
      )
    }
  }
  const known = ['apiUrl', 'tokenUrl']
  for (const key of Object.keys(options.endpoints ?? {})) {
    if (!known.includes(key))
      throw new ConfigError(
        `endpoints: unknown key "${key}"${didYouMean(key, known)}; the keys are ${known.join(', ')}`
      )
  }
  if (options.simulator) {
    const simulator = await startSimulator()
    const credentials = simulator.credentials
    return {
      settings: { ...fileSettings, client_id: credentials.clientId, client_secret: credentials.clientSecret },
      credentials,
      endpoints: { apiUrl: simulator.apiUrl, tokenUrl: simulator.tokenUrl },
      target: `the embedded simulator at ${simulator.url}`,
      close: () => simulator.close()
    }
  }
  let endpoints: Endpoints
  try {
    endpoints = resolveEndpoints(options.endpoints)
  } catch (error) {
    throw new ConfigError(`endpoints: ${(error as Error).message}`)
  }
  const env = options.env ?? process.env
  const clientId = env[CREDENTIAL_ENV.client_id]
  const clientSecret = env[CREDENTIAL_ENV.client_secret]
  if (!clientId || !clientSecret) {
    throw new ConfigError(
      `Set ${CREDENTIAL_ENV.client_id} and ${CREDENTIAL_ENV.client_secret} in the environment to the Client ID and Client Secret of your Listrak Cross Channel integration (or try --simulator).`
    )
  }
  return {
    settings: { ...fileSettings, client_id: clientId, client_secret: clientSecret },
    credentials: { clientId, clientSecret },
    endpoints,
    target: new URL(endpoints.apiUrl).origin,
    close: () => Promise.resolve()
  }
}
