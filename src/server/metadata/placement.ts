import type { PartitionInfo } from "./types.js";

/**
 * A new stream's partitions: replicas rotate over the brokers per partition so leaders spread
 * over the cluster; the first replica leads, every replica starts in sync.
 */
export function placePartitions(
  brokerIds: readonly string[],
  partitionCount: number,
  replicationFactor: number,
): PartitionInfo[] {
  return Array.from({ length: partitionCount }, (_, id) => {
    const replicas = Array.from(
      { length: replicationFactor },
      (_, i) => brokerIds[(id + i) % brokerIds.length]!,
    );
    return {
      id,
      leader: replicas[0]!,
      replicas,
      isr: [...replicas],
      epoch: 0,
      leaderEpoch: 1,
      paused: false,
      readonly: false,
    };
  });
}
