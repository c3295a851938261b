import { type Address, coerceValue, type TypedValue } from "./coerce.js";
import { ConfigError, showValue } from "./errors.js";
import { keySpec } from "./keys.js";
import type { Layer } from "./sources.js";

interface Setting {
  value: TypedValue;
  origin: string;
}

/**
 * The typed settings after merging the sources. Layers are given lowest precedence first; the
 * last one that sets a key wins. Keys nobody set read as their defaults.
 */
export class Settings {
  private readonly values = new Map<string, Setting>();

  constructor(layers: readonly Layer[]) {
    for (const layer of layers) {
      for (const [key, raw] of layer) {
        this.values.set(key, { value: coerceValue(spec(key), raw), origin: raw.origin });
      }
    }
  }

  isSet(key: string): boolean {
    return this.values.has(key);
  }

  /** Where a set key's value came from ("in x.yaml", "from flag --port"). */
  origin(key: string): string {
    return this.values.get(key)?.origin ?? "default";
  }

  /** Unset keys without a default, and keys set to "", read as undefined. */
  string(key: string): string | undefined {
    const value = this.values.get(key)?.value;
    if (typeof value === "string") return value === "" ? undefined : value;
    const s = spec(key);
    return s.type === "string" ? s.default : undefined;
  }

  number(key: string): number {
    const value = this.values.get(key)?.value;
    if (typeof value === "number") return value;
    const s = spec(key);
    if (s.type === "int" || s.type === "duration") return s.default;
    throw new Error(`configuration key ${key} is not numeric`);
  }

  bool(key: string): boolean {
    const value = this.values.get(key)?.value;
    if (typeof value === "boolean") return value;
    const s = spec(key);
    if (s.type === "bool") return s.default;
    throw new Error(`configuration key ${key} is not a boolean`);
  }

  list(key: string): string[] {
    const value = this.values.get(key)?.value;
    if (Array.isArray(value)) return value;
    const s = spec(key);
    if (s.type === "list") return [...s.default];
    throw new Error(`configuration key ${key} is not a list`);
  }

  choice<T extends string>(key: string): T {
    const value = this.values.get(key)?.value;
    if (typeof value === "string") return value as T;
    const s = spec(key);
    if (s.type === "enum") return s.default as T;
    throw new Error(`configuration key ${key} is not an enumeration`);
  }

  address(key: string): Address | undefined {
    const value = this.values.get(key)?.value;
    return typeof value === "object" && !Array.isArray(value) ? value : undefined;
  }

  /** An error about a set key's value, in the same shape as type errors. */
  invalid(key: string, expected: string): ConfigError {
    const setting = this.values.get(key);
    const shown = setting ? showValue(setting.value) : "(default)";
    return new ConfigError(
      `invalid value ${shown} for ${key} (${this.origin(key)}): expected ${expected}`,
    );
  }
}

function spec(key: string) {
  const found = keySpec(key);
  if (!found) throw new Error(`no such configuration key: ${key}`);
  return found;
}
