import { UsageError } from "./usage-error.js";

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;
const NANOS_PER_MS = 1_000_000n;

/**
 * Parses a point in time given as RFC 3339 ("2026-01-05T10:00:00.5Z", seconds optional) or as
 * milliseconds since the Unix epoch, into nanoseconds since the epoch (Liftbridge's timestamps).
 */
export function parseTimestampNanos(text: string, field: string): bigint {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return BigInt(trimmed) * NANOS_PER_MS;
  const match = RFC3339.exec(trimmed);
  if (!match) {
    throw new UsageError(
      `${field} "${text}": expected RFC 3339 (2026-01-05T10:00:00Z) or milliseconds since the epoch`,
    );
  }
  const [, year, month, day, hour, minute, second = "0", fraction = "", zulu, sign, offH, offM] =
    match;
  const wall = new Date(0);
  wall.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  wall.setUTCHours(Number(hour), Number(minute), Number(second), 0);
  const wallMs = wall.getTime();
  if (
    Number.isNaN(wallMs) ||
    wall.getUTCDate() !== Number(day) ||
    wall.getUTCMonth() !== Number(month) - 1 ||
    Number(hour) > 23 ||
    Number(minute) > 59 ||
    Number(second) > 59
  ) {
    throw new UsageError(`${field} "${text}": not a valid date and time`);
  }
  const offsetMinutes = zulu ? 0 : (sign === "-" ? -1 : 1) * (Number(offH) * 60 + Number(offM));
  const utcMs = BigInt(wallMs) - BigInt(offsetMinutes) * 60_000n;
  const fractionNanos = fraction === "" ? 0n : BigInt(fraction.padEnd(9, "0"));
  return utcMs * NANOS_PER_MS + fractionNanos;
}

/** Nanoseconds since the epoch as RFC 3339 in UTC with all nine fractional digits. */
export function formatTimestampNanos(nanos: bigint): string {
  const ms = nanos / NANOS_PER_MS - (nanos % NANOS_PER_MS < 0n ? 1n : 0n);
  const subMsNanos = nanos - ms * NANOS_PER_MS;
  const iso = new Date(Number(ms)).toISOString(); // 2026-01-05T10:00:00.123Z
  const millis = iso.slice(20, 23);
  return `${iso.slice(0, 19)}.${millis}${subMsNanos.toString().padStart(6, "0")}Z`;
}
