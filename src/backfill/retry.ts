/**
 * Which answers are worth sending again: timeouts, throttling and the server errors that say "try later".
 * The same statuses the destination reports as retryable (a RetryableError) for a CDP's pipeline to retry.
 */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])

export const isRetryable = (status: number): boolean => RETRYABLE_STATUSES.has(status)

export const isSuccess = (status: number): boolean => status >= 200 && status < 300

export interface RetryPolicy {
  /** Sends of one event at the most, the first included. */
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
}

/** Exponential backoff with "equal jitter": half the delay fixed, half random. */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return ceiling / 2 + (random() * ceiling) / 2
}
