/**
 * The relay stage's load: requests of `perRequest` events posted to a relay by `clients` at once, each client
 * posting its next request when the last one is answered; every request's latency is kept.
 */
export interface LoadResult {
  events: number
  ms: number
  eventsPerSecond: number
  /** Milliseconds per request, sorted. */
  latencies: number[]
  failures: number
}

export const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0

export async function load(
  url: string,
  bodies: string[],
  perRequest: number,
  clients: number,
  headers: Record<string, string> = {}
): Promise<LoadResult> {
  const latencies: number[] = []
  let next = 0
  let failures = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]
        const sent = performance.now()
        const response = await fetch(url, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', ...headers }
        })
        await response.arrayBuffer()
        latencies.push(performance.now() - sent)
        if (response.status !== 200) failures++
      }
    })
  )
  const ms = performance.now() - started
  const events = bodies.length * perRequest
  return { events, ms, eventsPerSecond: (events * 1000) / ms, latencies: latencies.sort((a, b) => a - b), failures }
}
