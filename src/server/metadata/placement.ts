import type { PartitionInfo } from "./types.js";

/** A live broker and how many partitions it already holds. */
export interface BrokerLoad {
  id: string;
  replicas: number;
  leaders: number;
}

/**
 * A new stream's partitions. Each partition's replicas go to the brokers holding the fewest
 * replicas, and its leader is the one among them leading the fewest partitions, counting the
 * partitions placed so far, so replicas and leaders spread over the cluster. Ties go by ID, so
 * the result depends only on the input. Every replica starts in sync.
 */
export function placePartitions(
  brokers: readonly BrokerLoad[],
  partitionCount: number,
  replicationFactor: number,
): PartitionInfo[] {
  const load = brokers.map((b) => ({ ...b }));
  const byId = (a: BrokerLoad, b: BrokerLoad) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return Array.from({ length: partitionCount }, (_, id) => {
    const chosen = [...load]
      .sort((a, b) => a.replicas - b.replicas || byId(a, b))
      .slice(0, replicationFactor);
    const leader = [...chosen].sort((a, b) => a.leaders - b.leaders || byId(a, b))[0]!;
    for (const broker of chosen) broker.replicas++;
    leader.leaders++;
    const replicas = [leader.id, ...chosen.filter((b) => b !== leader).map((b) => b.id)];
    return {
      id,
      leader: leader.id,
      replicas,
      isr: [...replicas],
      epoch: 0,
      leaderEpoch: 1,
      paused: false,
      readonly: false,
    };
  });
}
