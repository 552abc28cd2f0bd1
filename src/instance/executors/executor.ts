import type { SegmentEvent } from '@segment/actions-core'
import type { Outcome } from '../outcome'
import type { Route } from '../routes'

/** An event as an executor takes it: parsed, and its JSON as UTF-8 when the caller has it (worker threads take it). */
export interface Sendable {
  readonly event: SegmentEvent
  readonly json?: Buffer
}

/** A batch's outcomes, one per event in order, and the HTTP requests it took (token requests included). */
export interface BatchResult {
  outcomes: Outcome[]
  /** The destination's HTTP requests for this batch, counted by the status of their answers. */
  statuses: Record<number, number>
}

/** Runs `Destination.onBatch` for one subscription's batch: in this thread, or in worker threads. */
export interface Executor {
  /** Whether it parses each event's JSON itself (worker threads): then a caller need not keep the parsed event. */
  readonly parsesText: boolean
  send(route: Route, batch: readonly Sendable[]): Promise<BatchResult>
  /** Runs the instance's preparation (see PreparationRecipe) on `inputs`, where the events are parsed. */
  prepare(inputs: readonly unknown[]): Promise<unknown[]>
  close(): Promise<void>
}
