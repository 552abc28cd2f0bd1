import { destinations } from '../../destinations'
import type { DestinationSlug } from '../../destinations'
import { ConfigError } from './config'
import type { DefinitionRecipe } from './recipe'

export type RegistryEntry = (typeof destinations)[DestinationSlug]
export type EndpointsOf<Entry extends RegistryEntry> = Parameters<Entry['withEndpoints']>[0]

/** The registry's destination with this slug; with none given, the registry's only destination. */
export function registryEntry(slug: string | undefined): { slug: DestinationSlug; entry: RegistryEntry } {
  const slugs = Object.keys(destinations) as DestinationSlug[]
  const chosen = slug ?? (slugs.length === 1 ? slugs[0] : undefined)
  if (chosen === undefined || !slugs.includes(chosen as DestinationSlug)) {
    throw new ConfigError(
      slug === undefined
        ? `destination: say which destination; this package has ${slugs.join(', ')}`
        : `destination: unknown "${slug}"; this package has ${slugs.join(', ')}`
    )
  }
  return { slug: chosen as DestinationSlug, entry: destinations[chosen as DestinationSlug] }
}

/** A registry destination's definition pointed at `endpoints`: what a recipe names, in any thread. */
export function loadDefinition(slug: DestinationSlug, endpoints: EndpointsOf<RegistryEntry>) {
  return destinations[slug].withEndpoints(endpoints)
}

/** The recipe of a registry destination pointed at `endpoints`. */
export function registryRecipe(slug: DestinationSlug, endpoints: EndpointsOf<RegistryEntry>): DefinitionRecipe {
  return { module: __filename, exportName: loadDefinition.name, args: [slug, endpoints] }
}
