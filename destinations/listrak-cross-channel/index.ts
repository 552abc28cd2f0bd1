import { defaultValues } from '@segment/actions-core'
import type { DestinationDefinition } from '@segment/actions-core'
import { credentialsOf, fetchAccessToken, getWithToken } from './auth'
import type { Settings } from './generated-types'
import { buildAction } from './sendCustomEvent'
import { eventConfigurationsUrl } from './sendCustomEvent/api'
import { parseEventConfigurationList } from './sendCustomEvent/contract'
import { PRODUCTION_ENDPOINTS, resolveEndpoints } from './sendCustomEvent/endpoints'
import type { Endpoints } from './sendCustomEvent/endpoints'

/**
 * The destination, sending to `endpoints` instead of Listrak's production servers: for the
 * simulator, tests and tools, never for a customer (a CDP is multi-tenant, so no setting chooses
 * a host). Each endpoint must use https, except on this machine.
 */
export function withEndpoints(endpoints: Partial<Endpoints>): DestinationDefinition<Settings> {
  const { apiUrl, tokenUrl } = resolveEndpoints(endpoints)
  const action = buildAction({ apiUrl, tokenUrl })
  return {
    name: 'Listrak Cross Channel',
    slug: 'actions-listrak-cross-channel',
    mode: 'cloud',
    description:
      'Send customer events to Listrak Cross Channel custom events, to start Journey Hub automations (emails, texts) and personalise them.',
    authentication: {
      scheme: 'oauth2',
      fields: {
        client_id: {
          label: 'Client ID',
          description:
            'The Client ID of your Listrak Cross Channel integration (Integrations → Integration Management).',
          type: 'string',
          required: true
        },
        client_secret: {
          label: 'Client Secret',
          description: 'The Client Secret of your Listrak Cross Channel integration.',
          type: 'password',
          required: true
        }
      },
      testAuthentication: async (request, { settings }) => {
        const token = await fetchAccessToken(request, tokenUrl, credentialsOf(settings))
        return getWithToken(request, eventConfigurationsUrl({ apiUrl, tokenUrl }), token, parseEventConfigurationList)
      },
      // actions-core builds this request without the stored token, so it carries no bearer header.
      refreshAccessToken: async (request, { settings }) => ({
        accessToken: await fetchAccessToken(request, tokenUrl, credentialsOf(settings))
      })
    },
    // No token yet (the first call of a run): send none; Listrak answers 401 and the framework refreshes.
    // Every request sets its own options (API_REQUEST_OPTIONS), so the action needs nothing else from here.
    extendRequest: ({ auth }) =>
      auth?.accessToken ? { headers: { authorization: `Bearer ${auth.accessToken}` } } : {},
    presets: [
      {
        name: 'Track Events to the Custom Event of the Same Name',
        subscribe: 'type = "track"',
        partnerAction: 'sendCustomEvent',
        // The track event's name picks the event configuration of that name (see findEventUID).
        mapping: { ...defaultValues(action.fields), eventUID: { '@path': '$.event' } },
        type: 'automatic'
      }
    ],
    actions: {
      sendCustomEvent: action
    }
  }
}

const destination = withEndpoints(PRODUCTION_ENDPOINTS)

export default destination
