import { formatDuration, parseGoDuration } from "./duration.js";
import { ConfigError, showValue } from "./errors.js";
import type { KeySpec } from "./keys.js";

export interface Address {
  /** Empty when only a port was given. */
  host: string;
  port: number;
}

export type TypedValue = string | number | boolean | string[] | Address;

/** A value as found in one source, before it is checked against its key's type. */
export interface RawSetting {
  value: unknown;
  /** Where the value came from, for error messages: "in x.yaml", "from flag --port". */
  origin: string;
}

const TRUE_WORDS = new Set(["1", "t", "true"]);
const FALSE_WORDS = new Set(["0", "f", "false"]);

/** Checks a raw value against its key's type and returns it typed; durations in milliseconds. */
export function coerceValue(spec: KeySpec, raw: RawSetting): TypedValue {
  const fail = (expected: string): never => {
    throw new ConfigError(
      `invalid value ${showValue(raw.value)} for ${spec.key} (${raw.origin}): expected ${expected}`,
    );
  };
  const { value } = raw;
  switch (spec.type) {
    case "string":
      if (typeof value === "string") return value.trim();
      if (typeof value === "number") return String(value);
      return fail("a string");
    case "int": {
      const expected = spec.rule?.expected ?? describeIntRange(spec.min, spec.max);
      const n = toInteger(value);
      if (n === undefined) return fail(expected);
      if (spec.min !== undefined && n < spec.min) return fail(expected);
      if (spec.max !== undefined && n > spec.max) return fail(expected);
      if (spec.rule && !spec.rule.test(n)) return fail(expected);
      return n;
    }
    case "bool": {
      if (typeof value === "boolean") return value;
      const word = typeof value === "string" || typeof value === "number" ? String(value) : "";
      if (TRUE_WORDS.has(word.trim().toLowerCase())) return true;
      if (FALSE_WORDS.has(word.trim().toLowerCase())) return false;
      return fail("true or false");
    }
    case "duration": {
      const expected = 'a duration such as "100ms", "5s", "1h30m" or "0"';
      if (value === 0 && !spec.nonZero) return 0;
      if (typeof value !== "string") return fail(expected);
      const ms = parseGoDuration(value);
      if (ms === undefined) return fail(expected);
      if (ms < 0) return fail("a duration that is not negative");
      if (ms === 0 && spec.nonZero) return fail("a duration above 0");
      if (ms !== 0 && spec.minNonZero !== undefined && ms < spec.minNonZero) {
        return fail(`0 or a duration of at least ${formatDuration(spec.minNonZero)}`);
      }
      return ms;
    }
    case "list": {
      const items = typeof value === "string" ? value.split(",") : value;
      if (!Array.isArray(items)) return fail("a list or a comma-separated string");
      const out: string[] = [];
      for (const item of items) {
        if (typeof item !== "string" && typeof item !== "number") {
          return fail("a list of strings");
        }
        for (const part of String(item).split(",")) {
          if (part.trim() !== "") out.push(part.trim());
        }
      }
      return out;
    }
    case "enum": {
      const word = typeof value === "string" ? value.trim().toLowerCase() : undefined;
      if (word === undefined || !spec.values.includes(word)) {
        return fail(`one of ${spec.values.join(", ")}`);
      }
      return word;
    }
    case "address": {
      const address = toAddress(value);
      if (!address) {
        return fail('"host:port", ":port" or a port, with a port from 0 (any free port) to 65535');
      }
      return address;
    }
  }
}

function describeIntRange(min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return `an integer from ${min} to ${max}`;
  if (min === 0) return "an integer >= 0";
  if (min !== undefined) return `an integer >= ${min}`;
  return "an integer";
}

function toInteger(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === "string" && /^\s*[+-]?\d+\s*$/.test(value)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

function toAddress(value: unknown): Address | undefined {
  if (typeof value === "number") return isPort(value) ? { host: "", port: value } : undefined;
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return toAddress(Number(text));
  const match = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d+)$/.exec(text);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (!isPort(port)) return undefined;
  return { host: match[1] ?? match[2] ?? "", port };
}

/** 0 is allowed: bind any free port (the broker then advertises the port it got). */
function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 65535;
}
