import test from "ava";
import { LatencyRecorder, median, percentile, summarize } from "../../bench/stats.js";

test("percentile is the nearest rank of sorted samples", (t) => {
  const sorted = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
  t.is(percentile(sorted, 0.5), 500);
  t.is(percentile(sorted, 0.99), 990);
  t.is(percentile(sorted, 0.999), 999);
  t.is(percentile(sorted, 1), 1000);
  t.is(percentile([7], 0.5), 7);
  t.throws(() => percentile([], 0.5), { message: /no samples/ });
  t.throws(() => percentile([1], 0), { message: /q is 0, expected a number in \(0, 1\]/ });
});

test("median of odd and even counts", (t) => {
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.throws(() => median([]), { message: /no values/ });
});

test("the latency recorder grows past its first buffer and sorts numerically", (t) => {
  const recorder = new LatencyRecorder();
  t.is(recorder.percentiles(), undefined);
  for (let i = 5000; i >= 1; i--) recorder.record(i * 10);
  t.is(recorder.size, 5000);
  t.deepEqual(recorder.percentiles(), { p50: 25_000, p99: 49_500, p999: 49_950 });
});

test("a summary takes per-metric medians over runs", (t) => {
  const summary = summarize([
    { messages: 1000, seconds: 1, messageBytes: 100, latency: { p50: 10, p99: 90, p999: 300 } },
    { messages: 3000, seconds: 1, messageBytes: 100, latency: { p50: 30, p99: 70, p999: 100 } },
    { messages: 4000, seconds: 2, messageBytes: 100, latency: { p50: 20, p99: 80, p999: 200 } },
  ]);
  t.is(summary.runs, 3);
  t.deepEqual(summary.rates, [1000, 3000, 2000]);
  t.is(summary.msgsPerSec, 2000);
  t.is(summary.mbPerSec, 0.2);
  t.deepEqual(summary.latency, { p50: 20, p99: 80, p999: 200 });
  t.is(summarize([{ messages: 10, seconds: 1, messageBytes: 100 }]).latency, undefined);
});
