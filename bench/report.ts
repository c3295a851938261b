import Table from "cli-table3";
import type { MachineInfo } from "./machine.js";
import type { Summary } from "./stats.js";

export interface ResultRow {
  system: string;
  client: string;
  reference: boolean;
  summary?: Summary;
  /** lb / reference: msgs/s ratio, or p99 ratio for latency scenarios. */
  ratio?: number;
  /** Names the row for other rows' `ratioTo`. */
  key?: string;
  ratioTo?: { label: string; key: string }[];
  /** This row against each `ratioTo` row (the same measure as `ratio`). */
  ratios?: { label: string; value: number }[];
  /** What the row's external driver said its client is. */
  driverClient?: string;
  error?: string;
}

export interface ScenarioReport {
  id: string;
  title: string;
  compare: "rate" | "p99";
  rows: ResultRow[];
  notYet?: string;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  command: string;
  quick: boolean;
  runsPerScenario: number;
  machine: MachineInfo;
  scenarios: ScenarioReport[];
  /** Rows left out, and why (e.g. Go is not installed). */
  skipped?: string[];
}

/** Fills in each row's ratio to its scenario's reference row, and its `ratioTo` ratios. */
export function computeRatios(scenario: ScenarioReport): void {
  const reference = scenario.rows.find((r) => r.reference)?.summary;
  for (const row of scenario.rows) {
    if (!row.reference && row.summary && reference) {
      row.ratio = ratioOf(scenario.compare, row.summary, reference);
    }
    if (!row.ratioTo || !row.summary) continue;
    row.ratios = [];
    for (const { label, key } of row.ratioTo) {
      const other = scenario.rows.find((r) => r.key === key)?.summary;
      const value = other ? ratioOf(scenario.compare, row.summary, other) : undefined;
      if (value !== undefined) row.ratios.push({ label, value });
    }
  }
}

function ratioOf(compare: "rate" | "p99", row: Summary, reference: Summary): number | undefined {
  if (compare === "rate") {
    return reference.msgsPerSec > 0 ? row.msgsPerSec / reference.msgsPerSec : undefined;
  }
  if (row.latency && reference.latency && reference.latency.p99 > 0) {
    return row.latency.p99 / reference.latency.p99;
  }
  return undefined;
}

/** Microseconds as "290 µs" or "1.24 ms". */
export function formatMicros(micros: number | undefined): string {
  if (micros === undefined) return "–";
  if (micros < 1000) return `${Math.round(micros)} µs`;
  if (micros < 100_000) return `${(micros / 1000).toFixed(2)} ms`;
  return `${Math.round(micros / 1000)} ms`;
}

export function formatRate(rate: number): string {
  return Math.round(rate).toLocaleString("en-US");
}

function ratioCell(scenario: ScenarioReport, row: ResultRow, newline: string): string {
  const unit = scenario.compare === "rate" ? "msgs/s" : "p99";
  const lines: string[] = [];
  if (row.reference) lines.push("reference");
  else if (row.ratio !== undefined) lines.push(`${row.ratio.toFixed(2)} (${unit})`);
  const ratioUnit = scenario.compare === "p99" ? " (p99)" : "";
  for (const { label, value } of row.ratios ?? []) {
    lines.push(`${value.toFixed(2)}${ratioUnit} / ${label}`);
  }
  if (lines.length === 0) return row.key && !row.ratioTo ? "anchor" : "–";
  return lines.join(newline);
}

const HEADER = [
  "scenario",
  "system",
  "client",
  "msgs/s",
  "MB/s",
  "p50",
  "p99",
  "p99.9",
  "CPU/msg",
  "lb / ref",
];

function cells(scenario: ScenarioReport, newline: string): string[][] {
  if (scenario.notYet) {
    return [
      [`(${scenario.id}) ${scenario.title}`, scenario.notYet, "", "", "", "", "", "", "", ""],
    ];
  }
  return scenario.rows.map((row, i) => {
    const label = i === 0 ? `(${scenario.id}) ${scenario.title}` : "";
    if (!row.summary) {
      return [label, row.system, row.client, `failed: ${row.error ?? "?"}`, "", "", "", "", "", ""];
    }
    const { msgsPerSec, mbPerSec, latency, serverCpuUsPerMsg } = row.summary;
    return [
      label,
      row.system,
      row.client,
      formatRate(msgsPerSec),
      mbPerSec.toFixed(1),
      formatMicros(latency?.p50),
      formatMicros(latency?.p99),
      formatMicros(latency?.p999),
      serverCpuUsPerMsg === undefined ? "–" : `${serverCpuUsPerMsg.toFixed(1)} µs`,
      ratioCell(scenario, row, newline),
    ];
  });
}

function machineLine(report: BenchReport): string {
  const m = report.machine;
  return `${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.platform}; Node ${m.node}, ${m.natsServer}, nats.js ${m.natsJs}, grpc-js ${m.grpcJs}`;
}

function footer(report: BenchReport): string {
  return [
    `${report.quick ? "quick run" : "full run"}: ${report.runsPerScenario} run(s) per scenario and system, per-metric medians; latencies are per message (publish → ack, or publish → subscriber for (d)).`,
    'ref = JetStream (nats-server -js, file storage, R1, its default sync; a 3-node R3 cluster for (e)), or core NATS alone for (f). lb / ref is the msgs/s ratio (higher is better) or the p99 ratio (lower is better); "x / NAME" is the same ratio against the row NAME. CPU/msg: the server process\'s CPU time (user + system, /proc/PID/stat) per message it stored or sent during the run.',
    `Machine: ${machineLine(report)}.`,
    ...(report.skipped ?? []).map((line) => `Not run: ${line}.`),
  ].join("\n");
}

/** The table for a terminal. */
export function renderTable(report: BenchReport): string {
  const table = new Table({
    head: HEADER,
    style: { head: [], border: [], compact: true },
    wordWrap: true,
  });
  for (const scenario of report.scenarios) table.push(...cells(scenario, "\n"));
  return `${table.toString()}\n${footer(report)}\n`;
}

/** The same table in Markdown, for the README. */
export function renderMarkdown(report: BenchReport): string {
  const escapePipes = (s: string) => s.replaceAll("|", "\\|");
  const lines = [
    `| ${HEADER.join(" | ")} |`,
    `|${HEADER.map((_, i) => (i >= 3 ? "---:" : "---")).join("|")}|`,
  ];
  for (const scenario of report.scenarios) {
    for (const row of cells(scenario, "<br>"))
      lines.push(`| ${row.map(escapePipes).join(" | ")} |`);
  }
  return `${lines.join("\n")}\n\n${footer(report)}\n`;
}
