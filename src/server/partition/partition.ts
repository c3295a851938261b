import type { NatsConnection, Subscription } from "nats";
import { AckError, type AckPolicy, encodeAck } from "../../wire/api.js";
import { encodeEnvelope, MsgType } from "../../wire/envelope.js";
import { MonotonicClock, nowNanos } from "../clock.js";
import type { PartitionCipher } from "../encryption.js";
import type { CommitLog, StoredRecord } from "../log/index.js";
import type { Logger } from "../logger.js";
import type { PartitionInfo, StreamInfo } from "../metadata/types.js";
import { type IngestedMessage, ingest, type PendingAck } from "./ingest.js";
import { partitionSubject } from "./subjects.js";

export class PartitionClosedError extends Error {
  constructor(
    readonly reason: "deleted" | "paused" | "closed",
    message: string,
  ) {
    super(message);
    this.name = "PartitionClosedError";
  }
}

interface CommitWaiter {
  offset: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * The leader side of one stream partition: it records what arrives on the partition's NATS
 * subject into its commit log, advances the high watermark when records are committed,
 * sends acks, and wakes readers waiting for new records.
 *
 * Messages that arrive within one event-loop turn are appended as one batch, and the log
 * shares one write and one fdatasync among concurrent batches, so throughput grows with load.
 */
export class Partition {
  private readonly clock = new MonotonicClock();
  private subscription?: Subscription;
  private pending: IngestedMessage[] = [];
  private flushScheduled = false;
  private appendChain: Promise<void> = Promise.resolve();
  private waiters: CommitWaiter[] = [];
  private hw: number;
  private closed?: PartitionClosedError;
  readonly subject: string;

  /** The offset the next accepted message gets (appends in flight included). */
  private nextOffset: number;
  /** When the partition last recorded a message (or opened), for auto-pause. */
  lastActivityMs = Date.now();
  private firstTimestamp?: { offset: number; timestamp: bigint };
  private latestTimestamp?: { offset: number; timestamp: bigint };
  /** Open subscriptions, for autoPauseDisableIfSubscribers. */
  subscribers = 0;
  /** When the cleaner next looks at this partition (retention, compaction, segment age). */
  nextCleanMs = 0;

  constructor(
    readonly stream: StreamInfo,
    readonly info: PartitionInfo,
    readonly log: CommitLog,
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
    private readonly concurrencyControl = false,
    /** Set for streams encrypted at rest: values are sealed on append, opened on read. */
    readonly cipher?: PartitionCipher,
  ) {
    this.subject = partitionSubject(stream.subject, info.id);
    // Single-member ISR: everything on disk is committed.
    this.hw = log.newestOffset;
    this.nextOffset = log.nextOffset;
  }

  get id(): number {
    return this.info.id;
  }

