import { crc32 } from "@node-rs/crc32";

export type PartitionerName = "key" | "round-robin";

/**
 * The partition go-liftbridge's PartitionByKey picks: the IEEE CRC-32 of the key (an absent key
 * hashes as empty), as an unsigned number, modulo the partition count. Keys must land on the
 * same partitions whichever client published them.
 */
export function partitionForKey(key: Uint8Array | undefined, partitionCount: number): number {
  if (partitionCount <= 0) return 0;
  return (crc32(key ?? new Uint8Array(0)) >>> 0) % partitionCount;
}

/** go-liftbridge's PartitionByRoundRobin: one counter per stream, starting at partition 0. */
export class RoundRobinPartitioner {
  private readonly counters = new Map<string, number>();

  next(stream: string, partitionCount: number): number {
    if (partitionCount <= 0) return 0;
    const count = this.counters.get(stream) ?? 0;
    this.counters.set(stream, (count + 1) % Number.MAX_SAFE_INTEGER);
    return count % partitionCount;
  }
}
