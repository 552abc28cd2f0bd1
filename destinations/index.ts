import listrakCrossChannel from './listrak-cross-channel'

/**
 * Every destination this package provides, by slug: what manifest.json lists and what the CLI can
 * drive. `directory` is the destination's folder under destinations/.
 */
export const destinations = {
  'actions-listrak-cross-channel': { definition: listrakCrossChannel, directory: 'listrak-cross-channel' }
} as const

export type DestinationSlug = keyof typeof destinations

export { listrakCrossChannel }
