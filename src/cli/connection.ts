import type { JSONObject } from '@segment/actions-core'
import { DEFAULT_API_URL, DEFAULT_TOKEN_URL, safeUrl } from '../../destinations/listrak-cross-channel/api'
import type { ClientCredentials } from '../../destinations/listrak-cross-channel/api'
import { ConfigError } from '../backfill/config'
import { startSimulator } from '../simulator'

/** Where the secrets come from: the environment, never a file or a flag. */
export const CREDENTIAL_ENV = { clientId: 'LISTRAK_CLIENT_ID', clientSecret: 'LISTRAK_CLIENT_SECRET' } as const

export type FileSettings = Record<string, string | number | boolean>

export interface Connection {
  /** The destination's settings: `credentials` and any other settings of the file. */
  settings: JSONObject
  credentials: Required<ClientCredentials>
  /** The API base URL the settings point at. */
  apiUrl: string
  /** Said to the user: where events go. Never holds a secret. */
  target: string
  close(): Promise<void>
}

/**
 * The destination settings a command runs with: the file's settings (API location), the
 * credentials from the environment, or with `simulator` an embedded simulator and its credentials.
 */
export async function connect(
  fileSettings: FileSettings,
  options: { simulator?: boolean; env?: NodeJS.ProcessEnv } = {}
): Promise<Connection> {
  for (const key of Object.keys(CREDENTIAL_ENV) as (keyof typeof CREDENTIAL_ENV)[]) {
    if (key in fileSettings) {
      throw new ConfigError(
        `settings.${key}: credentials are read from ${CREDENTIAL_ENV[key]} in the environment, never from a file. Remove the key.`
      )
    }
  }
  if (options.simulator) {
    const simulator = await startSimulator()
    const credentials = { ...simulator.credentials, apiUrl: simulator.apiUrl, tokenUrl: simulator.tokenUrl }
    return {
      settings: { ...fileSettings, ...credentials },
      credentials,
      apiUrl: simulator.apiUrl,
      target: `the embedded simulator at ${simulator.url}`,
      close: () => simulator.close()
    }
  }
  const env = options.env ?? process.env
  const clientId = env[CREDENTIAL_ENV.clientId]
  const clientSecret = env[CREDENTIAL_ENV.clientSecret]
  if (!clientId || !clientSecret) {
    throw new ConfigError(
      `Set ${CREDENTIAL_ENV.clientId} and ${CREDENTIAL_ENV.clientSecret} in the environment to the Client ID and Client Secret of your Listrak Cross Channel integration (or try --simulator).`
    )
  }
  const apiUrl = String(fileSettings.apiUrl ?? DEFAULT_API_URL)
  const tokenUrl = String(fileSettings.tokenUrl ?? DEFAULT_TOKEN_URL)
  try {
    safeUrl(apiUrl, 'settings.apiUrl')
    safeUrl(tokenUrl, 'settings.tokenUrl')
  } catch (error) {
    throw new ConfigError((error as Error).message)
  }
  const credentials = { clientId, clientSecret, apiUrl, tokenUrl }
  return {
    settings: { ...fileSettings, ...credentials },
    credentials,
    apiUrl,
    target: new URL(apiUrl).origin,
    close: () => Promise.resolve()
  }
}
