// What the main thread and a worker thread say to each other.
import type { JSONObject } from '@segment/actions-core'
import type { BatchResult } from './executor'
import type { DefinitionRecipe } from '../recipe'
import type { SubscriptionSettings } from '../routes'

export interface WorkerInit {
  recipe: DefinitionRecipe
  settings: JSONObject
  subscriptions: SubscriptionSettings[]
}

export interface WorkerRequest {
  id: number
  /** The route's index in `WorkerInit.subscriptions`. */
  subscription: number
  /** The events' JSON: strings cross threads far faster than objects, and parsing them there uses that core. */
  texts: string[]
}

export type WorkerResponse = ({ id: number } & BatchResult) | { id: number; error: { name: string; message: string } }
