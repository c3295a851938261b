import type { ReplicaProgress } from "../cluster/status.js";

interface FollowerState {
  /** The follower's log end (next offset it needs); undefined until it first fetches. */
  logEnd?: number;
  lastFetchMs: number;
  /** When the follower was last known to have everything the leader had. */
  lastCaughtUpMs: number;
  /** The leader's log end when the follower last fetched. */
  leaderEndAtLastFetch: number;
  /** Caught up and waiting for new records: tell it when some arrive. */
  idle: boolean;
}

/**
 * What the leader knows of each follower of one partition: how far its log goes, when it last
 * fetched and when it was last caught up (Kafka's rule: a fetch from at least the leader's log
 * end at the follower's previous fetch proves it was caught up at that previous fetch, so a
 * follower keeping pace with steady writes counts as caught up even though it is never exactly
 * at the end).
 */
export class FollowerProgress {
  private readonly followers = new Map<string, FollowerState>();

  constructor(
    private readonly self: string,
    /** When leadership began: every follower gets the lag time from here to show up. */
    private readonly startMs: number,
    private readonly leaderEndAtStart: number,
  ) {}

  /** A valid fetch from `replica` at `fetchOffset` while the leader's log ends at `leaderEnd`. */
  recordFetch(replica: string, fetchOffset: number, leaderEnd: number, nowMs: number): void {
    const state = this.stateOf(replica);
    if (fetchOffset >= leaderEnd) state.lastCaughtUpMs = nowMs;
    else if (fetchOffset >= state.leaderEndAtLastFetch) {
      state.lastCaughtUpMs = Math.max(state.lastCaughtUpMs, state.lastFetchMs);
    }
    state.logEnd = fetchOffset;
    state.lastFetchMs = nowMs;
    state.leaderEndAtLastFetch = leaderEnd;
    state.idle = false;
  }

  /** The follower got an empty answer (it has everything): tell it when that changes. */
  markIdle(replica: string): void {
    this.stateOf(replica).idle = true;
  }

  logEndOf(replica: string): number | undefined {
    return this.followers.get(replica)?.logEnd;
  }

  /**
   * The offset every ISR member has: min over the ISR of (log end - 1), the leader's own log
   * end included. A member that has not fetched yet holds it at -1.
   */
  highWatermark(isr: readonly string[], leaderEnd: number): number {
    let end = leaderEnd;
    for (const replica of isr) {
      if (replica === this.self) continue;
      end = Math.min(end, this.followers.get(replica)?.logEnd ?? 0);
    }
    return end - 1;
  }

  /** Not fetched, or not caught up, within `maxLagMs`. */
  outOfSync(replica: string, nowMs: number, maxLagMs: number): boolean {
    const state = this.followers.get(replica);
    const lastFetchMs = state?.lastFetchMs ?? this.startMs;
    const lastCaughtUpMs = state?.lastCaughtUpMs ?? this.startMs;
    return nowMs - lastFetchMs > maxLagMs || nowMs - lastCaughtUpMs > maxLagMs;
  }

  /**
   * Whether a replica outside the ISR may join it: it is in sync, has everything committed
   * (Kafka's rule: its log end passes the high watermark) and everything since this leader
   * took over began, so it truncated against this leader.
   */
  canJoin(
    replica: string,
    highWatermark: number,
    epochStartOffset: number,
    nowMs: number,
    maxLagMs: number,
  ): boolean {
    const logEnd = this.followers.get(replica)?.logEnd;
    return (
      logEnd !== undefined &&
      logEnd > highWatermark &&
      logEnd >= epochStartOffset &&
      !this.outOfSync(replica, nowMs, maxLagMs)
    );
  }

  /** Followers waiting for new records; each is returned once until it fetches again. */
  takeIdle(): string[] {
    const idle: string[] = [];
    for (const [replica, state] of this.followers) {
      if (!state.idle) continue;
      state.idle = false;
      idle.push(replica);
    }
    return idle;
  }

  /** Per replica, the leader first, for lb describe. */
  describe(
    replicas: readonly string[],
    isr: readonly string[],
    leaderEnd: number,
    nowMs: number,
  ): ReplicaProgress[] {
    const rows: ReplicaProgress[] = [
      { replica: this.self, logEndOffset: leaderEnd, lag: 0, inSync: true, lastFetchMsAgo: 0 },
    ];
    for (const replica of replicas) {
      if (replica === this.self) continue;
      const state = this.followers.get(replica);
      const logEnd = state?.logEnd;
      rows.push({
        replica,
        // -1: not heard from since this broker became leader.
        logEndOffset: logEnd ?? -1,
        lag: Math.max(0, leaderEnd - (logEnd ?? 0)),
        inSync: isr.includes(replica),
        lastFetchMsAgo: nowMs - (state?.lastFetchMs ?? this.startMs),
      });
    }
    return rows;
  }

  private stateOf(replica: string): FollowerState {
    let state = this.followers.get(replica);
    if (!state) {
      state = {
        lastFetchMs: this.startMs,
        lastCaughtUpMs: this.startMs,
        leaderEndAtLastFetch: this.leaderEndAtStart,
        idle: false,
      };
      this.followers.set(replica, state);
    }
    return state;
  }
}
