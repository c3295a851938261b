import type { NatsConnection } from "nats";
import type { BrokerConfig } from "../config/index.js";
import type { CommitLog } from "../log/index.js";
import type { Logger } from "../logger.js";
import type { PartitionInfo, StreamInfo } from "../metadata/types.js";

/**
 * What partition replicas tell the controller. The controller commits the change (or ignores
 * it when the leader epoch is stale); replicas never change the ISR themselves.
 */
export interface ReplicationControl {
  /** The leader asks to remove a lagging or silent `replica` from the ISR. */
  shrinkIsr(stream: string, partition: number, replica: string, leaderEpoch: number): Promise<void>;
  /** The leader asks to add `replica`, which has caught up, back to the ISR. */
  expandIsr(stream: string, partition: number, replica: string, leaderEpoch: number): Promise<void>;
  /** A follower reports that `leader` has not answered its fetches. */
  reportLeader(
    stream: string,
    partition: number,
    leader: string,
    leaderEpoch: number,
  ): Promise<void>;
  /**
   * The leader of `leaderEpoch` cannot lead with its log (damaged, or missing committed
   * records) and asks the controller to hand the partition to another ISR member, leaving the
   * ISR itself until it has repaired. `moved: false` (with why) when no live ISR member can
   * take over.
   */
  resignLeader(
    stream: string,
    partition: number,
    leaderEpoch: number,
    reason: string,
  ): Promise<ResignAnswer>;
}

/** The controller's answer to a resignation. */
export type ResignAnswer = { moved: true; leader: string } | { moved: false; reason: string };

/** The broker settings replication needs. Durations are milliseconds. */
export interface ReplicationSettings {
  /** Prefix of every internal subject. */
  namespace: string;
  /** This broker's ID. */
  serverId: string;
  /** A follower that has not fetched, or not caught up, for this long leaves the ISR. */
  replicaMaxLagTimeMs: number;
  /** A follower reports a leader that has not answered for this long. */
  replicaMaxLeaderTimeoutMs: number;
  /** A caught-up follower fetches again after this long unless notified earlier. */
  replicaMaxIdleWaitMs: number;
  /** How long a follower waits for one answer from the leader. */
  replicaFetchTimeoutMs: number;
  /** Upper bound on the record bytes of one fetch response (at least one record is sent). */
  replicationMaxBytes: number;
  /** ALL-acked publishes are refused while the ISR is smaller (a stream's minIsr overrides). */
  minInsyncReplicas: number;
}

export function replicationSettings(
  config: Pick<BrokerConfig, "namespace" | "serverId" | "clustering">,
  serverId = config.serverId,
): ReplicationSettings {
  const c = config.clustering;
  return {
    namespace: config.namespace,
    serverId,
    replicaMaxLagTimeMs: c.replicaMaxLagTimeMs,
    replicaMaxLeaderTimeoutMs: c.replicaMaxLeaderTimeoutMs,
    replicaMaxIdleWaitMs: c.replicaMaxIdleWaitMs,
    replicaFetchTimeoutMs: c.replicaFetchTimeoutMs,
    replicationMaxBytes: c.replicationMaxBytes,
    minInsyncReplicas: c.minInsyncReplicas,
  };
}

/** What every replica of a partition works with, leader or follower. */
export interface ReplicaContext {
  stream: StreamInfo;
  /** The live partition metadata: leader, replicas, ISR and epochs change in place. */
  info: PartitionInfo;
  log: CommitLog;
  nc: NatsConnection;
  logger: Logger;
  settings: ReplicationSettings;
  control: ReplicationControl;
}
