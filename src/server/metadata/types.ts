import type { CreateStreamRequest } from "../../wire/api.js";

export const STREAM_SETTING_KEYS = [
  "retentionMaxBytes",
  "retentionMaxMessages",
  "retentionMaxAge",
  "cleanerInterval",
  "segmentMaxBytes",
  "segmentMaxAge",
  "compactMaxGoroutines",
  "compactEnabled",
  "autoPauseTime",
  "autoPauseDisableIfSubscribers",
  "minIsr",
  "optimisticConcurrencyControl",
  "encryption",
] as const satisfies readonly (keyof CreateStreamRequest)[];

/** Per-stream settings as given on CreateStream; an absent value means "use the broker default". */
export type StreamSettings = Partial<
  Pick<CreateStreamRequest, (typeof STREAM_SETTING_KEYS)[number]>
> & {
  /** lb's own: overrides streams.sync.policy for this stream (set through lb.admin.Admin). */
  syncPolicy?: SyncPolicy;
};

export type SyncPolicy = "always" | "interval" | "none";
export const SYNC_POLICIES: readonly SyncPolicy[] = ["always", "interval", "none"];

export interface PartitionInfo {
  id: number;
  leader: string;
  replicas: string[];
  isr: string[];
  /** Bumped on every change to the partition's leader or ISR. */
  epoch: number;
  /** Bumped on every leader change; stamped on records for truncation by epoch. */
  leaderEpoch: number;
  paused: boolean;
  readonly: boolean;
  /** When the paused flag was first and last changed (ns since the epoch, decimal strings). */
  pauseTimestamps?: EventTimestamps;
  readonlyTimestamps?: EventTimestamps;
}

export interface EventTimestamps {
  first: string;
  latest: string;
}

export interface StreamInfo {
  name: string;
  subject: string;
  group: string;
  replicationFactor: number;
  partitions: PartitionInfo[];
  settings: StreamSettings;
  /** Nanoseconds since the epoch, as a decimal string (JSON has no 64-bit integers). */
  creationTimestamp: string;
  /** Set by a pause with resumeAll: the next publish to any partition resumes them all. */
  resumeAll?: boolean;
}

/** A consumer group: members and the streams each consumes; assignments derive from them. */
export interface GroupInfo {
  id: string;
  coordinator: string;
  /** Bumped on every change to the members or their streams; fences stale consumers. */
  epoch: number;
  /** In join order, which breaks ties when partitions are assigned. */
  members: GroupMember[];
}

export interface GroupMember {
  id: string;
  streams: string[];
}

export interface BrokerInfo {
  id: string;
  host: string;
  port: number;
  /** False once the controller saw the broker stop; absent (older entries) means alive. */
  alive?: boolean;
}

export type MetadataCommand =
  | { op: "upsertBroker"; broker: BrokerInfo }
  | { op: "createStream"; stream: StreamInfo }
  | { op: "deleteStream"; name: string }
  /** `partitions` empty means all; `timestamp` is the proposer's clock (ns, decimal). */
  | {
      op: "pauseStream";
      stream: string;
      partitions: number[];
      resumeAll: boolean;
      timestamp: string;
    }
  | { op: "resumeStream"; stream: string; partitions: number[]; timestamp: string }
  | {
      op: "setReadonly";
      stream: string;
      partitions: number[];
      readonly: boolean;
      timestamp: string;
    }
  /** The controller saw the broker stop: it loses its leaderships and leaves every ISR. */
  | { op: "brokerDown"; id: string }
  | { op: "brokerUp"; id: string }
  /** `leaderEpoch` is the epoch the proposer saw: a change based on stale state is refused. */
  | { op: "changeLeader"; stream: string; partition: number; leaderEpoch: number; leader: string }
  | { op: "shrinkIsr"; stream: string; partition: number; leaderEpoch: number; replica: string }
  | { op: "expandIsr"; stream: string; partition: number; leaderEpoch: number; replica: string }
  | { op: "joinGroup"; group: string; consumer: string; streams: string[]; coordinator: string }
  | { op: "leaveGroup"; group: string; consumer: string; expired: boolean };

export type ApplyResult =
  | { ok: true }
  /** `invalid`: a committed command that could not be applied, skipped alike on every broker. */
  | { ok: false; reason: "exists" | "not_found" | "stale" | "not_in_isr" | "invalid" };
