import type { Msg, Subscription } from "nats";
import type { PartitionProgress } from "../cluster/status.js";
import type { ReplicaContext } from "./control.js";
import { FollowerProgress } from "./leader-progress.js";
import {
  decodeEpochOffsetRequest,
  decodeFetchRequest,
  type EpochOffsetResponse,
  encodeEpochOffsetResponse,
  encodeFetchResponse,
  encodePartitionNotification,
  type FetchRequest,
  type FetchResponse,
  type ReplicationError,
  type ReplicationErrorCode,
} from "./protocol.js";
import { ReportThrottle } from "./report-throttle.js";
import { LeaderResignation } from "./resignation.js";
import { epochOffsetSubject, notifySubject, replicateSubject } from "./subjects.js";

/**
 * How long a caught-up follower waits to hear of a new high watermark when no records come to
 * carry it: short for readers of its replica, long enough to ride along with the next records.
 */
const HIGH_WATERMARK_NEWS_MS = 5;

export interface LeaderReplicationOptions extends ReplicaContext {
  /** The leader's current high watermark. */
  highWatermark: () => number;
  /** Moves the leader's high watermark forward to `offset` (the ISR has everything up to it). */
  advance: (offset: number) => void;
  /** For encrypted partitions: the wrapped data key every replica must use. */
  wrappedDataKey?: () => Promise<Uint8Array | undefined>;
}

/**
 * The leader's side of replicating one partition: answers followers' fetches and epoch
 * questions, tracks how far each follower is, derives the high watermark from the ISR, wakes
 * idle followers when records arrive, and asks the controller to shrink or expand the ISR.
 */
