import { UsageError } from "./usage-error.js";

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;
const NANOS_PER_MS = 1_000_000n;

/** Epoch numbers from 1973 to 5138 in milliseconds, and from 1973 to 2286 in nanoseconds. */
const MS_RANGE = [10n ** 11n, 10n ** 14n] as const;
const NS_RANGE = [10n ** 17n, 10n ** 19n] as const;

/**
 * A number since the epoch: milliseconds, or nanoseconds (what `lb sub --json` prints as
 * timestampNs). Which one is told by its size; a number that is neither (seconds, say) is
 * refused rather than taken for a time no message has.
 */
function parseEpochNumber(text: string, field: string): bigint {
  const n = BigInt(text);
  if (n === 0n) return 0n;
  if (n >= NS_RANGE[0] && n < NS_RANGE[1]) return n;
  if (n >= MS_RANGE[0] && n < MS_RANGE[1]) return n * NANOS_PER_MS;
  const seconds = n >= 10n ** 8n && n < MS_RANGE[0];
  throw new UsageError(
    `${field} "${text}": ${seconds ? "looks like seconds; " : ""}expected milliseconds (13 digits) or nanoseconds (19 digits, as --json's timestampNs) since the epoch, or RFC 3339`,
  );
}

/**
 * Parses a point in time given as RFC 3339 ("2026-01-05T10:00:00.5Z", seconds optional) or as
 * milliseconds or nanoseconds since the Unix epoch, into nanoseconds since the epoch
 * (Liftbridge's timestamps).
 */
export function parseTimestampNanos(text: string, field: string): bigint {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return parseEpochNumber(trimmed, field);
  const match = RFC3339.exec(trimmed);
  if (!match) {
    throw new UsageError(
      `${field} "${text}": expected RFC 3339 (2026-01-05T10:00:00Z), or milliseconds or nanoseconds since the epoch`,
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
