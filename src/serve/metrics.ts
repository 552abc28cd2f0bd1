import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { BatchResult, Route } from '../instance'
import type { EventResult, RelayObserver } from './relay'

/**
 * The relay's metrics in Prometheus's text format (`GET /metrics`): events by what became of them, the
 * destination's requests by status and the time each batch took, the relay's requests and their latency.
 * Labels are subscription names, statuses and paths: never a value of an event.
 */
export class RelayMetrics implements RelayObserver {
  readonly registry = new Registry()
  private readonly eventsReceived = new Counter({
    name: 'listrak_relay_events_received_total',
    help: 'Events received in accepted requests.',
    registers: [this.registry]
  })
  private readonly events = new Counter({
    name: 'listrak_relay_events_total',
    help: 'Events by what became of them, per subscription: delivered, repeat (delivered before: skipped), rejected (by status), filtered, unmatched (no subscription), retry.',
    labelNames: ['subscription', 'outcome', 'code'],
    registers: [this.registry]
  })
  private readonly destinationRequests = new Counter({
    name: 'listrak_relay_destination_requests_total',
    help: 'HTTP requests the destination made to Listrak (token and schema requests included), by status.',
    labelNames: ['status'],
    registers: [this.registry]
  })
  private readonly batchSeconds = new Histogram({
    name: 'listrak_relay_destination_batch_seconds',
    help: 'Time to send one batch to Listrak through the destination, its token and schema requests included.',
    labelNames: ['subscription'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry]
  })
  private readonly requestSeconds = new Histogram({
    name: 'listrak_relay_request_duration_seconds',
    help: 'Time to answer a request to the relay, by path and status.',
    labelNames: ['path', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry]
  })
  readonly inFlight = new Gauge({
    name: 'listrak_relay_requests_in_flight',
    help: 'Requests to the relay being answered.',
    registers: [this.registry]
  })

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'listrak_relay_' })
  }

  received(events: number): void {
    this.eventsReceived.inc(events)
  }

  request(path: string, status: number, seconds: number): void {
    this.requestSeconds.observe({ path, status }, seconds)
  }

  result(result: EventResult): void {
    const code = 'code' in result ? String(result.code) : ''
    this.events.inc({ subscription: 'subscription' in result ? result.subscription : '', outcome: result.status, code })
  }

  batch(route: Route, result: BatchResult | undefined, seconds: number): void {
    this.batchSeconds.observe({ subscription: route.name }, seconds)
    for (const [status, count] of Object.entries(result?.statuses ?? {}))
      this.destinationRequests.inc({ status }, count)
  }

  text(): Promise<string> {
    return this.registry.metrics()
  }
}
