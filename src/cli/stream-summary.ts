import type { PartitionMetadata, StreamInfo } from "../client/index.js";
import { formatTimestampNanos } from "./time.js";

export interface StreamSummary {
  name: string;
  subject: string;
  partitions: number;
  replicationFactor: number;
  pausedPartitions: number[];
  readonlyPartitions: number[];
  createdAt: string;
}

export function summarizeStream(stream: StreamInfo): StreamSummary {
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
  };
}

/** "no", "yes" (all partitions) or "1/3" (some). */
function someOf(count: number, total: number): string {
  if (count === 0) return "no";
  return count === total ? "yes" : `${count}/${total}`;
}

export const STREAM_TABLE_HEADERS = ["NAME", "SUBJECT", "PARTITIONS", "RF", "PAUSED", "READONLY"];

export function streamTableRow(summary: StreamSummary): string[] {
  return [
    summary.name,
    summary.subject,
    String(summary.partitions),
    String(summary.replicationFactor),
    someOf(summary.pausedPartitions.length, summary.partitions),
    someOf(summary.readonlyPartitions.length, summary.partitions),
  ];
}
