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
