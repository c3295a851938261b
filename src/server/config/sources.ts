import { readFile } from "node:fs/promises";
import { parse as parseYaml, YAMLParseError } from "yaml";
import type { RawSetting } from "./coerce.js";
import { ConfigError } from "./errors.js";
import { flagForKey } from "./flags.js";
import { CONFIG_KEYS, envNameForKey, keySpec } from "./keys.js";
import { suggestKey } from "./suggest.js";

/** The settings one source gives, by dotted key. */
export type Layer = Map<string, RawSetting>;

const KNOWN_KEYS = CONFIG_KEYS.map((spec) => spec.key);

/** The yaml package's default: plenty for a config file, fatal to a "billion laughs". */
const MAX_YAML_ALIASES = 100;

export function unknownKeyError(key: string, where: string): ConfigError {
  const suggestion = suggestKey(key, KNOWN_KEYS);
  const hint = suggestion ? `; did you mean ${suggestion}?` : "";
  return new ConfigError(`unknown configuration key "${key}" ${where}${hint}`);
}

/**
 * Reads a YAML config file. Keys may be nested or dotted, in any mix (`streams:
 * {retention.max: {age: 24h}}` is `streams.retention.max.age`), and are case-insensitive.
 */
export async function readFileLayer(file: string): Promise<Layer> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? err})`;
    throw new ConfigError(`config file ${file} ${reason}`);
  }
  let document: unknown;
  try {
    document = parseYaml(text, { maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const reason = err.message.split("\n")[0]!.replace(/:$/, "");
      throw new ConfigError(`config file ${file} is not valid YAML: ${reason}`);
    }
    // The yaml package throws a ReferenceError when expanding aliases would exceed the limit.
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      throw new ConfigError(
        `config file ${file} expands YAML aliases too much (limit ${MAX_YAML_ALIASES}); refused as a resource exhaustion attack`,
      );
    }
    throw new ConfigError(`config file ${file} cannot be read as YAML: ${(err as Error).message}`);
  }
  if (document === null || document === undefined) return new Map();
  if (!isMapping(document)) {
    throw new ConfigError(`config file ${file} must hold a mapping of keys to values`);
  }
  const layer: Layer = new Map();
  flatten(document, "", file, layer);
  return layer;
}

function flatten(mapping: Record<string, unknown>, prefix: string, file: string, out: Layer): void {
  for (const [name, value] of Object.entries(mapping)) {
    const key = `${prefix}${name.trim().toLowerCase()}`;
    if (isMapping(value)) {
      flatten(value, `${key}.`, file, out);
      continue;
    }
    if (!keySpec(key)) throw unknownKeyError(key, `in ${file}`);
    if (out.has(key)) throw new ConfigError(`configuration key ${key} is set twice in ${file}`);
    if (value === null) throw new ConfigError(`configuration key ${key} has no value in ${file}`);
    out.set(key, { value, origin: `in ${file}` });
  }
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * `LIFTBRIDGE_<KEY>` variables for every known key (upstream honours them only for keys present
 * in the config file; lb accepts them for all keys). Empty variables count as unset, and other
 * `LIFTBRIDGE_*` variables are ignored: some are not settings (LIFTBRIDGE_ENCRYPTION_KEY).
 */
export function envLayer(env: NodeJS.ProcessEnv): Layer {
  const layer: Layer = new Map();
  for (const { key } of CONFIG_KEYS) {
    const name = envNameForKey(key);
    const value = env[name];
    if (value !== undefined && value !== "") {
      layer.set(key, { value, origin: `from environment variable ${name}` });
    }
  }
  return layer;
}

/** Command-line values, already keyed by configuration key; undefined means "not given". */
export function flagLayer(flags: Partial<Record<string, unknown>>): Layer {
  const layer: Layer = new Map();
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    if (!keySpec(key)) throw unknownKeyError(key, "given as a flag");
    const flag = flagForKey(key);
    layer.set(key, { value, origin: flag ? `from flag --${flag.name}` : `from flag for ${key}` });
  }
  return layer;
}
