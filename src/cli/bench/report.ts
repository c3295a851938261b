import type { AckPolicyName } from "../../client/index.js";
import { LatencyHistogram } from "./histogram.js";
import type { PublisherStats } from "./publish-client.js";
import type { SubscriberStats } from "./subscribe-client.js";
import { formatCount, formatNanos } from "./units.js";

/** Send → ack latency percentiles, in milliseconds. */
export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** What a client, or all clients together (client "all"), got through and how fast. */
interface Throughput {
  client: number | "all";
  bytes: number;
  seconds: number;
  msgsPerSec: number;
  /** Decimal megabytes (10^6 bytes) per second. */
  mbPerSec: number;
}

/** The rates count the messages acked (with ack policy "none", those sent without error). */
export interface PublisherSummary extends Throughput {
  sent: number;
  /** null with ack policy "none". */
  acked: number | null;
  errors: number;
  /** null with ack policy "none": there is no ack to time. */
  latencyMs: LatencySummary | null;
}

export interface SubscriberSummary extends Throughput {
  received: number;
}

export interface BenchReport {
  stream: {
    name: string;
    /** Created for the run (and deleted after it). */
    created: boolean;
    deleted: boolean;
    partitions: number;
  };
  messageSize: number;
  ackPolicy: AckPolicyName;
  window: number;
  /** Messages asked for, or null when the run was timed. */
  msgs: number | null;
  durationMs: number | null;
  publish: { clients: PublisherSummary[]; total: PublisherSummary };
  subscribe: { clients: SubscriberSummary[]; total: SubscriberSummary } | null;
  /** How far the partitions' high watermarks moved during the run (null: they could not be read). */
  stored: number | null;
  errors: number;
  firstError: string | null;
  interrupted: boolean;
}

function rate(count: number, seconds: number): number {
  return seconds > 0 ? count / seconds : 0;
}

function latencySummary(histogram: LatencyHistogram): LatencySummary | null {
  if (histogram.count === 0) return null;
  const ms = (nanos: number) => Math.round(nanos / 1e3) / 1e3;
  return {
    p50: ms(histogram.quantile(0.5)),
    p90: ms(histogram.quantile(0.9)),
    p99: ms(histogram.quantile(0.99)),
    p999: ms(histogram.quantile(0.999)),
    max: ms(histogram.max),
  };
}

/** Rates over the span from the first client's start to the last one's last message. */
function throughput(
  stats: readonly { startedAt: number; finishedAt: number }[],
  messages: number,
  bytes: number,
): Omit<Throughput, "client"> {
  const startedAt = Math.min(...stats.map((s) => s.startedAt));
  const finishedAt = Math.max(...stats.map((s) => s.finishedAt));
  const seconds = (finishedAt - startedAt) / 1000;
  return {
    bytes,
    seconds: Math.round(seconds * 1e6) / 1e6,
    msgsPerSec: Math.round(rate(messages, seconds)),
    mbPerSec: Math.round(rate(bytes, seconds) / 1e3) / 1e3,
  };
}

function publishSummary(
  client: number | "all",
  stats: readonly PublisherStats[],
  size: number,
  acked: boolean,
): PublisherSummary {
  const completed = stats.reduce((sum, s) => sum + s.completed, 0);
  const latency = new LatencyHistogram();
  for (const s of stats) latency.add(s.latency);
  const rates = throughput(stats, completed, completed * size);
  return {
    client,
    sent: stats.reduce((sum, s) => sum + s.sent, 0),
    acked: acked ? completed : null,
    errors: stats.reduce((sum, s) => sum + s.errors, 0),
    ...rates,
    latencyMs: latencySummary(latency),
  };
}

function subscribeSummary(
  client: number | "all",
  stats: readonly SubscriberStats[],
): SubscriberSummary {
  const received = stats.reduce((sum, s) => sum + s.received, 0);
  const bytes = stats.reduce((sum, s) => sum + s.bytes, 0);
  return { client, received, ...throughput(stats, received, bytes) };
}

export function summarizePublishers(
  stats: readonly PublisherStats[],
  size: number,
  ackPolicy: AckPolicyName,
): BenchReport["publish"] {
  const acked = ackPolicy !== "none";
  return {
    clients: stats.map((s) => publishSummary(s.id, [s], size, acked)),
    total: publishSummary("all", stats, size, acked),
  };
}

export function summarizeSubscribers(stats: readonly SubscriberStats[]): BenchReport["subscribe"] {
  if (stats.length === 0) return null;
  return {
    clients: stats.map((s) => subscribeSummary(s.id, [s])),
    total: subscribeSummary("all", stats),
  };
}

export const TABLE_HEADERS = [
  "CLIENT",
  "MSGS",
  "ERRORS",
  "MSGS/S",
  "MB/S",
  "P50",
  "P90",
  "P99",
  "P99.9",
  "MAX",
] as const;

function row(summary: PublisherSummary | SubscriberSummary): string[] {
  const publisher = "sent" in summary ? summary : undefined;
  const latency = publisher?.latencyMs ?? undefined;
  const ms = (value: number | undefined) => (value === undefined ? "-" : formatNanos(value * 1e6));
  const messages = publisher
    ? (publisher.acked ?? publisher.sent - publisher.errors)
    : (summary as SubscriberSummary).received;
  return [
    `${publisher ? "pub" : "sub"} ${summary.client}`,
    formatCount(messages),
    publisher ? formatCount(publisher.errors) : "-",
    formatCount(summary.msgsPerSec),
    summary.mbPerSec.toFixed(1),
    ms(latency?.p50),
    ms(latency?.p90),
    ms(latency?.p99),
    ms(latency?.p999),
    ms(latency?.max),
  ];
}

/** A row per client and one for all of them (when there are several), publishers first. */
export function tableRows(report: BenchReport): string[][] {
  const rows: string[][] = [];
  const add = <T extends PublisherSummary | SubscriberSummary>(part: {
    clients: T[];
    total: T;
  }) => {
    for (const client of part.clients) rows.push(row(client));
    if (part.clients.length > 1) rows.push(row(part.total));
  };
  add(report.publish);
  if (report.subscribe) add(report.subscribe);
  return rows;
}

/** The closing line on stderr: what got through, what the cluster stored, what failed. */
export function summaryLine(report: BenchReport): string {
  const total = report.publish.total;
  const done =
    total.acked === null
      ? `${formatCount(total.sent - total.errors)} sent without acks`
      : `${formatCount(total.acked)} acked`;
  const received = report.subscribe
    ? `, ${formatCount(report.subscribe.total.received)} received`
    : "";
  return `${done}, ${report.stored === null ? "?" : formatCount(report.stored)} stored${received}, ${formatCount(report.errors)} error${report.errors === 1 ? "" : "s"} in ${total.seconds.toFixed(2)} s`;
}
