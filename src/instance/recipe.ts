import type { AnyDefinition } from './any-destination'

/**
 * How to build a destination definition in any thread: functions do not cross threads, so a worker requires
 * `module` and calls its `exportName` with `args` (the registry's loader, with the destination's slug and
 * endpoints). The main thread builds its destination from the same recipe.
 */
export interface DefinitionRecipe {
  module: string
  exportName: string
  args: unknown[]
}

export function definitionFrom(recipe: DefinitionRecipe): AnyDefinition {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module the recipe names, known at run time
  const loaded = require(recipe.module) as Record<string, unknown>
  const build = loaded[recipe.exportName]
  if (typeof build !== 'function') throw new Error(`${recipe.module} exports no function "${recipe.exportName}"`)
  return (build as (...args: unknown[]) => AnyDefinition)(...recipe.args)
}
