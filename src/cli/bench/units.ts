import { UsageError } from "../usage-error.js";

const BYTES_PER_UNIT: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1000,
  kib: 1024,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
};

/** "128", "128B", "1KiB" (1024), "1KB" (1000), "1MiB", "1MB": a message size in bytes. */
export function parseSize(text: string, field: string): number {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match?.[2]?.toLowerCase() || "b";
  const per = BYTES_PER_UNIT[unit];
  const value = match && per !== undefined ? Number(match[1]) * per : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new UsageError(
      `${field} "${text}": expected a size in bytes such as 128, 1KiB (1024) or 1KB (1000)`,
    );
  }
  return value;
}

/** 850 ns, 312 µs, 3.33 ms, 1.20 s: three significant digits or so. */
export function formatNanos(nanos: number): string {
  if (nanos < 1_000) return `${Math.round(nanos)} ns`;
  if (nanos < 1_000_000) return `${trim(nanos / 1_000)} µs`;
  if (nanos < 1_000_000_000) return `${trim(nanos / 1_000_000)} ms`;
  return `${trim(nanos / 1_000_000_000)} s`;
}

function trim(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** 1,234,567 */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}
