import listrakCrossChannel, { withEndpoints as listrakCrossChannelWithEndpoints } from './listrak-cross-channel'

/**
 * Every destination this package provides, by slug: what manifest.json lists and what the CLI can
 * drive. `directory` is the destination's folder under destinations/; `withEndpoints` gives the
 * same definition pointed at other servers (the simulator, a test server, a dry run's capture proxy).
 */
export const destinations = {
  'actions-listrak-cross-channel': {
    definition: listrakCrossChannel,
    directory: 'listrak-cross-channel',
    withEndpoints: listrakCrossChannelWithEndpoints
  }
} as const

export type DestinationSlug = keyof typeof destinations

export { listrakCrossChannel }
