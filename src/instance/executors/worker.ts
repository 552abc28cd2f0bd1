// A worker thread: its own Destination, built from the recipe, running onBatch for the batches it is handed.
import { parentPort, workerData } from 'node:worker_threads'
import { Destination } from '@segment/actions-core'
import type { SegmentEvent } from '@segment/actions-core'
import { deliver } from '../deliver'
import { definitionFrom } from '../recipe'
import { withSharedRefresh } from '../shared-refresh'
import { takeResponses } from './in-thread'
import type { WorkerInit, WorkerRequest, WorkerResponse } from './protocol'

const { recipe, settings, subscriptions } = workerData as WorkerInit
const destination = new Destination(withSharedRefresh(definitionFrom(recipe)))
const port = parentPort as NonNullable<typeof parentPort>

port.on('message', (request: WorkerRequest) => {
  const events = request.texts.map((text) => JSON.parse(text) as SegmentEvent)
  deliver(destination, settings, subscriptions[request.subscription], events).then(
    (outcomes) =>
      port.postMessage({ id: request.id, outcomes, ...takeResponses(destination) } satisfies WorkerResponse),
    (error: Error) =>
      port.postMessage({ id: request.id, error: { name: error.name, message: error.message } } satisfies WorkerResponse)
  )
})
