/**
 * The bodies of Listrak's Cross Channel contract, and checks that an answer has the shape the
 * contract promises. Written out rather than with a schema library, so that the folder needs no
 * dependency Segment's monorepo lacks. Listrak may add fields (not a breaking change by its own
 * versioning policy): unknown keys pass through untouched.
 */

export const IDENTIFIER_TYPES = ['EmailAddress', 'PhoneNumber', 'MobileContactUid'] as const
export type IdentifierType = (typeof IDENTIFIER_TYPES)[number]

export const ATTRIBUTE_TYPES = ['String', 'Int', 'Double', 'Date'] as const
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number]

export type Identifier = {
  identifierValue: string
  identifierType: IdentifierType
}

/** One event as the POST body carries it: `dataFields` values are strings, as the contract says. */
export type ListrakEvent = {
  identifiers: Identifier[]
  dataFields: Record<string, string>
}

export type ResponseMeta = {
  statusCode?: number
  message?: string
  errors?: { userMessage?: string; internalMessage?: string }[]
}

export type EventConfiguration = {
  eventUID: string
  eventName?: string
}

export type EventConfigurationList = {
  data: EventConfiguration[]
  meta?: ResponseMeta
}

export type EventDetail = EventConfiguration & {
  eventSchemaAttrs: Record<string, AttributeType>
  featureAccess?: string[]
}

export type EventDetailResponse = {
  data: EventDetail
  meta?: ResponseMeta
}

export type RecipientDetail = {
  identifiers: Identifier[]
  statusCode: number
  errors?: { errorType?: string; errorMessage?: string }[]
}

export type EventPostResponse = {
  data?: RecipientDetail[]
  meta?: ResponseMeta
}

/** Reads an unknown body as T, or undefined when it does not have the contract's shape. */
export type BodyParser<T> = (body: unknown) => T | undefined

type Check = (value: unknown) => boolean
type Fields = Record<string, unknown>

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const isString: Check = (value) => typeof value === 'string'
const isInteger: Check = (value) => Number.isInteger(value)
const optional =
  (check: Check): Check =>
  (value) =>
    value === undefined || check(value)
const arrayOf =
  (check: Check): Check =>
  (value) =>
    Array.isArray(value) && value.every(check)
const oneOf =
  (values: readonly string[]): Check =>
  (value) =>
    typeof value === 'string' && values.includes(value)
/** An object whose listed keys pass their checks; other keys are not looked at. */
const shape = (checks: Record<string, Check>): Check => {
  const keys = Object.keys(checks)
  return (value) => isObject(value) && keys.every((key) => checks[key](value[key]))
}

const isMeta = shape({
  statusCode: optional(isInteger),
  message: optional(isString),
  errors: optional(arrayOf(shape({ userMessage: optional(isString), internalMessage: optional(isString) })))
})
const isIdentifier = shape({ identifierValue: isString, identifierType: oneOf(IDENTIFIER_TYPES) })
const isConfiguration = shape({ eventUID: isString, eventName: optional(isString) })
const isSchemaAttrs: Check = (value) => isObject(value) && Object.values(value).every(oneOf(ATTRIBUTE_TYPES))
const isRecipientDetail = shape({
  identifiers: optional(arrayOf(isIdentifier)),
  statusCode: isInteger,
  errors: optional(arrayOf(shape({ errorType: optional(isString), errorMessage: optional(isString) })))
})

export const parseResponseMeta: BodyParser<ResponseMeta> = (body) => (isMeta(body) ? (body as ResponseMeta) : undefined)

export const parseEventConfigurationList: BodyParser<EventConfigurationList> = (body) =>
  shape({ data: arrayOf(isConfiguration), meta: optional(isMeta) })(body) ? (body as EventConfigurationList) : undefined

export const parseEventDetail: BodyParser<EventDetailResponse> = (body) => {
  const valid = shape({
    data: shape({
      eventUID: isString,
      eventName: optional(isString),
      eventSchemaAttrs: optional(isSchemaAttrs),
      featureAccess: optional(arrayOf(isString))
    }),
    meta: optional(isMeta)
  })(body)
  if (!valid) return undefined
  const response = body as { data: Fields; meta?: ResponseMeta }
  return {
    ...response,
    data: { ...response.data, eventSchemaAttrs: response.data.eventSchemaAttrs ?? {} } as EventDetail
  }
}

export const parseEventPostResponse: BodyParser<EventPostResponse> = (body) => {
  if (!shape({ data: optional(arrayOf(isRecipientDetail)), meta: optional(isMeta) })(body)) return undefined
  const response = body as { data?: Fields[]; meta?: ResponseMeta }
  if (!response.data) return response as EventPostResponse
  return {
    ...response,
    data: response.data.map((group) => ({ ...group, identifiers: group.identifiers ?? [] }) as RecipientDetail)
  }
}