export class LeaderReplication {
  private readonly progress: FollowerProgress;
  private readonly resignation: LeaderResignation;
  private readonly throttle = new ReportThrottle();
  private readonly subscriptions: Subscription[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly toNotify = new Set<string>();
  /** The high watermark last sent to each follower. */
  private readonly sentHighWatermark = new Map<string, number>();
  /** Caught-up followers' fetches held until records arrive (or the park time passes). */
  private readonly parked = new Map<
    string,
    { msg: Msg; req: FetchRequest; timer: NodeJS.Timeout; highWatermark: number }
  >();
  private readonly written = () => this.answerParked();
  private notifyScheduled = false;
  private timer?: NodeJS.Timeout;
  private newsTimer?: NodeJS.Timeout;
  private closed = false;
  /** The log end when this leadership began: a joining follower must have reached it. */
  private readonly epochStartOffset: number;

  constructor(private readonly o: LeaderReplicationOptions) {
    this.epochStartOffset = o.log.nextOffset;
    this.progress = new FollowerProgress(o.settings.serverId, Date.now(), o.log.nextOffset);
    this.resignation = new LeaderResignation(o);
  }

  private get self(): string {
    return this.o.settings.serverId;
  }

  /** Subscribes to the fetch and epoch-offset subjects and starts watching the ISR. */
  start(): void {
    const { nc, settings, stream, info } = this.o;
    this.subscriptions.push(
      nc.subscribe(replicateSubject(settings.namespace, stream.name, info.id), {
        callback: (err, msg) => this.track(err, msg, (m) => this.answerFetch(m)),
      }),
      nc.subscribe(epochOffsetSubject(settings.namespace, stream.name, info.id), {
        callback: (err, msg) => this.track(err, msg, (m) => this.answerEpochOffset(m)),
      }),
    );
    // Followers get a group write while the leader syncs it; the high watermark still waits
    // for the leader's own sync (it counts only `log.nextOffset`). Alone, no copy is needed.
    if (info.replicas.length > 1) this.o.log.onWritten = this.written;
    const lag = settings.replicaMaxLagTimeMs;
    this.timer = setInterval(() => this.checkIsr(), Math.min(Math.max(lag / 4, 20), 1000));
    this.timer.unref();
    // A log opened with damage must not lead: hand over before anyone relies on it.
    this.resignation.check();
  }

  /**
   * Records were appended (and synced) to the leader's log: the high watermark may move; idle
   * followers hear of it. Parked followers got them already when they were written, if the
   * log tells this of its writes.
   */
  appended(): void {
    this.updateHighWatermark();
    if (this.o.log.onWritten !== this.written) this.answerParked();
    this.notifyIdleFollowers();
  }

  /** The controller changed the ISR (already applied to `info`). */
  isrChanged(): void {
    this.updateHighWatermark();
    this.checkIsr();
  }

  /** The high watermark the ISR supports now (never below the current one). */
  updateHighWatermark(): void {
    const { info, log } = this.o;
    const hw = this.progress.highWatermark(info.isr, log.nextOffset);
    if (hw > this.o.highWatermark()) {
      this.o.advance(hw);
      // Followers learn the new high watermark with their next records, or shortly.
      this.scheduleHighWatermarkNews();
      this.notifyIdleFollowers();
    }
  }

  status(): PartitionProgress {
    const { info, log } = this.o;
    return {
      leader: this.self,
      leaderEpoch: info.leaderEpoch,
      highWatermark: this.o.highWatermark(),
      logEndOffset: log.nextOffset,
      replicas: this.progress.describe(info.replicas, info.isr, log.nextOffset, Date.now()),
    };
  }

  /** Stops answering; waits for answers being prepared. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.o.log.onWritten === this.written) this.o.log.onWritten = undefined;
    for (const { timer } of this.parked.values()) clearTimeout(timer);
    clearTimeout(this.newsTimer);
    this.parked.clear();
    clearInterval(this.timer);
    for (const sub of this.subscriptions) sub.unsubscribe();
    await Promise.allSettled([...this.inFlight]);
  }

  private track(err: Error | null, msg: Msg, handle: (msg: Msg) => Promise<void>): void {
    if (err) {
      this.o.logger.error("replication subscription failed", { error: err });
      return;
    }
    if (this.closed) return;
    const running = handle(msg).catch((e) =>
      this.o.logger.warn("could not answer a replication request", {
        stream: this.o.stream.name,
        partition: this.o.info.id,
        subject: msg.subject,
        error: e,
      }),
    );
    this.inFlight.add(running);
    void running.finally(() => this.inFlight.delete(running));
  }

  private async answerFetch(msg: Msg): Promise<void> {
    const req = decodeFetchRequest(msg.data);
    if (!this.mayAnswer(req.leaderEpoch)) return;
    const refusal = this.refuseFetch(req);
    if (refusal) {
      msg.respond(encodeFetchResponse(refusal));
      return;
    }
    if (req.repairTo !== undefined) {
      await this.answerRepair(msg, req, req.repairTo);
      return;
    }
    const { log, info } = this.o;
    const leaderEnd = log.writtenOffset;
    this.progress.recordFetch(req.replicaId, req.fetchOffset, leaderEnd, Date.now());
    if (info.isr.includes(req.replicaId)) this.updateHighWatermark();
    else this.maybeExpand(req.replicaId);
    if (req.fetchOffset >= leaderEnd) {
      this.park(msg, req);
      return;
    }
    await this.respond(msg, req);
  }

  /**
   * A caught-up follower's fetch waits here (a long poll) until records are written (before
   * the leader's sync), or shortly after the high watermark moved, or at most the idle wait
   * (kept under half the fetch timeout): the answer then carries the news at once, without a
   * notification and a second request.
   */
  private park(msg: Msg, req: FetchRequest): void {
    const { replicaMaxIdleWaitMs, replicaFetchTimeoutMs } = this.o.settings;
    const idleWaitMs = Math.min(replicaMaxIdleWaitMs, replicaFetchTimeoutMs / 2);
    // A follower that has not heard the current high watermark hears it shortly, with the
    // next records if they come first (under load they do, saving a round trip each time).
    const news = (this.sentHighWatermark.get(req.replicaId) ?? -2) < this.o.highWatermark();
    this.parked.get(req.replicaId)?.msg.respond(this.emptyAnswer(req.replicaId));
    clearTimeout(this.parked.get(req.replicaId)?.timer);
    const timer = setTimeout(
      () => {
        if (this.parked.get(req.replicaId)?.msg !== msg) return;
        this.parked.delete(req.replicaId);
        if (!news) this.progress.markIdle(req.replicaId);
        msg.respond(this.emptyAnswer(req.replicaId));
      },
      news ? Math.min(HIGH_WATERMARK_NEWS_MS, idleWaitMs) : idleWaitMs,
    );
    this.parked.set(req.replicaId, { msg, req, timer, highWatermark: this.o.highWatermark() });
  }

  private scheduleHighWatermarkNews(): void {
    if (this.newsTimer || this.parked.size === 0) return;
    this.newsTimer = setTimeout(() => {
      this.newsTimer = undefined;
      if (!this.closed) this.answerParked();
    }, HIGH_WATERMARK_NEWS_MS);
  }

  private answerParked(): void {
    // A copy: an answer with nothing to send parks again, which must not be visited here.
    const parked = [...this.parked.values()];
    this.parked.clear();
    for (const { msg, req, timer, highWatermark } of parked) {
      clearTimeout(timer);
      this.track(null, msg, () => this.respond(msg, req, highWatermark));
    }
  }

  private emptyAnswer(replica: string): Uint8Array {
    const highWatermark = this.o.highWatermark();
    this.sentHighWatermark.set(replica, highWatermark);
    return encodeFetchResponse({
      ok: true,
      leaderEpoch: this.o.info.leaderEpoch,
      highWatermark,
      records: [],
    });
  }

  /** Answers with the records from the fetch offset; with none, and no news, parks instead. */
  private async respond(msg: Msg, req: FetchRequest, knownHighWatermark?: number): Promise<void> {
    const { log, info, settings } = this.o;
    const records =
      req.fetchOffset >= log.writtenOffset
        ? []
        : await log.readWritten(req.fetchOffset, settings.replicationMaxBytes);
    // Nothing to send (compaction can leave a gap up to the log end), and the follower knows the
    // high watermark: wait for news instead.
    const known = knownHighWatermark === undefined || knownHighWatermark === this.o.highWatermark();
    if (records.length === 0 && known && !this.closed) {
      this.park(msg, req);
      return;
    }
    const response: FetchResponse = {
      ok: true,
      leaderEpoch: info.leaderEpoch,
      highWatermark: this.o.highWatermark(),
      records,
    };
    this.sentHighWatermark.set(req.replicaId, response.highWatermark);
    msg.respond(encodeFetchResponse(response));
  }

  /**
   * A follower repairing a damaged range: the records from the fetch offset up to `repairTo`,
   * and the first one after it if any (which tells that the leader lacks the offsets in between,
   * compacted away), at once. It says nothing of the follower's progress, so it moves neither
   * the ISR nor the high watermark.
   */
  private async answerRepair(msg: Msg, req: FetchRequest, repairTo: number): Promise<void> {
    const { log, info, settings } = this.o;
    const read =
      req.fetchOffset > log.newestOffset
        ? []
        : await log.read(req.fetchOffset, settings.replicationMaxBytes, log.newestOffset);
    const past = read.findIndex((r) => r.offset > repairTo);
    const records = past < 0 ? read : read.slice(0, past + 1);
    msg.respond(
      encodeFetchResponse({
        ok: true,
        leaderEpoch: info.leaderEpoch,
        highWatermark: this.o.highWatermark(),
        records,
      }),
    );
  }

  private refuseFetch(req: FetchRequest): ReplicationError | undefined {
    const { info, log } = this.o;
    if (this.closed || info.leader !== this.self) {
      return this.refusal("not_leader", `${this.self} is not the leader of ${this.name()}`);
    }
    if (req.replicaId === this.self || !info.replicas.includes(req.replicaId)) {
      return this.refusal(
        "stale_epoch",
        `${req.replicaId} is not a follower of ${this.name()} (replicas: ${info.replicas.join(", ")})`,
      );
    }
    if (req.leaderEpoch !== info.leaderEpoch) {
      return this.refusal(
        "stale_epoch",
        `fetch for ${this.name()} in leader epoch ${req.leaderEpoch}, the leader is in ${info.leaderEpoch}`,
      );
    }
    if (req.fetchOffset > log.writtenOffset || req.fetchOffset < log.oldestOffset) {
      return this.refusal(
        "out_of_range",
        `fetch offset ${req.fetchOffset} of ${this.name()} is outside the leader's log [${log.oldestOffset}, ${log.writtenOffset}]`,
      );
    }
    return undefined;
  }

  /**
   * Every replica that ever led the partition subscribes to the same subjects while it leads,
   * so a request may reach a deposed leader that has not heard yet. Only the leader of an
   * epoch at least as new as the follower's answers; the others stay silent, so their answer
   * can neither win the race against the true leader's nor mislead the follower.
   */
  private mayAnswer(followerLeaderEpoch: number): boolean {
    const { info } = this.o;
    return !this.closed && info.leader === this.self && followerLeaderEpoch <= info.leaderEpoch;
  }

  private async answerEpochOffset(msg: Msg): Promise<void> {
    const req = decodeEpochOffsetRequest(msg.data);
    if (!this.mayAnswer(req.leaderEpoch)) return;
    const { info, log } = this.o;
    let response: EpochOffsetResponse;
    if (this.closed || info.leader !== this.self) {
      response = this.refusal("not_leader", `${this.self} is not the leader of ${this.name()}`);
    } else if (!Number.isSafeInteger(req.epoch) || req.epoch < 0) {
      response = this.refusal("out_of_range", `epoch ${req.epoch} is not an epoch`);
    } else {
      const found = log.endOffsetForEpoch(req.epoch);
      // No epoch <= the asked one: the leader's records all come later, from its first epoch on.
      const end = found ?? {
        epoch: -1,
        endOffset: log.leaderEpochs[0]?.startOffset ?? log.nextOffset,
      };
      // A follower knows records up to its high watermark were committed; without them this
      // leader must not lead.
      if (req.highWatermark !== undefined && req.highWatermark >= log.nextOffset) {
        this.resignation.lacksCommitted(req.replicaId, req.highWatermark);
      }
      const wrappedDataKey = await this.o.wrappedDataKey?.();
      response = { ok: true, ...end, ...(wrappedDataKey ? { wrappedDataKey } : {}) };
    }
    msg.respond(encodeEpochOffsetResponse(response));
  }

  private refusal(code: ReplicationErrorCode, message: string): ReplicationError {
    const { info, log } = this.o;
    return {
      ok: false,
      code,
      leaderEpoch: info.leaderEpoch,
      logStartOffset: log.oldestOffset,
      message,
    };
  }

  /** Reports ISR members that fell behind, and caught-up replicas outside the ISR. */
  private checkIsr(): void {
    if (this.closed || this.o.info.leader !== this.self) return;
    const { info, settings } = this.o;
    const now = Date.now();
    // Damage a read found since, too.
    this.resignation.check(now);
    for (const replica of info.replicas) {
      if (replica === this.self) continue;
      if (info.isr.includes(replica)) {
        if (this.progress.outOfSync(replica, now, settings.replicaMaxLagTimeMs)) {
          this.report("shrink", replica, now);
        }
      } else {
        this.maybeExpand(replica, now);
      }
    }
  }

  private maybeExpand(replica: string, now = Date.now()): void {
    const { settings } = this.o;
    const hw = this.o.highWatermark();
    const lag = settings.replicaMaxLagTimeMs;
    if (this.progress.canJoin(replica, hw, this.epochStartOffset, now, lag)) {
      this.report("expand", replica, now);
    }
  }

  private report(kind: "shrink" | "expand", replica: string, now: number): void {
    if (!this.throttle.take(`${kind} ${replica}`, now)) return;
    const { control, stream, info, logger } = this.o;
    const fields = {
      stream: stream.name,
      partition: info.id,
      replica,
      leaderEpoch: info.leaderEpoch,
      logEndOffset: this.progress.logEndOf(replica) ?? -1,
      leaderLogEnd: this.o.log.nextOffset,
    };
    const request =
      kind === "shrink"
        ? control.shrinkIsr(stream.name, info.id, replica, info.leaderEpoch)
        : control.expandIsr(stream.name, info.id, replica, info.leaderEpoch);
    if (kind === "shrink")
      logger.warn("replica fell behind; asking to remove it from the ISR", fields);
    else logger.info("replica caught up; asking to add it to the ISR", fields);
    request.catch((err) =>
      logger.warn(`could not ask the controller to ${kind} the ISR`, { ...fields, error: err }),
    );
  }

  private notifyIdleFollowers(): void {
    for (const replica of this.progress.takeIdle()) this.toNotify.add(replica);
    if (this.toNotify.size === 0 || this.notifyScheduled) return;
    this.notifyScheduled = true;
    // One notification per follower per event-loop turn, however many appends completed.
    setImmediate(() => {
      this.notifyScheduled = false;
      if (this.closed) return;
      const { nc, settings, stream, info } = this.o;
      const payload = encodePartitionNotification({ stream: stream.name, partition: info.id });
      for (const replica of this.toNotify) {
        try {
          nc.publish(notifySubject(settings.namespace, replica), payload);
        } catch (err) {
          this.o.logger.warn("could not notify a follower", { replica, error: err });
        }
      }
      this.toNotify.clear();
    });
  }

  private name(): string {
    return `${this.o.stream.name}/${this.o.info.id}`;
  }
}
