import { UsageError } from "./usage-error.js";

const NANOS_PER_UNIT: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const UNITS = "ns, us, ms, s, m, h";
const TERM = /^(\d*)(?:\.(\d*))?([^\d.]*)/;

/**
 * Parses a Go duration ("300ms", "1h30m", "1.5h", "0") into nanoseconds, the way Go's
 * time.ParseDuration does. Negative durations are rejected: no lb setting takes one.
 */
export function parseDurationNanos(text: string, field: string): bigint {
  const bad = (why: string) => new UsageError(`${field} "${text}": ${why}`);
  let rest = text.trim();
  if (rest === "0") return 0n;
  if (rest.startsWith("-")) throw bad("must not be negative");
  if (rest.startsWith("+")) rest = rest.slice(1);
  if (rest === "") throw bad(`expected a duration such as 500ms, 30s, 1h30m (units: ${UNITS})`);
  let total = 0n;
  while (rest.length > 0) {
    const match = TERM.exec(rest)!;
    const [term, whole = "", fraction = "", unit = ""] = match;
    if (whole === "" && fraction === "") {
      throw bad(`expected a duration such as 500ms, 30s, 1h30m (units: ${UNITS})`);
    }
    if (unit === "") throw bad(`missing unit (expected one of ${UNITS})`);
    const scale = NANOS_PER_UNIT[unit];
    if (scale === undefined) throw bad(`unknown unit "${unit}" (expected one of ${UNITS})`);
    total += BigInt(whole || "0") * scale;
    if (fraction !== "") {
      total += (BigInt(fraction) * scale) / 10n ** BigInt(fraction.length);
    }
    rest = rest.slice(term.length);
  }
  return total;
}

/** A Go duration in whole milliseconds, the unit Liftbridge's stream settings travel in. */
export function parseDurationMs(text: string, field: string): number {
  const nanos = parseDurationNanos(text, field);
  if (nanos % 1_000_000n !== 0n) {
    throw new UsageError(`${field} "${text}": must be a whole number of milliseconds`);
  }
  const ms = nanos / 1_000_000n;
  if (ms > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new UsageError(`${field} "${text}": too long`);
  }
  return Number(ms);
}
