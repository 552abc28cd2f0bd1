import { defaultValues } from '@segment/actions-core'
import type { DestinationDefinition } from '@segment/actions-core'
import {
  DEFAULT_API_URL,
  DEFAULT_TOKEN_URL,
  eventConfigurationListSchema,
  eventConfigurationsUrl,
  fetchAccessToken,
  getWithToken,
  refreshedAccessToken
} from './api'
import type { Settings } from './generated-types'
import sendCustomEvent from './sendCustomEvent'

const destination: DestinationDefinition<Settings> = {
  name: 'Listrak Cross Channel',
  slug: 'actions-listrak-cross-channel',
  mode: 'cloud',
  description:
    'Send customer events to Listrak Cross Channel custom events, to start Journey Hub automations (emails, texts) and personalise them.',
  authentication: {
    scheme: 'oauth2',
    fields: {
      clientId: {
        label: 'Client ID',
        description: 'The Client ID of your Listrak Cross Channel integration (Integrations → Integration Management).',
        type: 'string',
        required: true
      },
      clientSecret: {
        label: 'Client Secret',
        description: 'The Client Secret of your Listrak Cross Channel integration.',
        type: 'password',
        required: true
      },
      apiUrl: {
        label: 'API URL',
        description: `The base URL of the Cross Channel API. Leave it as it is unless you test against another server; it must use https except on localhost.`,
        type: 'string',
        format: 'uri',
        default: DEFAULT_API_URL
      },
      tokenUrl: {
        label: 'Token URL',
        description: `Listrak's OAuth2 token endpoint. Leave it as it is unless you test against another server; it must use https except on localhost.`,
        type: 'string',
        format: 'uri',
        default: DEFAULT_TOKEN_URL
      }
    },
    testAuthentication: async (request, { settings }) => {
      const token = await fetchAccessToken(settings)
      return getWithToken(request, eventConfigurationsUrl(settings), token, eventConfigurationListSchema)
    },
    refreshAccessToken: async (_request, { settings }) => ({ accessToken: await refreshedAccessToken(settings) })
  },
  extendRequest: ({ auth }) => ({
    // actions-core would otherwise read a clone of each response and leave the original unread: with
    // node-fetch, a body over 16 KB (a batch's per-recipient answer) then stalls the clone for ever.
    skipResponseCloning: true,
    // No token yet (the first call of a run): send none; Listrak answers 401 and the framework refreshes.
    ...(auth?.accessToken ? { headers: { authorization: `Bearer ${auth.accessToken}` } } : {})
  }),
  presets: [
    {
      name: 'Track Events to a Custom Event',
      subscribe: 'type = "track"',
      partnerAction: 'sendCustomEvent',
      mapping: defaultValues(sendCustomEvent.fields),
      type: 'automatic'
    }
  ],
  actions: {
    sendCustomEvent
  }
}

export default destination
