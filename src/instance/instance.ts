import { Destination } from '@segment/actions-core'
import type { JSONObject, SegmentEvent } from '@segment/actions-core'
import type { AnyDefinition, AnyDestination } from './any-destination'
import type { SubscriptionConfig } from './config'
import type { BatchLimits } from './dispatch/batcher'
import type { BatchResult, Executor, Sendable } from './executors/executor'
import { InThreadExecutor } from './executors/in-thread'
import { WorkerPool } from './executors/worker-pool'
import { checkAccount, checkInstance } from './preflight'
import { preparationFrom } from './preparation'
import type { PreparationRecipe } from './preparation'
import { definitionFrom } from './recipe'
import { withSharedRefresh } from './shared-refresh'
import type { DefinitionRecipe } from './recipe'
import type { Route } from './routes'

/**
 * Where the destination comes from: a recipe (the CLI: any thread can build the destination from it, so it can
 * run in worker threads too), or a definition at hand (a test's own destination: this thread only).
 */
export type DestinationSource = { recipe: DefinitionRecipe; workers?: number } | { definition: AnyDefinition }

export interface InstanceOptions {
  source: DestinationSource
  /** The destination's settings, secrets included. */
  settings: JSONObject
  subscriptions: SubscriptionConfig[]
  batch: BatchLimits
  /** How the batch size was given, for messages: `batching.size` (default) or `--batch-size`. */
  batchSizeKey?: string
  /** The caller's first step on its events, run where they are parsed: see PreparationRecipe. */
  preparation?: PreparationRecipe
}

/**
 * A destination instance as a CDP runs it: a destination, its settings and its subscriptions. Constructing one
 * checks it against the destination's definition (a ConfigError names every problem); `start` authenticates
 * and gives what sends. It knows actions-core destinations, not a particular one.
 */
export class DestinationInstance {
  readonly destination: AnyDestination
  readonly routes: readonly Route[]

  constructor(private readonly options: InstanceOptions) {
    const { source } = options
    this.destination = new Destination(
      withSharedRefresh('recipe' in source ? definitionFrom(source.recipe) : source.definition)
    )
    this.routes = checkInstance(this.destination, options)
  }

  /** The routes of the subscriptions whose triggers take the event. */
  routesOf(event: SegmentEvent): Route[] {
    return this.routes.filter((route) => route.matches(event))
  }

  /**
   * Gets a token (refused credentials: RunFailure) and checks the mapping's literal choices and keys against the
   * account (a key it lacks: ConfigError). Returns the token state for `settings.oauth`.
   */
  checkAccount(): Promise<JSONObject> {
    return checkAccount(this.destination, this.options.settings, [...this.routes])
  }

  /**
   * Checks the instance against the account (checkAccount), then starts the executor: worker threads when the
   * source is a recipe and asks for some, else this thread.
   */
  async start(): Promise<RunningInstance> {
    const { settings, source, preparation } = this.options
    const oauth = await this.checkAccount()
    const authenticated = { ...settings, oauth }
    const executor: Executor =
      'recipe' in source && (source.workers ?? 0) > 0
        ? new WorkerPool(source.workers ?? 0, {
            recipe: source.recipe,
            settings: authenticated,
            routes: this.routes.map(({ name, subscription, batchKeys }) => ({ name, subscription, batchKeys })),
            preparation
          })
        : new InThreadExecutor(
            this.destination,
            authenticated,
            this.routes,
            preparation && preparationFrom(preparation)
          )
    return new RunningInstance(executor)
  }
}

/** An authenticated instance: sends one subscription's batch through `onBatch` and says what became of each event. */
export class RunningInstance {
  constructor(private readonly executor: Executor) {}

  /** Whether the executor parses each event's text itself (worker threads): see Executor. */
  get parsesText(): boolean {
    return this.executor.parsesText
  }

  send(route: Route, batch: readonly Sendable[]): Promise<BatchResult> {
    return this.executor.send(route, batch)
  }

  /** Runs the instance's preparation on `inputs`: in a worker thread when there are some. */
  prepare(inputs: readonly unknown[]): Promise<unknown[]> {
    return this.executor.prepare(inputs)
  }

  close(): Promise<void> {
    return this.executor.close()
  }
}
