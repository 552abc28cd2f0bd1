// A worker thread of a backfill: its own Destination, running onBatch for the batches the main thread hands it.
import { parentPort, workerData } from 'node:worker_threads'
import { Destination } from '@segment/actions-core'
import type { JSONObject, SegmentEvent } from '@segment/actions-core'
import { deliver } from './deliver'
import type { Outcome } from './deliver'
import type { SubscriptionSettings } from './routes'
import type { DefinitionRecipe } from './worker-pool'

export interface WorkerInit {
  recipe: DefinitionRecipe
  settings: JSONObject
  subscriptions: SubscriptionSettings[]
}

export interface WorkerRequest {
  id: number
  subscription: number
  /** The events' JSON: strings cross threads far faster than objects, and parsing them here uses this core. */
  texts: string[]
}

export type WorkerResponse =
  | { id: number; outcomes: Outcome[]; requests: number; throttled: number }
  | { id: number; error: { name: string; message: string } }

const { recipe, settings, subscriptions } = workerData as WorkerInit
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module the recipe names, known at run time
const loaded = require(recipe.module) as Record<
  string,
  (...args: unknown[]) => ConstructorParameters<typeof Destination>[0]
>
const destination = new Destination(loaded[recipe.exportName](...recipe.args))
const port = parentPort as NonNullable<typeof parentPort>

port.on('message', (request: WorkerRequest) => {
  const events = request.texts.map((text) => JSON.parse(text) as SegmentEvent)
  deliver(destination, settings, subscriptions[request.subscription], events).then(
    (outcomes) => {
      const { responses } = destination
      const throttled = responses.filter((response) => response.status === 429).length
      const requests = responses.length
      responses.length = 0
      port.postMessage({ id: request.id, outcomes, requests, throttled } satisfies WorkerResponse)
    },
    (error: Error) =>
      port.postMessage({ id: request.id, error: { name: error.name, message: error.message } } satisfies WorkerResponse)
  )
})
