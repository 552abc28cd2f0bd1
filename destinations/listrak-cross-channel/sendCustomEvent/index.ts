import {
  IntegrationError,
  InvalidAuthenticationError,
  MultiStatusResponse,
  PayloadValidationError,
  RetryableError
} from '@segment/actions-core'
import type { ActionDefinition, DynamicFieldItem, DynamicFieldResponse } from '@segment/actions-core'
import type { Settings } from '../generated-types'
import { eventConfigurationsUrl, eventConfigurationUrl, getResource } from './api'
import { parseEventConfigurationList, parseEventDetail } from './contract'
import type { AttributeType } from './contract'
import { PRODUCTION_ENDPOINTS } from './endpoints'
import type { Endpoints } from './endpoints'
import { findEventUID } from './event-configurations'
import type { Payload } from './generated-types'
import { RETRYABLE_STATUSES } from './results'
import type { EventResult } from './results'
import { DEFAULT_BATCH_BYTES, sendCustomEvents } from './send'
import type { CacheScope } from './send'

const FIELD_TYPES: Record<AttributeType, DynamicFieldItem['type']> = {
  String: 'string',
  Int: 'integer',
  Double: 'number',
  Date: 'datetime'
}

/** The error `perform` throws for a failed event, of the class that tells the framework what to do next. */
function toError(result: Extract<EventResult, { ok: false }>): Error {
  if (result.status === 401) return new InvalidAuthenticationError(result.message)
  if (RETRYABLE_STATUSES.has(result.status)) {
    return new RetryableError(result.message, result.status as ConstructorParameters<typeof RetryableError>[1])
  }
  if (result.errortype === 'PAYLOAD_VALIDATION_FAILED') return new PayloadValidationError(result.message)
  return new IntegrationError(result.message, result.errortype, result.status)
}

function dropdownError(error: unknown): DynamicFieldResponse {
  const { status, message } = error as { status?: number; message?: string }
  return { choices: [], error: { code: String(status ?? 'ERROR'), message: message ?? String(error) } }
}

/** Whose cached event configurations a call may read (see CacheScope). */
function scopeOf(settings: Settings, subscriptionMetadata?: { actionConfigId?: string }): CacheScope {
  return { actionConfigId: subscriptionMetadata?.actionConfigId, clientId: settings.client_id }
}

/**
 * The action, sending to `endpoints`: production in the default export, another server (the
 * simulator, a test server) through the destination's `withEndpoints`. It relies on the destination's
 * `refreshAccessToken` and on its `extendRequest` for the bearer token of every request it makes.
 */
export function buildAction(endpoints: Endpoints): ActionDefinition<Settings, Payload> {
  return {
    title: 'Send Custom Event',
    description:
      'Send events to a Listrak Cross Channel custom event, to start Journey Hub automations and personalise messages.',
    defaultSubscription: 'type = "track"',
    fields: {
      eventUID: {
        label: 'Event Configuration',
        description:
          'The Listrak custom event configuration that receives the events: choose one from the list of your account, or map a value from the event. A value that is not an eventUID is taken as the name of an event configuration.',
        type: 'string',
        required: true,
        dynamic: true
      },
      emailAddress: {
        label: 'Email Address',
        description:
          "The person's email address. Trimmed and lower-cased before sending; a value that is not an email address is left out, with a warning in the event's result.",
        type: 'string',
        category: 'identifier',
        default: {
          '@if': {
            exists: { '@path': '$.context.traits.email' },
            then: { '@path': '$.context.traits.email' },
            else: { '@path': '$.properties.email' }
          }
        }
      },
      phoneNumber: {
        label: 'Phone Number',
        description:
          "The person's phone number. Reduced to its digits before sending; a value without 7 to 15 digits is left out, with a warning in the event's result.",
        type: 'string',
        category: 'identifier',
        default: { '@path': '$.context.traits.phone' }
      },
      mobileContactUid: {
        label: 'Mobile Contact UID',
        description: "Listrak's identifier of the person's mobile contact, if you have it.",
        type: 'string',
        category: 'identifier'
      },
      dataFields: {
        label: 'Data Fields',
        description:
          "The values of the custom event's fields. Keys come from the event configuration's schema; each value is converted to the field's type (String, Int, Double, Date) before sending, and keys the schema does not have are left out.",
        type: 'object',
        dynamic: true,
        additionalProperties: true,
        defaultObjectUI: 'keyvalue',
        default: { '@path': '$.properties' }
      },
      enable_batching: {
        label: 'Batch Data to Listrak',
        description: 'Send events in batches, one request per batch of events with the same event configuration.',
        type: 'boolean',
        default: true
      },
      batch_size: {
        label: 'Batch Size',
        description: 'The most events sent in one request to Listrak.',
        type: 'number',
        default: 1000,
        minimum: 1,
        maximum: 10000,
        unsafe_hidden: true
      },
      batch_bytes: {
        label: 'Batch Bytes',
        description: 'The largest request body, in bytes. A batch that would be larger is sent in several requests.',
        type: 'number',
        default: DEFAULT_BATCH_BYTES,
        minimum: 1000,
        unsafe_hidden: true
      },
      batch_keys: {
        label: 'Batch Keys',
        description: 'Events are batched by event configuration, since each request goes to one event configuration.',
        type: 'string',
        multiple: true,
        unsafe_hidden: true,
        required: false,
        default: ['eventUID']
      }
    },
    dynamicFields: {
      eventUID: async (request) => {
        try {
          const list = await getResource(request, eventConfigurationsUrl(endpoints), parseEventConfigurationList)
          return {
            choices: list.data.map((config) => ({
              label: config.eventName ?? config.eventUID,
              value: config.eventUID,
              description: `eventUID ${config.eventUID}`
            }))
          }
        } catch (error) {
          return dropdownError(error)
        }
      },
      dataFields: {
        __keys__: async (request, { payload }) => {
          if (!payload?.eventUID) {
            return {
              choices: [],
              error: { code: 'EVENT_NOT_SELECTED', message: 'Choose an event configuration first.' }
            }
          }
          try {
            const eventUID = await findEventUID(
              payload.eventUID,
              async () =>
                (await getResource(request, eventConfigurationsUrl(endpoints), parseEventConfigurationList)).data
            )
            const detail = await getResource(request, eventConfigurationUrl(endpoints, eventUID), parseEventDetail)
            return {
              choices: Object.entries(detail.data.eventSchemaAttrs).map(([key, type]) => ({
                label: key,
                value: key,
                type: FIELD_TYPES[type],
                description: `${type} field of ${detail.data.eventName ?? payload.eventUID}`
              }))
            }
          } catch (error) {
            return dropdownError(error)
          }
        }
      }
    },
    perform: async (request, { settings, payload, subscriptionMetadata }) => {
      const [result] = await sendCustomEvents(request, endpoints, scopeOf(settings, subscriptionMetadata), [payload])
      if (!result.ok) throw toError(result)
      return result.body
    },
    performBatch: async (request, { settings, payload, subscriptionMetadata }) => {
      const results = await sendCustomEvents(request, endpoints, scopeOf(settings, subscriptionMetadata), payload)
      const response = new MultiStatusResponse()
      results.forEach((result, index) => {
        if (result.ok) {
          response.setSuccessResponseAtIndex(index, {
            status: result.status,
            sent: result.sent ?? {},
            body: result.body
          })
        } else {
          response.setErrorResponseAtIndex(index, {
            status: result.status,
            errortype: result.errortype,
            errormessage: result.message,
            sent: result.sent,
            body: result.body
          })
        }
      })
      return response
    }
  }
}

export default buildAction(PRODUCTION_ENDPOINTS)
