import type { PartitionProgress } from "../cluster/status.js";
import type { PartitionInfo } from "../metadata/types.js";

/**
 * What the progress report needs of an open partition. A partition that tracks its followers
 * exposes replicationStatus(); one that does not is reported as its only replica.
 */
export interface ProgressSource {
  readonly info: Pick<PartitionInfo, "leaderEpoch">;
  readonly highWatermark: number;
  readonly log: { readonly nextOffset: number };
  replicationStatus?: () => PartitionProgress;
}

/** A partition's replication as this broker, its leader, sees it. */
export function partitionProgress(partition: ProgressSource, serverId: string): PartitionProgress {
  if (typeof partition.replicationStatus === "function") return partition.replicationStatus();
  const logEndOffset = partition.log.nextOffset;
  return {
    leader: serverId,
    leaderEpoch: partition.info.leaderEpoch,
    highWatermark: partition.highWatermark,
    logEndOffset,
    replicas: [{ replica: serverId, logEndOffset, lag: 0, inSync: true, lastFetchMsAgo: 0 }],
  };
}

/** A paused partition is not open anywhere: only the metadata is known, no offsets, no replicas. */
export function pausedPartitionProgress(
  info: Pick<PartitionInfo, "leader" | "leaderEpoch">,
): PartitionProgress {
  return {
    leader: info.leader,
    leaderEpoch: info.leaderEpoch,
    highWatermark: -1,
    logEndOffset: -1,
    replicas: [],
  };
}
