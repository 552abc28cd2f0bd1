import type { Destination, DestinationDefinition } from '@segment/actions-core'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any destination of the registry
export type AnyDestination = Destination<any>

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any destination of the registry
export type AnyDefinition = DestinationDefinition<any>
