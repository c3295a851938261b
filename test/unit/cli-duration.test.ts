import test from "ava";
import { parseDurationMs, parseDurationNanos } from "../../src/cli/duration.js";
import { UsageError } from "../../src/cli/usage-error.js";

const NS_PER_MS = 1_000_000n;

test("Go durations parse to nanoseconds like time.ParseDuration", (t) => {
  const cases: [string, bigint][] = [
    ["0", 0n],
    ["300ms", 300n * NS_PER_MS],
    ["1h30m", 90n * 60_000n * NS_PER_MS],
    ["1.5h", 90n * 60_000n * NS_PER_MS],
    ["2h45m30.5s", (2n * 3600n + 45n * 60n + 30n) * 1000n * NS_PER_MS + 500n * NS_PER_MS],
    [".5s", 500n * NS_PER_MS],
    ["24h", 24n * 3600n * 1000n * NS_PER_MS],
    ["1us", 1000n],
    ["1µs", 1000n],
    ["1μs", 1000n],
    ["7ns", 7n],
    ["+5s", 5000n * NS_PER_MS],
    ["1m0.000000001s", 60_000n * NS_PER_MS + 1n],
  ];
  for (const [text, nanos] of cases) t.is(parseDurationNanos(text, "--x"), nanos, text);
});

test("durations convert to whole milliseconds", (t) => {
  t.is(parseDurationMs("24h", "--retention-max-age"), 86_400_000);
  t.is(parseDurationMs("5s", "--timeout"), 5000);
  t.is(parseDurationMs("2000000ns", "--timeout"), 2);
  t.is(parseDurationMs("0", "--auto-pause-time"), 0);
});

test("bad durations name the flag, the value and what was expected", (t) => {
  const cases: [string, RegExp][] = [
    ["5", /--retention-max-age "5": missing unit \(expected one of ns, us, ms, s, m, h\)/],
    ["5x", /--retention-max-age "5x": unknown unit "x"/],
    ["-1s", /--retention-max-age "-1s": must not be negative/],
    ["", /--retention-max-age "": expected a duration such as 500ms/],
    ["h", /--retention-max-age "h": expected a duration/],
    ["1h 30m", /unknown unit "h "/],
  ];
  for (const [text, message] of cases) {
    const err = t.throws(() => parseDurationNanos(text, "--retention-max-age"), {
      instanceOf: UsageError,
    });
    t.regex(err.message, message, text);
  }
});

test("a duration finer than a millisecond is refused where milliseconds are required", (t) => {
  t.throws(() => parseDurationMs("1500us", "--segment-max-age"), {
    instanceOf: UsageError,
    message: '--segment-max-age "1500us": must be a whole number of milliseconds',
  });
});
