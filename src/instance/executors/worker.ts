// A worker thread: its own Destination, built from the recipe, running onBatch for the batches it is handed, and
// the caller's preparation (parsing and routing) for the inputs it is handed.
import { parentPort, workerData } from 'node:worker_threads'
import { Destination } from '@segment/actions-core'
import type { SegmentEvent } from '@segment/actions-core'
import { deliver } from '../deliver'
import { preparationFrom } from '../preparation'
import { definitionFrom } from '../recipe'
import { routeOf } from '../routes'
import { withSharedRefresh } from '../shared-refresh'
import { takeResponses } from './in-thread'
import { unpackTexts } from './packing'
import type { WorkerInit, WorkerRequest, WorkerResponse } from './protocol'

const { recipe, settings, routes: recipes, preparation } = workerData as WorkerInit
const destination = new Destination(withSharedRefresh(definitionFrom(recipe)))
const routes = recipes.map(({ name, subscription, batchKeys }, index) => routeOf(index, name, subscription, batchKeys))
const prepare = preparation && preparationFrom(preparation)
const port = parentPort as NonNullable<typeof parentPort>

const failed = (id: number, error: Error): WorkerResponse => ({
  id,
  error: { name: error.name, message: error.message }
})

port.on('message', (request: WorkerRequest) => {
  if (request.kind === 'prepare') {
    try {
      if (!prepare) throw new Error('The instance was started without a preparation')
      port.postMessage({ id: request.id, prepared: prepare(request.inputs, routes, true) } satisfies WorkerResponse)
    } catch (error) {
      port.postMessage(failed(request.id, error as Error))
    }
    return
  }
  const events = unpackTexts(request.events).map((text) => JSON.parse(text) as SegmentEvent)
  deliver(destination, settings, routes[request.route].subscription, events).then(
    (outcomes) =>
      port.postMessage({ id: request.id, outcomes, ...takeResponses(destination) } satisfies WorkerResponse),
    (error: Error) => port.postMessage(failed(request.id, error))
  )
})
