import type { Route } from './routes'

/**
 * A caller's first step on its events, run where `onBatch` runs: in a worker thread, so that parsing the
 * events is done on that thread's core and not on the main thread, or in this thread. Functions do not cross
 * threads, so it is named by module, as a DefinitionRecipe is: `exportName` is a Preparation.
 */
export interface PreparationRecipe {
  module: string
  exportName: string
}

/**
 * Prepares inputs for the instance's routes. `inWorker`: what it returns is copied to the main thread, so it
 * should give only what the caller needs there (not the parsed events, which the worker parses again to send).
 */
export type Preparation<I = unknown, O = unknown> = (
  inputs: readonly I[],
  routes: readonly Route[],
  inWorker: boolean
) => O[]

export function preparationFrom(recipe: PreparationRecipe): Preparation {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module the recipe names, known at run time
  const loaded = require(recipe.module) as Record<string, unknown>
  const prepare = loaded[recipe.exportName]
  if (typeof prepare !== 'function') throw new Error(`${recipe.module} exports no function "${recipe.exportName}"`)
  return prepare as Preparation
}
