import type { PartitionMetadata, StartPosition } from "../client/index.js";

/**
 * Whether reading from `start` up to the partition's newest message (--stop-at-latest) has
 * nothing to deliver. Liftbridge refuses such a subscription (its stop offset would be before its
 * start offset) where a person expects an empty, successful read.
 */
export function nothingBeforeLatest(start: StartPosition, partition: PartitionMetadata): boolean {
  if (partition.newestOffset < 0) return true;
  switch (start.kind) {
    case "new":
      return true;
    case "offset":
      return start.offset > partition.newestOffset;
    case "timestamp": {
      const latest = partition.messagesReceivedTimestamps?.latestTimestamp ?? 0n;
      return latest > 0n && start.timestamp > latest;
    }
    default:
      return false;
  }
}
