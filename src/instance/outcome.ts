/** What became of one event sent to one subscription. */
export type Outcome =
  /** `warnings`: what the destination left out of the event, in its own words (`body.warnings`). */
  | { kind: 'accepted'; warnings: string[] }
  /** actions-core's own filter did not take the event. */
  | { kind: 'filtered' }
  /** A failure that sending again may cure (a timeout, throttling, a server error). */
  | { kind: 'retry'; status: number; reason: string }
  /** `reporter` 'DESTINATION' with the same status and reason for every event: the request was refused whole. */
  | { kind: 'failed'; status: number; reason: string; reporter?: string }

/**
 * Which answers are worth sending again: timeouts, throttling and the server errors that say "try later".
 * The same statuses the destination reports as retryable (a RetryableError) for a CDP's pipeline to retry.
 */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])

export const isRetryable = (status: number): boolean => RETRYABLE_STATUSES.has(status)

export const isSuccess = (status: number): boolean => status >= 200 && status < 300
