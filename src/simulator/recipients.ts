import type { AttributeType, EventConfiguration } from './config'

export interface Identifier {
  identifierType: 'EmailAddress' | 'PhoneNumber' | 'MobileContactUid'
  identifierValue: string
}

export interface IncomingEvent {
  identifiers: Identifier[]
  dataFields?: Record<string, string>
}

export interface RecipientError {
  errorType: string
  errorMessage: string
}

/** The verdict on one event: accepted with the fields the schema keeps, or rejected with reasons. */
export type Verdict =
  { accepted: true; dataFields: Record<string, string> } | { accepted: false; errors: RecipientError[] }

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const PHONE = /^\d{7,15}$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const INT = /^-?\d+$/
const DOUBLE = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

const identifierChecks: Record<Identifier['identifierType'], (value: string) => boolean> = {
  EmailAddress: (value) => EMAIL.test(value),
  PhoneNumber: (value) => PHONE.test(value),
  MobileContactUid: (value) => UUID.test(value)
}

/** "While the values may be passed as strings, it should be possible to parse these values into their defined types." */
const parsesAs: Record<AttributeType, (value: string) => boolean> = {
  String: () => true,
  Int: (value) => INT.test(value) && Number.isSafeInteger(Number(value)),
  Double: (value) => DOUBLE.test(value) && Number.isFinite(Number(value)),
  Date: (value) => value.trim() !== '' && !Number.isNaN(Date.parse(value))
}

/** Judges one event against its configuration, as the contract describes: extra fields are discarded. */
export function judgeEvent(event: IncomingEvent, configuration: EventConfiguration): Verdict {
  const errors: RecipientError[] = []
  for (const { identifierType, identifierValue } of event.identifiers) {
    if (!identifierChecks[identifierType](identifierValue)) {
      errors.push({
        errorType: 'InvalidIdentifier',
        errorMessage: `${identifierType} '${identifierValue}' is not a valid ${identifierType}.`
      })
    }
  }
  const kept: [string, string][] = []
  for (const [key, value] of Object.entries(event.dataFields ?? {})) {
    const type = Object.hasOwn(configuration.eventSchemaAttrs, key) ? configuration.eventSchemaAttrs[key] : undefined
    if (type === undefined) continue
    if (!parsesAs[type](value)) {
      errors.push({
        errorType: 'InvalidDataField',
        errorMessage: `Data field '${key}' value '${value}' is not a valid ${type}.`
      })
      continue
    }
    kept.push([key, value])
  }
  return errors.length > 0 ? { accepted: false, errors } : { accepted: true, dataFields: Object.fromEntries(kept) }
}

/** Groups recipients by status, each identifier listed once per group, as the contract's RecipientDetailResponse allows. */
export function groupRecipients(
  events: IncomingEvent[],
  verdicts: Verdict[]
): { identifiers: Identifier[]; statusCode: number; errors: RecipientError[] }[] {
  const groups = new Map<number, { identifiers: Map<string, Identifier>; errors: RecipientError[] }>()
  events.forEach((event, index) => {
    const verdict = verdicts[index]
    const statusCode = verdict.accepted ? 200 : 400
    let group = groups.get(statusCode)
    if (!group) {
      group = { identifiers: new Map(), errors: [] }
      groups.set(statusCode, group)
    }
    for (const identifier of event.identifiers) {
      group.identifiers.set(`${identifier.identifierType}:${identifier.identifierValue}`, identifier)
    }
    if (!verdict.accepted) group.errors.push(...verdict.errors)
  })
  return [...groups].map(([statusCode, group]) => ({
    identifiers: [...group.identifiers.values()],
    statusCode,
    errors: group.errors
  }))
}
