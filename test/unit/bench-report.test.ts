import test from "ava";
import {
  type BenchReport,
  computeRatios,
  formatMicros,
  renderMarkdown,
  type ScenarioReport,
} from "../../bench/report.js";

const summary = (msgsPerSec: number, p99: number) => ({
  runs: 1,
  msgsPerSec,
  mbPerSec: msgsPerSec / 10_000,
  latency: { p50: p99 / 2, p99, p999: p99 * 2 },
  rates: [msgsPerSec],
});

test("ratios compare throughput or p99 with the reference row", (t) => {
  const rate: ScenarioReport = {
    id: "a",
    title: "async",
    compare: "rate",
    rows: [
      { system: "lb", client: "c", reference: false, summary: summary(30_000, 500) },
      { system: "JetStream", client: "c", reference: true, summary: summary(20_000, 900) },
      { system: "lb", client: "broken", reference: false, error: "boom" },
    ],
  };
  computeRatios(rate);
  t.is(rate.rows[0]!.ratio, 1.5);
  t.is(rate.rows[1]!.ratio, undefined);
  t.is(rate.rows[2]!.ratio, undefined);
  const latency: ScenarioReport = { ...rate, compare: "p99", rows: rate.rows.slice(0, 2) };
  computeRatios(latency);
  t.is(latency.rows[0]!.ratio!.toFixed(3), (500 / 900).toFixed(3));
});

test("rows compare with other rows by key, besides the reference", (t) => {
  const scenario: ScenarioReport = {
    id: "g1",
    title: "independent",
    compare: "rate",
    rows: [
      {
        system: "lb",
        client: "py",
        reference: false,
        summary: summary(6_000, 500),
        ratioTo: [
          { label: "JetStream nats.go", key: "go" },
          { label: "null server", key: "null-py" },
          { label: "a row that did not run", key: "missing" },
        ],
      },
      {
        system: "null",
        client: "py",
        reference: false,
        key: "null-py",
        summary: summary(8_000, 1),
      },
      {
        system: "JetStream",
        client: "go",
        reference: false,
        key: "go",
        summary: summary(60_000, 1),
      },
    ],
  };
  computeRatios(scenario);
  t.deepEqual(scenario.rows[0]!.ratios, [
    { label: "JetStream nats.go", value: 0.1 },
    { label: "null server", value: 0.75 },
  ]);
  t.is(scenario.rows[0]!.ratio, undefined);
  t.is(scenario.rows[1]!.ratios, undefined);
});

test("latencies print in µs below a millisecond", (t) => {
  t.is(formatMicros(290.4), "290 µs");
  t.is(formatMicros(1234), "1.23 ms");
  t.is(formatMicros(250_000), "250 ms");
  t.is(formatMicros(undefined), "–");
});

test("the Markdown table has every row, failures and scenarios that cannot run yet", (t) => {
  const scenario: ScenarioReport = {
    id: "a",
    title: "async",
    compare: "rate",
    rows: [
      { system: "lb", client: "c", reference: false, summary: summary(30_000, 500), ratio: 1.5 },
      { system: "lb", client: "d", reference: false, error: "no broker" },
      { system: "JetStream", client: "c", reference: true, summary: summary(20_000, 900) },
    ],
  };
  const report: BenchReport = {
    startedAt: "",
    finishedAt: "",
    command: "node dist/bench/run.js",
    quick: true,
    runsPerScenario: 1,
    machine: {
      cpus: 2,
      cpuModel: "CPU",
      memoryGiB: 8,
      platform: "Linux",
      node: "v20",
      natsServer: "nats-server: v2.9.10",
      natsJs: "2.29.3",
      grpcJs: "1.14.7",
    },
    scenarios: [
      scenario,
      { id: "e", title: "RF 3", compare: "rate", rows: [], notYet: "not yet: needs replication" },
    ],
  };
  const markdown = renderMarkdown(report);
  t.regex(
    markdown,
    /\| \(a\) async \| lb \| c \| 30,000 \| 3\.0 \| 250 µs \| 500 µs \| 1\.00 ms \| – \| 1\.50 \(msgs\/s\) \|/,
  );
  t.regex(markdown, /\| lb \| d \| failed: no broker \|/);
  t.regex(markdown, /\| JetStream \| c \| 20,000 .* \| reference \|/);
  t.regex(markdown, /\| \(e\) RF 3 \| not yet: needs replication \|/);
  t.regex(markdown, /2 CPUs \(CPU\)/);
});
