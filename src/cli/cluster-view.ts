import {
  type BrokerInfo,
  type DescribeClusterResponse,
  formatAddress,
  type LocalFailure,
  type PartitionMetadata,
  type PartitionProgress,
  type ReplicaProgress,
} from "../client/index.js";

/** A broker as lb describe shows it: FetchMetadata's view, plus the cluster's when known. */
export interface DescribedBroker extends BrokerInfo {
  alive?: boolean;
  membership?: string;
  /** This broker is the controller (the metadata Raft leader). */
  controller?: boolean;
  /** Partitions the broker holds but could not open. */
  localFailures?: LocalFailure[];
}

/** A partition as lb describe STREAM shows it: its metadata, plus its leader's progress. */
export interface DescribedPartition extends PartitionMetadata {
  leaderEpoch?: number;
  logEndOffset?: number;
  replicaProgress?: ReplicaProgress[];
}

/**
 * The brokers FetchMetadata lists, in its order, with the cluster's view of each; then any
 * broker only the cluster knows (a Raft member that has not registered, say).
 */
export function describeBrokers(
  brokers: readonly BrokerInfo[],
  cluster: DescribeClusterResponse | undefined,
): DescribedBroker[] {
  if (!cluster) return [...brokers];
  const known = new Map(cluster.brokers.map((b) => [b.id, b]));
  const clusterView = (id: string) => {
    const b = known.get(id);
    return {
      alive: b?.alive ?? false,
      membership: b?.membership || "none",
      controller: id === cluster.controller,
      localFailures: b?.localFailures ?? [],
    };
  };
  const listed = new Set(brokers.map((b) => b.id));
  return [
    ...brokers.map((b) => ({ ...b, ...clusterView(b.id) })),
    ...cluster.brokers
      .filter((b) => !listed.has(b.id))
      .map((b) => ({
        id: b.id,
        host: b.host,
        port: b.port,
        address: formatAddress(b),
        partitionCount: 0,
        leaderCount: 0,
        ...clusterView(b.id),
      })),
  ];
}

export const BROKER_TABLE_HEADERS = [
  "ID",
  "HOST",
  "PORT",
  "PARTITIONS",
  "LEADERS",
  "ALIVE",
  "RAFT",
  "CONTROLLER",
];

export function brokerTableRow(b: DescribedBroker): string[] {
  const yesNo = (flag: boolean | undefined) => (flag === undefined ? "-" : flag ? "yes" : "no");
  return [
    b.id,
    b.host,
    String(b.port),
    String(b.partitionCount),
    String(b.leaderCount),
    yesNo(b.alive),
    b.membership ?? "-",
    b.controller ? "*" : "",
  ];
}

export const LOCAL_FAILURE_TABLE_HEADERS = ["BROKER", "STREAM", "PARTITION", "COULD NOT OPEN"];

/** One row per partition a broker holds but could not open; none when all opened. */
export function localFailureRows(brokers: readonly DescribedBroker[]): string[][] {
  return brokers.flatMap((b) =>
    (b.localFailures ?? []).map((f) => [b.id, f.stream, String(f.partition), f.error]),
  );
}

/** One line: who leads the metadata group and how far the broker that answered has got. */
export function clusterLine(cluster: DescribeClusterResponse): string {
  return [
    "cluster",
    `controller ${cluster.controller || "none"}`,
    `term ${cluster.term}`,
    `commit ${cluster.commitIndex}`,
    `applied ${cluster.appliedIndex}`,
    `answered by ${cluster.serverId} (${cluster.role})`,
  ].join("  ");
}

/** The partition's metadata with its leader's progress report, when there is one. */
export function describePartition(
  partition: PartitionMetadata,
  progress: PartitionProgress | undefined,
): DescribedPartition {
  if (!progress) return { ...partition };
  return {
    ...partition,
    leaderEpoch: progress.leaderEpoch,
    logEndOffset: progress.logEndOffset,
    replicaProgress: progress.replicas,
  };
}

export const PARTITION_TABLE_HEADERS = [
  "ID",
  "LEADER",
  "REPLICAS",
  "ISR",
  "HW",
  "NEWEST",
  "PAUSED",
  "READONLY",
  "EPOCH",
];

export function partitionTableRow(p: DescribedPartition): string[] {
  return [
    String(p.id),
    p.leader || "-",
    p.replicas.join(","),
    p.isr.join(","),
    String(p.highWatermark),
    String(p.newestOffset),
    p.paused ? "yes" : "no",
    p.readonly ? "yes" : "no",
    p.leaderEpoch === undefined ? "-" : String(p.leaderEpoch),
  ];
}

export const REPLICA_TABLE_HEADERS = [
  "PARTITION",
  "REPLICA",
  "LOG END",
  "LAG",
  "IN SYNC",
  "LAST FETCH",
];

/** One row per replica of each partition whose leader reported; the leader fetches nothing. */
export function replicaTableRows(partitions: readonly DescribedPartition[]): string[][] {
  return partitions.flatMap((p) =>
    (p.replicaProgress ?? []).map((r) => [
      String(p.id),
      r.replica,
      String(r.logEndOffset),
      String(r.lag),
      r.inSync ? "yes" : "no",
      r.replica === p.leader ? "-" : `${formatMsAgo(r.lastFetchMsAgo)} ago`,
    ]),
  );
}

/** 850ms, 12.3s, 4m05s, 2h10m: short, and precise where it matters. */
export function formatMsAgo(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
  }
  const minutes = Math.floor(seconds / 60);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}
