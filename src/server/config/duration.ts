const NANOS_PER_UNIT: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  "\u00b5s": 1_000n, // micro sign
  "\u03bcs": 1_000n, // Greek small letter mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const COMPONENT = /(\d*)(?:\.(\d*))?(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/y;

/**
 * Parses a Go duration string ("1h30m", "100ms", "1.5s", "0") into milliseconds. Returns
 * undefined when the text is not a valid Go duration. Arithmetic is done in integer
 * nanoseconds, as Go does, so "1.1s" is exactly 1100 ms.
 */
export function parseGoDuration(text: string): number | undefined {
  let rest = text.trim();
  let sign = 1n;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    if (rest[0] === "-") sign = -1n;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") return undefined;
  let total = 0n;
  let pos = 0;
  while (pos < rest.length) {
    COMPONENT.lastIndex = pos;
    const match = COMPONENT.exec(rest);
    if (!match) return undefined;
    const [whole, intDigits, fracDigits = "", unit] = match;
    if (intDigits === "" && fracDigits === "") return undefined;
    const perUnit = NANOS_PER_UNIT[unit!]!;
    total += BigInt(intDigits || "0") * perUnit;
    if (fracDigits !== "") {
      total += (BigInt(fracDigits) * perUnit) / 10n ** BigInt(fracDigits.length);
    }
    pos += whole.length;
  }
  return Number(sign * total) / 1e6;
}

/** Formats milliseconds as a compact Go-style duration: 604800000 → "168h", 1500 → "1.5s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0";
  if (ms < 0) return `-${formatDuration(-ms)}`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const restMs = ms % 60_000;
  let out = "";
  if (hours > 0) out += `${hours}h`;
  if (minutes > 0) out += `${minutes}m`;
  if (restMs > 0) out += restMs >= 1000 ? `${restMs / 1000}s` : `${restMs}ms`;
  return out;
}
