import type { JSONObject } from '@segment/actions-core'
import type { AnyDestination } from '../any-destination'
import { deliver } from '../deliver'
import type { Preparation } from '../preparation'
import type { Route } from '../routes'
import type { BatchResult, Executor, Sendable } from './executor'

/** Runs onBatch on this thread's destination. */
export class InThreadExecutor implements Executor {
  readonly parsesText = false

  constructor(
    private readonly destination: AnyDestination,
    private readonly settings: JSONObject,
    private readonly routes: readonly Route[],
    private readonly preparation: Preparation | undefined
  ) {}

  async send(route: Route, batch: readonly Sendable[]): Promise<BatchResult> {
    const outcomes = await deliver(
      this.destination,
      this.settings,
      route.subscription,
      batch.map((item) => item.event)
    )
    return { outcomes, ...takeResponses(this.destination) }
  }

  prepare(inputs: readonly unknown[]): Promise<unknown[]> {
    if (!this.preparation) return Promise.reject(new Error('The instance was started without a preparation'))
    return Promise.resolve(this.preparation(inputs, this.routes, false))
  }

  close(): Promise<void> {
    return Promise.resolve()
  }
}

/**
 * The HTTP requests a destination made since the last call, counted by status; empties its list: actions-core
 * keeps every response for tests, and a long run must not.
 */
export function takeResponses(destination: AnyDestination): { statuses: Record<number, number> } {
  const statuses: Record<number, number> = {}
  for (const { status } of destination.responses) statuses[status] = (statuses[status] ?? 0) + 1
  destination.responses.length = 0
  return { statuses }
}
