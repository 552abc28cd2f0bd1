export { DestinationInstance, RunningInstance } from './instance'
export type { DestinationSource, InstanceOptions } from './instance'
export {
  ConfigError,
  instanceConfigSchema,
  instanceShape,
  listSubscriptions,
  parseConfig,
  readConfigFile,
  refineSubscriptions
} from './config'
export type { InstanceConfig, SubscriptionConfig } from './config'
export { RunFailure } from './preflight'
export type { Route, SubscriptionSettings } from './routes'
export type { Outcome } from './outcome'
export type { BatchResult, Sendable } from './executors/executor'
export type { DefinitionRecipe } from './recipe'
export { registryEntry, registryRecipe } from './registry'
export type { RegistryEntry } from './registry'
export { Dispatcher } from './dispatch/dispatcher'
export type { DispatchStats, Item, Settlement } from './dispatch/dispatcher'
export { AdaptiveLimiter } from './dispatch/limiter'
export type { RetryPolicy } from './dispatch/retry'
export { Batcher } from './dispatch/batcher'
export type { BatchLimits } from './dispatch/batcher'
export { didYouMean } from './suggest'
export { startCaptureProxy } from './capture-proxy'
export type { CaptureProxy, CapturedRequest } from './capture-proxy'
export type { AnyDefinition, AnyDestination } from './any-destination'
