export { parseGoDuration } from "./duration.js";
export { ConfigError } from "./errors.js";
export { FLAG_KEYS, type FlagSpec } from "./flags.js";
export {
  CONFIG_KEYS,
  describeKeys,
  envNameForKey,
  type KeyDescription,
  type KeySpec,
} from "./keys.js";
export { type ConfigSources, loadConfig } from "./load.js";
export type { ActivityAckPolicy, BrokerConfig, SyncPolicy } from "./types.js";