  /** Highest committed offset, -1 when nothing is committed. */
  get highWatermark(): number {
    return this.hw;
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

  /** Applies a change of the read-only flag (already set on `info` by the metadata). */
  async readonlyChanged(): Promise<void> {
    if (!this.info.readonly) {
      if (!this.subscription && !this.closed) this.start();
      return;
    }
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.flush();
    await this.appendChain;
    // Wake every reader: caught-up ones see the flag and end.
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  /** Starts recording the partition's NATS subject. */
  start(): void {
    if (this.info.readonly) return;
    const queue = this.stream.group || undefined;
    this.subscription = this.nc.subscribe(this.subject, {
      queue,
      callback: (err, msg) => {
        if (err) {
          this.logger.error("NATS subscription failed", { subject: this.subject, error: err });
          return;
        }
        try {
          this.pending.push(ingest(msg));
        } catch (e) {
          this.logger.warn("dropped a NATS message that could not be recorded", {
            subject: msg.subject,
            error: e,
          });
          return;
        }
        this.scheduleFlush();
      },
    });
  }

  /** Reads committed records from `from`, at most about `maxBytes`. */
  read(from: number, maxBytes: number, upTo = this.hw): Promise<StoredRecord[]> {
    if (this.closed) return Promise.reject(this.closed);
    const limit = Math.min(upTo, this.hw);
    if (from > limit) return Promise.resolve([]);
    return this.log.read(from, maxBytes, limit);
  }

  /** Resolves once `offset` is committed; rejects if the partition closes first. */
  waitForCommit(offset: number, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(this.closed);
    if (offset <= this.hw || this.info.readonly) return Promise.resolve();
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

  offsetForTimestamp(timestamp: bigint): Promise<number> {
    return this.log.offsetForTimestamp(timestamp);
  }

  /** Newest committed offset whose timestamp is at or before `timestamp`; -1 if none. */
  async latestOffsetAtOrBefore(timestamp: bigint): Promise<number> {
    const next = await this.log.offsetForTimestamp(timestamp + 1n);
    return Math.min(next - 1, this.hw);
  }

  /** Timestamps of the oldest and newest stored records, for FetchMetadata. */
  async messageTimestamps(): Promise<{ first: bigint; latest: bigint } | undefined> {
    if (this.hw < 0 || this.hw < this.log.oldestOffset) return undefined;
    // FetchMetadata asks often: read each end from disk only when it is not known yet.
    const oldest = this.log.oldestOffset;
    if (this.firstTimestamp?.offset !== oldest) {
      const [first] = await this.log.read(oldest, 1, this.hw);
      if (!first) return undefined;
      this.firstTimestamp = { offset: oldest, timestamp: first.timestamp };
    }
    if (this.latestTimestamp?.offset !== this.hw) {
      const [latest] = await this.log.read(this.hw, 1, this.hw);
      if (!latest) return undefined;
      this.latestTimestamp = { offset: latest.offset, timestamp: latest.timestamp };
    }
    return { first: this.firstTimestamp.timestamp, latest: this.latestTimestamp.timestamp };
  }

  /** Stops ingesting, finishes in-flight appends, syncs and closes the log. */
  async close(reason: "deleted" | "paused" | "closed" = "closed"): Promise<void> {
    if (this.closed) return;
    this.subscription?.unsubscribe();
    this.flush();
    await this.appendChain;
    await this.log.checkpointHighWatermark(this.hw).catch(() => undefined);
    this.closed = new PartitionClosedError(
      reason,
      reason === "deleted"
        ? `stream ${this.stream.name} was deleted`
        : `partition ${this.stream.name}/${this.id} was ${reason}`,
    );
    for (const waiter of this.waiters) waiter.reject(this.closed);
    this.waiters = [];
    await this.log.close();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const receivedAt = this.clock.next();
    const batch = this.concurrencyControl ? this.checkExpectedOffsets(receivedAt) : this.pending;
    this.pending = [];
    this.lastActivityMs = Date.now();
    if (batch.length === 0) return;
    this.nextOffset += batch.length;
    const records = batch.map((m) => ({
      timestamp: receivedAt,
      leaderEpoch: this.info.leaderEpoch,
      body: this.cipher ? this.cipher.sealBody(m.body) : m.body,
    }));
    const appended = this.log.append(records);
    this.appendChain = this.appendChain.then(async () => {
      try {
        const base = await appended;
        this.latestTimestamp = { offset: base + records.length - 1, timestamp: receivedAt };
        this.commit(base + records.length - 1);
        this.sendAcks(batch, base, receivedAt);
      } catch (err) {
        this.logger.error("append failed; the publishers were told", {
          stream: this.stream.name,
          partition: this.id,
          count: batch.length,
          error: err,
        });
        // Nothing of the batch was stored: its offsets are free again, and every publisher
        // waiting for an ack gets an error ack now instead of a timeout.
        this.nextOffset -= batch.length;
        const now = nowNanos();
        for (const message of batch) {
          if (message.ack) this.publishAck(message.ack, -1, receivedAt, now, AckError.UNKNOWN);
        }
      }
    });
  }

  /**
   * Optimistic concurrency: a message whose expected offset is not the one it would get is
   * refused with an INCORRECT_OFFSET ack and never appended.
   */
  private checkExpectedOffsets(receivedAt: bigint): IngestedMessage[] {
    const accepted: IngestedMessage[] = [];
    for (const message of this.pending) {
      const offset = this.nextOffset + accepted.length;
      if (message.expectedOffset === -1 || message.expectedOffset === offset) {
        accepted.push(message);
      } else if (message.ack) {
        this.publishAck(
          message.ack,
          message.expectedOffset,
          receivedAt,
          nowNanos(),
          AckError.INCORRECT_OFFSET,
        );
      }
    }
    return accepted;
  }

  private commit(offset: number): void {
    if (offset <= this.hw) return;
    this.hw = offset;
    if (this.waiters.length === 0) return;
    const still: CommitWaiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.offset <= offset) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }

  private sendAcks(batch: IngestedMessage[], base: number, receivedAt: bigint): void {
    const committedAt = nowNanos();
    for (let i = 0; i < batch.length; i++) {
      const ack = batch[i]!.ack;
      if (ack) this.publishAck(ack, base + i, receivedAt, committedAt);
    }
  }

  private publishAck(
    pending: PendingAck,
    offset: number,
    receivedAt: bigint,
    committedAt: bigint,
    ackError: AckError = AckError.OK,
  ): void {
    const ack = encodeAck({
      stream: this.stream.name,
      partitionSubject: this.stream.subject,
      msgSubject: pending.msgSubject,
      offset,
      ackInbox: pending.ackInbox,
      correlationId: pending.correlationId,
      ackPolicy: pending.ackPolicy as AckPolicy,
      receptionTimestamp: receivedAt,
      commitTimestamp: committedAt,
      ackError,
    });
    try {
      this.nc.publish(pending.ackInbox, encodeEnvelope(MsgType.Ack, ack));
    } catch (err) {
      this.logger.warn("could not publish ack", { ackInbox: pending.ackInbox, error: err });
    }
  }
}
