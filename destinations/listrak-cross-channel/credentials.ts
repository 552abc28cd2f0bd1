import type { ClientCredentials } from './api'
import type { Settings } from './generated-types'

/** The client credentials of the settings, under the names the token exchange uses. */
export function credentialsOf(settings: Settings): ClientCredentials {
  return { clientId: settings.client_id, clientSecret: settings.client_secret }
}
