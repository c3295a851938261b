import test from "ava";
import { LatencyHistogram } from "../../src/cli/bench/histogram.js";
import { parseSize } from "../../src/cli/bench/units.js";

test("percentiles are within 1 % of the exact ones; max is exact; merged histograms add up", (t) => {
  const values = Array.from({ length: 10_000 }, (_, i) => (i + 1) * 1_337); // 1.3 µs .. 13.4 ms
  const exact = (q: number) => values[Math.ceil(q * values.length) - 1]!;
  const one = new LatencyHistogram();
  const other = new LatencyHistogram();
  for (const [i, value] of values.entries()) (i % 2 ? one : other).record(value);
  one.add(other);
  t.is(one.count, values.length);
  t.is(one.max, values.at(-1)!);
  t.is(one.min, values[0]!);
  for (const q of [0.5, 0.9, 0.99, 0.999]) {
    const error = Math.abs(one.quantile(q) - exact(q)) / exact(q);
    t.true(error < 0.01, `p${q * 100}: ${one.quantile(q)} against ${exact(q)}`);
  }
  t.is(one.quantile(1), one.max);
  t.is(new LatencyHistogram().quantile(0.5), 0);
  const small = new LatencyHistogram();
  for (const value of [3, 3, 7, 100]) small.record(value);
  t.is(small.quantile(0.5), 3, "small values are counted exactly");
  t.is(small.quantile(0.75), 7);
});

test("sizes: bytes, KiB and MiB in 1024s, KB and MB in 1000s; anything else is refused", (t) => {
  t.is(parseSize("128", "--size"), 128);
  t.is(parseSize("128B", "--size"), 128);
  t.is(parseSize("1KiB", "--size"), 1024);
  t.is(parseSize("1kb", "--size"), 1000);
  t.is(parseSize("2MiB", "--size"), 2 * 1024 * 1024);
  t.is(parseSize("0", "--size"), 0);
  for (const bad of ["", "1.5KB", "-1", "1K", "1XB", "KB"]) {
    t.throws(() => parseSize(bad, "--size"), { message: new RegExp(`--size "${bad}"`) });
  }
});
