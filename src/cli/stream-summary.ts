import type { PartitionMetadata, StreamDescription, StreamInfo } from "../client/index.js";
import {
  SETTINGS_TABLE_HEADERS,
  type StreamSettings,
  settingsTableCells,
  streamSettings,
} from "./stream-settings.js";
import { formatTimestampNanos } from "./time.js";

export interface StreamSummary {
  name: string;
  subject: string;
  partitions: number;
  replicationFactor: number;
  pausedPartitions: number[];
  readonlyPartitions: number[];
  createdAt: string;
  /** null when the broker does not offer lb.admin (an upstream broker). */
  settings: StreamSettings | null;
}

export function summarizeStream(
  stream: StreamInfo,
  description?: StreamDescription,
): StreamSummary {
  const ids = (keep: (p: PartitionMetadata) => boolean) =>
    stream.partitions.filter(keep).map((p) => p.id);
  return {
    name: stream.name,
    subject: stream.subject,
    partitions: stream.partitions.length,
    replicationFactor: Math.max(0, ...stream.partitions.map((p) => p.replicas.length)),
    pausedPartitions: ids((p) => p.paused),
    readonlyPartitions: ids((p) => p.readonly),
    createdAt: formatTimestampNanos(stream.creationTimestamp),
    settings: description ? streamSettings(description) : null,
  };
}

/** "no", "yes" (all partitions) or "1/3" (some). */
function someOf(count: number, total: number): string {
  if (count === 0) return "no";
  return count === total ? "yes" : `${count}/${total}`;
}

export const STREAM_TABLE_HEADERS = [
  "NAME",
  "SUBJECT",
  "PARTITIONS",
  "RF",
  "PAUSED",
  "READONLY",
  ...SETTINGS_TABLE_HEADERS,
];

export function streamTableRow(summary: StreamSummary): string[] {
  return [
    summary.name,
    summary.subject,
    String(summary.partitions),
    String(summary.replicationFactor),
    someOf(summary.pausedPartitions.length, summary.partitions),
    someOf(summary.readonlyPartitions.length, summary.partitions),
    ...settingsTableCells(summary.settings ?? undefined),
  ];
}

/** Each stream's settings by name, from lb.admin (empty against a broker without it). */
export async function describeStreamSettings(
  client: {
    describeStreams(streams?: string[]): Promise<{ streams: StreamDescription[] }>;
  },
  names: string[] = [],
): Promise<Map<string, StreamDescription>> {
  try {
    const { streams } = await client.describeStreams(names);
    return new Map(streams.map((d) => [d.config.name, d]));
  } catch (err) {
    if (err instanceof Error && "kind" in err && err.kind === "unimplemented") return new Map();
    throw err;
  }
}
