import type { JSONObject, SegmentEvent } from '@segment/actions-core'
import type { AnyDestination } from './any-destination'
import { RunFailure } from './preflight'
import { isRetryable, isSuccess } from './outcome'
import type { Outcome } from './outcome'
import type { SubscriptionSettings } from './routes'

interface MultiStatusEntry {
  status: number
  errormessage?: string
  errorreporter?: string
  body?: unknown
}

/** actions-core's answer for an event its subscription does not take. */
const NOT_SUBSCRIBED = 'Payload is either invalid or does not match the subscription'

/**
 * Sends a batch of one subscription through `Destination.onBatch`, as a CDP does: actions-core
 * applies the subscription, maps, validates, refreshes the token on a 401 and calls the action's
 * `performBatch`. Returns an outcome per event; throws RunFailure when the destination refuses the
 * run itself (settings, credentials).
 */
export async function deliver(
  destination: AnyDestination,
  settings: JSONObject,
  subscription: SubscriptionSettings,
  events: SegmentEvent[]
): Promise<Outcome[]> {
  let entries: (MultiStatusEntry | undefined)[]
  try {
    const { oauth } = settings as { oauth?: JSONObject }
    const [result] = await destination.onBatch(
      events,
      // The batch carries a copy of the token state: actions-core updates it in place on a refresh, and a
      // refresh must know which token this batch was refused with. The shared state gets the new token for
      // the batches after it.
      { ...settings, ...(oauth ? { oauth: { ...oauth } } : {}), subscription: subscription as unknown as JSONObject },
      oauth
        ? { onTokenRefresh: (tokens) => Promise.resolve(void (oauth.access_token = tokens.accessToken)) }
        : undefined
    )
    if (result && 'output' in result && result.output === 'not subscribed')
      return events.map(() => ({ kind: 'filtered' }))
    entries = result?.multistatus ?? []
  } catch (error) {
    const outcome = outcomeOfThrow(error, destination.name)
    return events.map(() => outcome)
  }
  return events.map((_, index) => outcomeOf(entries[index]))
}

/** The outcome of most events, one object for all of them: frozen, so that a change throws instead of spreading. */
const ACCEPTED: Outcome = Object.freeze({ kind: 'accepted', warnings: Object.freeze([]) as unknown as string[] })

function outcomeOf(entry: MultiStatusEntry | undefined): Outcome {
  if (!entry) return { kind: 'failed', status: 500, reason: 'the destination returned no result for this event' }
  const { status, errormessage, errorreporter, body } = entry
  if (isSuccess(status)) return acceptedWith(body)
  if (status === 400 && errormessage === NOT_SUBSCRIBED && errorreporter === 'INTEGRATIONS') return { kind: 'filtered' }
  const reason = errormessage ?? `HTTP ${status}`
  // A 401 here came after actions-core refreshed the token: retrying will not help.
  if (isRetryable(status)) return { kind: 'retry', status, reason }
  return { kind: 'failed', status, reason, reporter: errorreporter }
}

/** A destination may report what it left out of an accepted event as `body.warnings`, a list of strings. */
function acceptedWith(body: unknown): Outcome {
  const warnings = (body as { warnings?: unknown } | null | undefined)?.warnings
  return Array.isArray(warnings) && warnings.length > 0
    ? { kind: 'accepted', warnings: warnings.map(String) }
    : ACCEPTED
}

/**
 * A batch that threw instead of answering. Refused settings or credentials stop the run; a
 * transport failure (the API or token endpoint unreachable, say) is retried; anything else is the
 * mapping failing on some event, which splitting the batch will find.
 */
function outcomeOfThrow(error: unknown, destination: string): Outcome {
  const { status, message, code, name } = error as { status?: number; message?: string; code?: string; name?: string }
  if (typeof status === 'number' && status >= 400 && status < 500 && !isRetryable(status)) {
    throw new RunFailure(`${destination} refused the run: ${message ?? status}`)
  }
  if (typeof status === 'number' || code !== undefined || name === 'FetchError' || name === 'TimeoutError') {
    return { kind: 'retry', status: status ?? 503, reason: message ?? 'the batch failed' }
  }
  return {
    kind: 'failed',
    status: 400,
    reason: `The mapping failed: ${message ?? String(error)}`,
    reporter: 'DESTINATION'
  }
}
