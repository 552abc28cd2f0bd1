import { destinations } from '../../destinations'
import type { DestinationSlug } from '../../destinations'
import type { Endpoints } from '../../destinations/listrak-cross-channel/sendCustomEvent/endpoints'

/**
 * A registry destination's definition pointed at `endpoints`: what the backfill's worker threads call
 * (by module path and name, since a definition's functions cannot cross threads) to build the same
 * destination as the main thread.
 */
export function loadDefinition(slug: DestinationSlug, endpoints: Endpoints) {
  return destinations[slug].withEndpoints(endpoints)
}
