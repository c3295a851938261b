import type { CommitLog } from "../log/index.js";

/** The leader's answer to "where does epoch E end?" (see EpochOffsetResponse). */
export interface EpochEnd {
  /** The largest epoch <= the asked one the leader has; -1 if none. */
  epoch: number;
  endOffset: number;
}

/**
 * The leader's log ends below records this follower knows were committed: cutting them would
 * lose acknowledged records on this replica too. Nothing was cut; the leader must step down.
 */
export class CommittedTruncationError extends Error {
  constructor(
    /** Where the leader's lineage would have the log cut. */
    readonly cutAt: number,
    /** The follower's high watermark. */
    readonly highWatermark: number,
  ) {
    super(
      `the leader's log would have this replica cut at offset ${cutAt}, below its high watermark ${highWatermark}: the leader is missing committed records`,
    );
    this.name = "CommittedTruncationError";
  }
}

/**
 * Truncation by leader epoch (KIP-101): cuts the follower's log where its lineage leaves the
 * leader's, so records that were never committed are dropped and never served, while committed
 * ones (which the leader has) are kept, whatever the high watermark checkpoint says.
 *
 * Asks the leader where the follower's latest epoch ends. When the leader knows that epoch,
 * the log is cut at its end there. When the leader only knows an earlier epoch, the follower's
 * records from that earlier epoch's end (on either side) on are not the leader's; after cutting
 * there the follower's latest epoch is lower and the question is asked again, until both agree
 * or nothing more is cut. Returns where the log was cut, or undefined if it was not.
 *
 * Records up to `highWatermark` (the follower's) were committed, so every later leader has
 * them: a cut at or below it means the leader lost them, and it throws
 * CommittedTruncationError instead of cutting.
 */
export async function truncateByLeaderEpoch(
  log: CommitLog,
  ask: (epoch: number) => Promise<EpochEnd>,
  highWatermark = -1,
): Promise<number | undefined> {
  let cutAt: number | undefined;
  for (;;) {
    const latest = log.leaderEpochs.at(-1);
    if (!latest) return cutAt;
    const answer = await ask(latest.epoch);
    let target = answer.endOffset;
    if (answer.epoch >= 0 && answer.epoch < latest.epoch) {
      const own = log.endOffsetForEpoch(answer.epoch);
      if (own) target = Math.min(target, own.endOffset);
    }
    const before = log.nextOffset;
    if (target <= highWatermark) throw new CommittedTruncationError(target, highWatermark);
    if (target < before) {
      await log.truncateTo(target);
      cutAt = target;
    }
    if (answer.epoch === latest.epoch || log.nextOffset >= before) return cutAt;
  }
}
