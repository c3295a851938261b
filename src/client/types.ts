import type { PartitionerName } from "./partitioner.js";

export type { Ack, Message, PartitionMetadata } from "../wire/api.js";

export type AckPolicyName = "leader" | "all" | "none";
export type Bytes = Uint8Array | string;

export interface ConnectOptions {
  /** How long connect() may take to reach any of the addresses; default 5000. */
  connectTimeoutMs?: number;
  /** Deadline of admin calls (create, delete, metadata...); default 30000. */
  requestTimeoutMs?: number;
  /** Retries on stale metadata or an unavailable broker. */
  retry?: { retries?: number; initialDelayMs?: number; maxDelayMs?: number };
}

/** Per-stream settings; unset ones take the server's defaults. Durations are milliseconds. */
export interface CreateStreamOptions {
  /** lb's own: this stream's sync policy, overriding the broker's streams.sync.policy. */
  syncPolicy?: "always" | "interval" | "none";
  partitions?: number;
  /** -1 asks for one replica per broker in the cluster. */
  replicationFactor?: number;
  /** Load-balance group: streams in one group share the subject's messages. */
  group?: string;
  retentionMaxBytes?: number;
  retentionMaxMessages?: number;
  retentionMaxAgeMs?: number;
  cleanerIntervalMs?: number;
  segmentMaxBytes?: number;
  segmentMaxAgeMs?: number;
  compactMaxGoroutines?: number;
  compactEnabled?: boolean;
  autoPauseTimeMs?: number;
  autoPauseDisableIfSubscribers?: boolean;
  minIsr?: number;
  optimisticConcurrencyControl?: boolean;
  encryption?: boolean;
}

export interface PauseStreamOptions {
  /** Partitions to pause; all when absent or empty. */
  partitions?: number[];
  /** Publishing to any paused partition resumes them all. */
  resumeAll?: boolean;
}

export interface SetStreamReadonlyOptions {
  /** Partitions to change; all when absent or empty. */
  partitions?: number[];
  readonly: boolean;
}

export interface PublishOptions {
  key?: Bytes;
  headers?: Record<string, Bytes>;
  /** Explicit partition; wins over `partitioner`. Default 0. */
  partition?: number;
  partitioner?: PartitionerName;
  /** Default "leader". */
  ackPolicy?: AckPolicyName;
  /** How long to wait for the ack; default 5000. */
  timeoutMs?: number;
  correlationId?: string;
  ackInbox?: string;
  /** Optimistic concurrency control: the offset this message must get; -1 (default) for any. */
  expectedOffset?: number;
}

export type PublishToSubjectOptions = Omit<
  PublishOptions,
  "partition" | "partitioner" | "expectedOffset"
>;

export type StartPosition =
  | { kind: "new" }
  | { kind: "earliest" }
  | { kind: "latest" }
  | { kind: "offset"; offset: number }
  /** Nanoseconds since the epoch. */
  | { kind: "timestamp"; timestamp: bigint };

export type StopPosition =
  | { kind: "latest" }
  | { kind: "offset"; offset: number }
  /** Nanoseconds since the epoch. */
  | { kind: "timestamp"; timestamp: bigint };

export interface SubscribeOptions {
  /** Default 0. */
  partition?: number;
  /** Default: new messages only. */
  start?: StartPosition;
  /** Default: read until cancelled. */
  stop?: StopPosition;
  /** Read from a random in-sync replica instead of the leader. */
  readISRReplica?: boolean;
  /** Resume the partition first if it is paused. */
  resume?: boolean;
  /**
   * When the broker goes away mid-subscription, keep trying to subscribe again (from the next
   * offset) for this long before failing; default 30000, 0 to fail at once.
   */
  resubscribeWaitMs?: number;
}
