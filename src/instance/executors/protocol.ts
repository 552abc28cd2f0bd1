// What the main thread and a worker thread say to each other.
import type { JSONObject } from '@segment/actions-core'
import type { BatchResult } from './executor'
import type { Packed } from './packing'
import type { PreparationRecipe } from '../preparation'
import type { DefinitionRecipe } from '../recipe'
import type { SubscriptionSettings } from '../routes'

/** What a worker builds a route from (functions do not cross threads). */
export interface RouteRecipe {
  name: string
  subscription: SubscriptionSettings
  batchKeys: string[]
}

export interface WorkerInit {
  recipe: DefinitionRecipe
  settings: JSONObject
  routes: RouteRecipe[]
  preparation?: PreparationRecipe
}

export type WorkerRequest =
  | {
      kind: 'send'
      id: number
      /** The route's index in `WorkerInit.routes`. */
      route: number
      /** The events' JSON: bytes cross threads far faster than objects, and parsing them there uses that core. */
      events: Packed
    }
  | { kind: 'prepare'; id: number; inputs: unknown[] }

export type WorkerResponse =
  | ({ id: number } & BatchResult)
  | { id: number; prepared: unknown[] }
  | { id: number; error: { name: string; message: string } }
