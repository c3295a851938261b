import test from "ava";
import { formatTimestampNanos, parseTimestampNanos } from "../../src/cli/time.js";
import { UsageError } from "../../src/cli/usage-error.js";

test("RFC 3339 times parse to nanoseconds since the epoch, fractions to the nanosecond", (t) => {
  const at = 1_767_607_200_000_000_000n; // 2026-01-05T10:00:00Z
  t.is(parseTimestampNanos("2026-01-05T10:00:00Z", "--timestamp"), at);
  t.is(parseTimestampNanos("2026-01-05T10:00Z", "--timestamp"), at);
  t.is(parseTimestampNanos("2026-01-05t10:00:00z", "--timestamp"), at);
  t.is(parseTimestampNanos("2026-01-05 10:00:00Z", "--timestamp"), at);
  t.is(parseTimestampNanos("2026-01-05T10:00:00.5Z", "--timestamp"), at + 500_000_000n);
  t.is(parseTimestampNanos("2026-01-05T10:00:00.123456789Z", "--timestamp"), at + 123_456_789n);
  t.is(parseTimestampNanos("2026-01-05T11:30:00+01:30", "--timestamp"), at);
  t.is(parseTimestampNanos("2026-01-05T08:00:00-0200", "--timestamp"), at);
});

test("a plain number is milliseconds or nanoseconds since the epoch, told by its size", (t) => {
  t.is(parseTimestampNanos("1767607200000", "--timestamp"), 1_767_607_200_000_000_000n);
  t.is(parseTimestampNanos("1767607200123456789", "--timestamp"), 1_767_607_200_123_456_789n);
  t.is(parseTimestampNanos("0", "--timestamp"), 0n);
});

test("a number in neither unit is refused, seconds named as such", (t) => {
  t.throws(() => parseTimestampNanos("1767607200", "--timestamp"), {
    message:
      /^--timestamp "1767607200": looks like seconds; expected milliseconds \(13 digits\) or nanoseconds/,
  });
  t.throws(() => parseTimestampNanos("17676072001234567", "--timestamp"), {
    message: /^--timestamp "17676072001234567": expected milliseconds/,
  });
});

test("bad times name the flag and say what is accepted", (t) => {
  for (const text of ["yesterday", "2026-01-05", "2026-01-05T10:00:00", "-5"]) {
    t.throws(() => parseTimestampNanos(text, "--timestamp"), {
      instanceOf: UsageError,
      message: `--timestamp "${text}": expected RFC 3339 (2026-01-05T10:00:00Z), or milliseconds or nanoseconds since the epoch`,
    });
  }
  for (const text of ["2026-02-30T10:00:00Z", "2026-01-05T24:00:00Z", "2026-13-01T00:00:00Z"]) {
    t.throws(() => parseTimestampNanos(text, "--timestamp"), {
      message: `--timestamp "${text}": not a valid date and time`,
    });
  }
});

test("timestamps format as RFC 3339 in UTC with nine fractional digits", (t) => {
  t.is(formatTimestampNanos(1_767_607_200_123_456_789n), "2026-01-05T10:00:00.123456789Z");
  t.is(formatTimestampNanos(1_767_607_200_000_000_001n), "2026-01-05T10:00:00.000000001Z");
  t.is(formatTimestampNanos(0n), "1970-01-01T00:00:00.000000000Z");
});

test("formatting and parsing round-trip", (t) => {
  for (const ns of [1n, 999_999_999n, 1_767_607_200_123_456_789n, 4_102_444_800_000_000_000n]) {
    t.is(parseTimestampNanos(formatTimestampNanos(ns), "--timestamp"), ns);
  }
});
