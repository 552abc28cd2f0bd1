import { getErrorCodeFromHttpStatus } from '@segment/actions-core'
import type { ErrorCodes, JSONLikeObject } from '@segment/actions-core'
import type { EventPostResponse, Identifier, IdentifierType, ListrakEvent, RecipientDetail } from './contract'

/**
 * The statuses worth sending again: a timeout, the rate limit and the server errors that pass.
 * The same set the pipeline (a CDP's, or the backfill runner) retries; other failures are final.
 */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])

/**
 * What happened to one event: the shape both `perform` and `performBatch` turn into their own
 * results. A success's body may carry `warnings`: problems with the event that did not stop it
 * (a malformed phone next to a good email).
 */
export type EventResult =
  | { ok: true; status: number; sent?: ListrakEvent; body: JSONLikeObject }
  | {
      ok: false
      status: number
      errortype: keyof typeof ErrorCodes
      message: string
      sent?: ListrakEvent
      body?: JSONLikeObject | string
    }

const isSuccess = (status: number): boolean => status >= 200 && status < 300

export function failure(
  status: number,
  message: string,
  extra: { errortype?: keyof typeof ErrorCodes; sent?: ListrakEvent; body?: JSONLikeObject | string } = {}
): EventResult {
  const errortype = extra.errortype ?? getErrorCodeFromHttpStatus(status)
  return { ok: false, status, message, errortype, sent: extra.sent, body: extra.body }
}

/** A success with the event's warnings added to its body (`warnings: string[]`); anything else as it is. */
export function withWarnings(result: EventResult, warnings: string[]): EventResult {
  if (!result.ok || warnings.length === 0) return result
  return { ...result, body: { ...result.body, warnings } }
}

const identifierKey = (identifier: Identifier): string =>
  `${identifier.identifierType}\u0000${identifier.identifierValue.toLowerCase()}`

function groupMessage(group: RecipientDetail): string {
  const messages = (group.errors ?? []).map((error) => error.errorMessage ?? error.errorType).filter(Boolean)
  const shown = messages.slice(0, 3).join('; ')
  const more = messages.length > 3 ? ` (and ${messages.length - 3} more)` : ''
  return `Listrak rejected the recipient (${group.statusCode})${shown ? `: ${shown}${more}` : ''}`
}

/**
 * Maps Listrak's per-recipient answer back to the events of one request. Each `data[]` group lists
 * the identifiers that received one status; an event takes the status of every group naming one of
 * its identifiers. When groups disagree about an event (two events sharing an email, one rejected)
 * the failure wins: a good event reported failed is resent or dead-lettered, never lost, while a
 * bad event reported sent would be. Events no group mentions take the overall status in `meta`.
 */
export function mapRecipientResults(
  events: ListrakEvent[],
  response: EventPostResponse,
  httpStatus: number
): EventResult[] {
  const groups = response.data ?? []
  const overall = response.meta?.statusCode ?? httpStatus
  const body = response as JSONLikeObject
  const unnamed = (event: ListrakEvent): EventResult =>
    isSuccess(overall)
      ? { ok: true, status: overall, sent: event, body }
      : failure(overall, response.meta?.message ?? `Listrak answered with overall status ${overall}`, {
          sent: event,
          body
        })
  if (groups.every((group) => isSuccess(group.statusCode))) return mapAccepted(events, groups, unnamed)

  const groupsByIdentifier = new Map<string, RecipientDetail[]>()
  for (const group of groups) {
    for (const identifier of group.identifiers) {
      const key = identifierKey(identifier)
      const found = groupsByIdentifier.get(key)
      if (found) found.push(group)
      else groupsByIdentifier.set(key, [group])
    }
  }
  return events.map((event) => {
    let accepted: RecipientDetail | undefined
    let rejected: RecipientDetail | undefined
    for (const identifier of event.identifiers) {
      for (const group of groupsByIdentifier.get(identifierKey(identifier)) ?? []) {
        if (isSuccess(group.statusCode)) accepted ??= group
        else rejected ??= group
      }
    }
    if (rejected)
      return failure(rejected.statusCode, groupMessage(rejected), {
        sent: event,
        body: rejected
      })
    if (accepted) return { ok: true, status: accepted.statusCode, sent: event, body: accepted }
    return unnamed(event)
  })
}

/**
 * The common answer, every group 2xx: no failure can win, so an event takes the first group naming its first
 * identifier that any group names, the same result as above from one group per identifier and no lists.
 */
function mapAccepted(
  events: ListrakEvent[],
  groups: RecipientDetail[],
  unnamed: (event: ListrakEvent) => EventResult
): EventResult[] {
  // By type, then lower-cased value: no key string is built for each identifier.
  const firstGroup = new Map<IdentifierType, Map<string, RecipientDetail>>()
  for (const group of groups) {
    for (const { identifierType, identifierValue } of group.identifiers) {
      let byValue = firstGroup.get(identifierType)
      if (!byValue) firstGroup.set(identifierType, (byValue = new Map<string, RecipientDetail>()))
      const value = identifierValue.toLowerCase()
      if (!byValue.has(value)) byValue.set(value, group)
    }
  }
  return events.map((event) => {
    for (const { identifierType, identifierValue } of event.identifiers) {
      const group = firstGroup.get(identifierType)?.get(identifierValue.toLowerCase())
      if (group) return { ok: true, status: group.statusCode, sent: event, body: group }
    }
    return unnamed(event)
  })
}
