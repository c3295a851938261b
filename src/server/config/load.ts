import { checkConfiguredFiles } from "./files.js";
import { resolveConfig } from "./resolve.js";
import { Settings } from "./settings.js";
import { envLayer, flagLayer, type Layer, readFileLayer } from "./sources.js";
import type { BrokerConfig } from "./types.js";

export interface ConfigSources {
  /** YAML file (`-c/--config`). */
  configFile?: string;
  /** Command-line values keyed by configuration key: `{ "data.dir": "./data", port: 9300 }`. */
  flags: Partial<Record<string, unknown>>;
  /** Read for `LIFTBRIDGE_*` overrides. */
  env: NodeJS.ProcessEnv;
}

/**
 * Reads, merges and validates the broker configuration. Precedence: flags > environment >
 * config file > defaults. Throws ConfigError naming the offending key on any problem.
 */
export async function loadConfig(sources: ConfigSources): Promise<BrokerConfig> {
  const fileLayer: Layer = sources.configFile ? await readFileLayer(sources.configFile) : new Map();
  const settings = new Settings([fileLayer, envLayer(sources.env), flagLayer(sources.flags)]);
  const config = resolveConfig(settings, sources.env);
  await checkConfiguredFiles(settings);
  return sources.configFile ? { configFile: sources.configFile, ...config } : config;
}
