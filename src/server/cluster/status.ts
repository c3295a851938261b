import type { Role } from "../raft/types.js";

/** One broker as the cluster sees it. */
export interface BrokerStatus {
  id: string;
  host: string;
  port: number;
  /** Heard from within the liveness timeout (always true for this broker itself). */
  alive: boolean;
  /** Raft membership: "voter", "learner", or "none" (not (yet) a member). */
  membership: "voter" | "learner" | "none";
  /** Partitions the broker holds but could not open, as it last reported them. */
  localFailures: PartitionFailure[];
}

/** A partition a broker should hold but could not open locally. */
export interface PartitionFailure {
  stream: string;
  partition: number;
  error: string;
}

/** The metadata Raft group and the brokers, as this broker knows them. */
export interface ClusterStatus {
  serverId: string;
  /** ID of the controller (the metadata Raft leader); "" while none is known. */
  controller: string;
  /** This broker's Raft role. */
  role: Role;
  term: number;
  commitIndex: number;
  appliedIndex: number;
  brokers: BrokerStatus[];
}

/** Read-only view of the cluster for the API (lb describe). */
export interface ClusterView {
  status(): ClusterStatus;
}

/** One replica of a partition as its leader sees it. */
export interface ReplicaProgress {
  replica: string;
  /** The next offset the replica will fetch, i.e. its log end offset. */
  logEndOffset: number;
  /** Records the replica is behind the leader's log end. */
  lag: number;
  inSync: boolean;
  /** Milliseconds since the replica last fetched (0 for the leader itself). */
  lastFetchMsAgo: number;
}

/** A partition's replication as its leader sees it (lb describe STREAM). */
export interface PartitionProgress {
  leader: string;
  leaderEpoch: number;
  highWatermark: number;
  logEndOffset: number;
  replicas: ReplicaProgress[];
}
