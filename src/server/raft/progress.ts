/**
 * How the leader replicates to one follower:
 * - probe: it does not know where the follower's log matches; one append at a time, then
 *   wait for the answer (or a heartbeat response) before the next.
 * - replicate: the logs match up to `match`; stream appends optimistically, up to a window of
 *   in-flight messages.
 * - snapshot: the follower needs entries the leader compacted; a snapshot is on its way.
 */
export type ProgressState = "probe" | "replicate" | "snapshot";

export class Progress {
  /** Highest index known to match the leader's log. */
  match = 0;
  /** Next index to send. */
  next: number;
  state: ProgressState = "probe";
  /** Index of the snapshot in flight (state "snapshot"). */
  pendingSnapshot = 0;
  /** Ticks since the snapshot was sent: a snapshot lost in transit is retried. */
  snapshotTicks = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** In probe state: an append is out and unanswered. */
  probeSent = false;
  /** In replicate state: the last index of each unacknowledged append, oldest first. */
  readonly inflight: number[] = [];

  constructor(
    next: number,
    readonly maxInflight: number,
  ) {
    this.next = next;
  }

  becomeProbe(): void {
    // After a snapshot the follower holds at least the snapshot's entries.
    this.next =
      this.state === "snapshot"
        ? Math.max(this.match + 1, this.pendingSnapshot + 1)
        : this.match + 1;
    this.reset("probe");
  }

  becomeReplicate(): void {
    this.next = this.match + 1;
    this.reset("replicate");
  }

  becomeSnapshot(index: number): void {
    this.reset("snapshot");
    this.pendingSnapshot = index;
  }

  private reset(state: ProgressState): void {
    this.state = state;
    this.pendingSnapshot = 0;
    this.snapshotTicks = 0;
    this.probeSent = false;
    this.inflight.length = 0;
  }

  /** An acceptance up to `index` arrived; returns whether `match` advanced. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      this.probeSent = false;
      updated = true;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * A rejection of the append whose prevLogIndex was `rejected` arrived; `probeFrom` is the
   * highest index that may still match. Returns false for a stale rejection.
   */
  maybeDecrease(rejected: number, probeFrom: number): boolean {
    if (this.state === "replicate") {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, probeFrom + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  /** Records an append carrying entries up to `lastIndex` (count `count`) just sent. */
  sentAppend(count: number, lastIndex: number): void {
    if (this.state === "replicate") {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflight.push(lastIndex);
      }
    } else if (this.state === "probe") {
      this.probeSent = true;
    }
  }

  /** Acknowledged appends up to `index` leave the window. */
  freeInflightTo(index: number): void {
    let n = 0;
    while (n < this.inflight.length && this.inflight[n]! <= index) n++;
    this.inflight.splice(0, n);
  }

  isPaused(): boolean {
    switch (this.state) {
      case "probe":
        return this.probeSent;
      case "replicate":
        return this.inflight.length >= this.maxInflight;
      case "snapshot":
        return true;
    }
  }
}
