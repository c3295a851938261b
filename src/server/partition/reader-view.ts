import type { PartitionCipher } from "../encryption.js";
import type { CommitLog, StoredRecord } from "../log/index.js";
import type { PartitionInfo, StreamInfo } from "../metadata/types.js";

export class PartitionClosedError extends Error {
  constructor(
    readonly reason: "deleted" | "paused" | "closed",
    message: string,
  ) {
    super(message);
    this.name = "PartitionClosedError";
  }
}

/**
 * What subscriptions read a partition replica through: the leader (Partition) and a follower
 * (FollowerReplica, for readISRReplica subscribers) both serve it. Readers see committed
 * records only, i.e. up to the replica's high watermark.
 */
export interface PartitionReader {
  readonly stream: StreamInfo;
  readonly id: number;
  /** Highest committed offset, -1 when nothing is committed. */
  readonly highWatermark: number;
  readonly newestOffset: number;
  readonly oldestOffset: number;
  /** Read-only partitions record nothing more; their readers end at the last record. */
  readonly readonly: boolean;
  /** Set for streams encrypted at rest: stored values are sealed, readers open them. */
  readonly cipher?: PartitionCipher;
  /** Open subscriptions, for autoPauseDisableIfSubscribers. */
  subscribers: number;
  /** Committed records from `from`, at most about `maxBytes`, none past `upTo`. */
  read(from: number, maxBytes: number, upTo?: number): Promise<StoredRecord[]>;
  /** Resolves once `offset` is committed (or on abort); rejects if the replica closes first. */
  waitForCommit(offset: number, signal?: AbortSignal): Promise<void>;
  offsetForTimestamp(timestamp: bigint): Promise<number>;
  /** Newest committed offset whose timestamp is at or before `timestamp`; -1 if none. */
  latestOffsetAtOrBefore(timestamp: bigint): Promise<number>;
  /** Timestamps of the oldest and newest committed records, for FetchMetadata. */
  messageTimestamps(): Promise<{ first: bigint; latest: bigint } | undefined>;
}

interface CommitWaiter {
  offset: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * The committed part of one replica's log: the high watermark, the readers waiting for it to
 * move, and reads capped by it. The leader and the follower each keep one and move it forward.
 */
export class CommittedReads {
  private hw: number;
  private waiters: CommitWaiter[] = [];
  private closed?: Error;
  private firstTimestamp?: { offset: number; timestamp: bigint };
  private latestTimestamp?: { offset: number; timestamp: bigint };

  constructor(
    private readonly log: CommitLog,
    highWatermark: number,
    /** Whether caught-up readers should stop waiting (read-only partitions end there). */
    private readonly ended: () => boolean = () => false,
  ) {
    this.hw = highWatermark;
  }

  get highWatermark(): number {
    return this.hw;
  }

  /** Moves the high watermark forward to `offset` (never back) and wakes readers it covers. */
  advance(offset: number): boolean {
    if (offset <= this.hw) return false;
    this.hw = offset;
    if (this.waiters.length === 0) return true;
    const still: CommitWaiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.offset <= offset) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
    return true;
  }

  /** Lowers the high watermark to `offset`: only after the log was cut below it. */
  capAt(offset: number): void {
    if (offset < this.hw) this.hw = offset;
  }

  /** The timestamp of a record just appended, saving a disk read for FetchMetadata. */
  noteLatest(offset: number, timestamp: bigint): void {
    this.latestTimestamp = { offset, timestamp };
  }

  /** Wakes every waiting reader (they look at the state again, e.g. a read-only flag). */
  wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  /** From now on reads and waits fail with `err`; current waiters are rejected with it. */
  close(err: Error): void {
    this.closed = err;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(err);
  }

  read(from: number, maxBytes: number, upTo = this.hw): Promise<StoredRecord[]> {
    if (this.closed) return Promise.reject(this.closed);
    const limit = Math.min(upTo, this.hw);
    if (from > limit) return Promise.resolve([]);
    return this.log.read(from, maxBytes, limit);
  }

  waitForCommit(offset: number, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(this.closed);
    if (offset <= this.hw || this.ended()) return Promise.resolve();
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve();
      };
      const settle = (fn: () => void) => {
        signal?.removeEventListener("abort", onAbort);
        fn();
      };
      const waiter: CommitWaiter = {
        offset,
        resolve: () => settle(resolve),
        reject: (err) => settle(() => reject(err)),
      };
      this.waiters.push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  async latestOffsetAtOrBefore(timestamp: bigint): Promise<number> {
    const next = await this.log.offsetForTimestamp(timestamp + 1n);
    return Math.min(next - 1, this.hw);
  }

  async messageTimestamps(): Promise<{ first: bigint; latest: bigint } | undefined> {
    const hw = this.hw;
    if (hw < 0 || hw < this.log.oldestOffset) return undefined;
    // FetchMetadata asks often: read each end from disk only when it is not known yet.
    const oldest = this.log.oldestOffset;
    if (this.firstTimestamp?.offset !== oldest) {
      const [first] = await this.log.read(oldest, 1, hw);
      if (!first) return undefined;
      this.firstTimestamp = { offset: oldest, timestamp: first.timestamp };
    }
    if (this.latestTimestamp?.offset !== hw) {
      const [latest] = await this.log.read(hw, 1, hw);
      if (!latest) return undefined;
      this.latestTimestamp = { offset: latest.offset, timestamp: latest.timestamp };
    }
    return { first: this.firstTimestamp.timestamp, latest: this.latestTimestamp.timestamp };
  }
}

/**
 * What the leader and a follower replica share: reads of their committed records through a
 * CommittedReads, and the bookkeeping the registry keeps on each (subscribers, cleaner time).
 */
export abstract class CommittedReplica implements PartitionReader {
  /** Open subscriptions, for autoPauseDisableIfSubscribers. */
  subscribers = 0;
  /** When the cleaner next looks at this partition (retention, compaction, segment age). */
  nextCleanMs = 0;
  abstract readonly stream: StreamInfo;
  abstract readonly info: PartitionInfo;
  abstract readonly log: CommitLog;
  abstract readonly cipher?: PartitionCipher;
  protected abstract readonly reads: CommittedReads;

  get id(): number {
    return this.info.id;
  }

  /** Highest committed offset, -1 when nothing is committed. */
  get highWatermark(): number {
    return this.reads.highWatermark;
  }

  get newestOffset(): number {
    return this.log.newestOffset;
  }

  get oldestOffset(): number {
    return this.log.oldestOffset;
  }

  /** Read-only partitions record nothing more; their readers end at the last record. */
  get readonly(): boolean {
    return this.info.readonly;
  }

  /** Committed records from `from`, at most about `maxBytes`. */
  read(from: number, maxBytes: number, upTo?: number): Promise<StoredRecord[]> {
    return this.reads.read(from, maxBytes, upTo);
  }

  /** Resolves once `offset` is committed; rejects if the replica closes first. */
  waitForCommit(offset: number, signal?: AbortSignal): Promise<void> {
    return this.reads.waitForCommit(offset, signal);
  }

  offsetForTimestamp(timestamp: bigint): Promise<number> {
    return this.log.offsetForTimestamp(timestamp);
  }

  /** Newest committed offset whose timestamp is at or before `timestamp`; -1 if none. */
  latestOffsetAtOrBefore(timestamp: bigint): Promise<number> {
    return this.reads.latestOffsetAtOrBefore(timestamp);
  }

  /** Timestamps of the oldest and newest committed records, for FetchMetadata. */
  messageTimestamps(): Promise<{ first: bigint; latest: bigint } | undefined> {
    return this.reads.messageTimestamps();
  }
}
