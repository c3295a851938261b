import type { NatsConnection, Subscription } from "nats";
import { type Ack, AckError, AckPolicy, encodeAck } from "../../wire/api.js";
import { encodeEnvelope, MsgType } from "../../wire/envelope.js";
import { MonotonicClock, nowNanos } from "../clock.js";
import type { PartitionProgress } from "../cluster/status.js";
import { isNoSpace } from "../disk-space.js";
import type { PartitionCipher } from "../encryption.js";
import {
  type CommitLog,
  FRAMED_BATCH_BYTES,
  FramedRecordsBuilder,
  recycleFramedRecords,
} from "../log/index.js";
import type { Logger } from "../logger.js";
import type { PartitionInfo, StreamInfo } from "../metadata/types.js";
import type { ReplicationControl, ReplicationSettings } from "../replication/control.js";
import { readWrappedDataKey } from "../replication/data-key.js";
import { HighWatermarkCheckpoints } from "../replication/high-watermark-checkpoints.js";
import { LeaderReplication } from "../replication/leader-replication.js";
import { type AckReason, ackReasonHeaders, setAckReason } from "./ack-reason.js";
import {
  type IngestedMessage,
  ingest,
  type PendingAck,
  PlainRecorder,
  type PublishedFields,
  type ReceivedMessage,
} from "./ingest.js";
import { LocalEchoes } from "./local-echoes.js";
import { CommittedReads, CommittedReplica, PartitionClosedError } from "./reader-view.js";
import { partitionSubject } from "./subjects.js";

export { PartitionClosedError } from "./reader-view.js";

export interface PartitionOptions {
  /** Optimistic concurrency: refuse a publish whose expected offset is not the next one. */
  concurrencyControl?: boolean;
  /** Set for streams encrypted at rest: values are sealed on append, opened on read. */
  cipher?: PartitionCipher;
  /**
   * Replication to the followers in `info.replicas`. Without it the partition is its only
   * replica: whatever it appends is committed.
   */
  replication?: { settings: ReplicationSettings; control: ReplicationControl };
  /**
   * Delivers an ack in this process when its inbox belongs to this broker's gRPC sessions;
   * false means it must be published on NATS.
   */
  deliverAckLocally?: (inbox: string, ack: Ack) => boolean;
}

/** A message of the batch being collected whose publisher wants an ack. */
interface BatchAck {
  /** Its position in the batch. */
  index: number;
  ack: PendingAck;
}

/** The messages received since the last flush, already framed as the log stores them. */
interface IngestBatch {
  records: FramedRecordsBuilder;
  acks: BatchAck[];
  /** ALL-policy messages refused because the ISR was below minIsr. */
  refused: number;
}

/** A batch is handed to the log early once it holds this many bytes. */
const MAX_BATCH_BYTES = FRAMED_BATCH_BYTES;

/** An ALL-policy ack waiting for the high watermark to reach its offset. */
interface AwaitingCommit {
  offset: number;
  ack: PendingAck;
  receivedAt: bigint;
}

/**
 * The leader side of one stream partition: it records what arrives on the partition's NATS
 * subject into its commit log, serves its followers, advances the high watermark once the
 * ISR has records, sends acks by each message's policy, and wakes readers waiting for
 * committed records.
 *
 * Messages that arrive together (nats.js delivers all the messages of a socket read in one
 * synchronous run) are written into one batch as they arrive, in the layout the log stores, and
 * appended in a microtask after that run, not a whole event-loop turn later; the log shares one
 * write and one fdatasync among the batches that queue while a write is in progress, so
 * throughput grows with load.
 */
export class Partition extends CommittedReplica {
  private readonly clock = new MonotonicClock();
  private subscription?: Subscription;
  private batch?: IngestBatch;
  private readonly plain = new PlainRecorder();
  /** Bytes of the last batch, to size the next one's buffer. */
  private lastBatchBytes = 0;
  private flushScheduled = false;
  private appendChain: Promise<void> = Promise.resolve();
  protected readonly reads: CommittedReads;
  private readonly replication?: LeaderReplication;
  private replicationStarted = false;
  private readonly checkpoints?: HighWatermarkCheckpoints;
  /** ALL-policy acks by increasing offset, sent once the high watermark covers them. */
  private awaitingCommit: AwaitingCommit[] = [];
  private closed?: PartitionClosedError;
  /** The NATS copies of what recordLocal took, to skip when they arrive. */
  private readonly echoes = new LocalEchoes();
  readonly subject: string;
  readonly cipher?: PartitionCipher;
  private readonly concurrencyControl: boolean;

  /** The offset the next accepted message gets (appends in flight included). */
  private nextOffset: number;
  /** When the partition last recorded a message (or opened), for auto-pause. */
  lastActivityMs = Date.now();

  constructor(
    readonly stream: StreamInfo,
    readonly info: PartitionInfo,
    readonly log: CommitLog,
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
    private readonly options: PartitionOptions = {},
  ) {
    super();
    this.subject = partitionSubject(stream.subject, info.id);
    this.cipher = options.cipher;
    this.concurrencyControl = options.concurrencyControl ?? false;
    this.nextOffset = log.nextOffset;
    // Timestamps stay non-decreasing across leaders whose clocks differ.
    const newest = log.newestTimestamp;
    if (newest !== undefined) this.clock.observe(newest);
    // Alone, everything on disk is committed; with followers, what was committed before.
    const hw = options.replication
      ? Math.min(log.loadedHighWatermark ?? -1, log.newestOffset)
      : log.newestOffset;
    this.reads = new CommittedReads(log, hw, () => this.info.readonly);
    if (options.replication) {
      const { settings, control } = options.replication;
      this.replication = new LeaderReplication({
        stream,
        info,
        log,
        nc,
        logger,
        settings,
        control,
        highWatermark: () => this.reads.highWatermark,
        advance: (offset) => this.commit(offset),
        wrappedDataKey: options.cipher ? () => readWrappedDataKey(log.dir) : undefined,
      });
      this.replication.updateHighWatermark();
      this.checkpoints = new HighWatermarkCheckpoints(log, () => this.reads.highWatermark, logger, {
        stream: stream.name,
        partition: info.id,
      });
    }
  }

  /** The ISR needed to accept ALL-policy publishes: the stream's minIsr, else the broker's. */
  private get minIsr(): number {
    const settings = this.options.replication?.settings;
    if (!settings) return 1;
    return this.stream.settings.minIsr ?? settings.minInsyncReplicas;
  }

  /** Applies a change of the read-only flag (already set on `info` by the metadata). */
  async readonlyChanged(): Promise<void> {
    if (!this.info.readonly) {
      if (!this.subscription && !this.closed) this.start();
      return;
    }
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.echoes.clear();
    this.flush();
    await this.appendChain;
    // Wake every reader: caught-up ones see the flag and end.
    this.reads.wakeAll();
  }

  /**
   * Applies an ISR change the controller committed (already set on `info`): the high watermark
   * may move (a shrink can release ALL acks), and held ALL acks may go out.
   */
  isrChanged(): void {
    if (this.closed) return;
    this.replication?.isrChanged();
    this.releaseCommittedAcks();
  }

  /** How far each replica is, as this leader sees it. */
  replicationStatus(): PartitionProgress {
    if (this.replication) return this.replication.status();
    return {
      leader: this.info.leader,
      leaderEpoch: this.info.leaderEpoch,
      highWatermark: this.highWatermark,
      logEndOffset: this.log.nextOffset,
      replicas: [
        {
          replica: this.info.leader,
          logEndOffset: this.log.nextOffset,
          lag: 0,
          inSync: true,
          lastFetchMsAgo: 0,
        },
      ],
    };
  }

  /** Starts serving followers and recording the partition's NATS subject. */
  start(): void {
    if (this.replication && !this.replicationStarted) {
      this.replicationStarted = true;
      this.replication.start();
      this.checkpoints?.start();
    }
    if (this.info.readonly) return;
    const queue = this.stream.group || undefined;
    this.subscription = this.nc.subscribe(this.subject, {
      queue,
      callback: (err, msg) => {
        if (err) {
          this.logger.error("NATS subscription failed", { subject: this.subject, error: err });
          return;
        }
        if (this.echoes.take(msg.data)) return;
        try {
          this.receive(msg);
        } catch (e) {
          this.logger.warn("dropped a NATS message that could not be recorded", {
            subject: msg.subject,
            error: e,
          });
        }
      },
    });
  }

  /**
   * Records a Publish envelope that this broker has just published on the partition's subject,
   * without waiting for NATS to bring it back: that round trip (two process hand-offs) was the
   * largest part of a publish's latency. The NATS copy still goes to everyone else listening on
   * the subject; when it reaches this partition it is recognised by its bytes and skipped.
   * False when the message must come through NATS instead: no subscription (read-only, closed),
   * a load-balance group (another member may be the one to get it), or too many copies pending.
   * `published` are the fields the envelope was built from, when the caller has them.
   */
  recordLocal(envelope: Uint8Array, published?: PublishedFields): boolean {
    if (!this.subscription || this.stream.group || !this.echoes.hasRoom) return false;
    this.echoes.expect(envelope);
    try {
      this.receive(
        { subject: this.subject, reply: "", data: envelope, headers: undefined },
        published,
      );
    } catch (e) {
      // As on the NATS path: the message is dropped, and its copy skipped.
      this.logger.warn("dropped a message that could not be recorded", {
        subject: this.subject,
        error: e,
      });
    }
    return true;
  }

  /** Adds a message to the current batch, unless it is refused (and then acked with an error). */
  private receive(msg: ReceivedMessage, published?: PublishedFields): void {
    let batch = this.batch;
    if (!batch) {
      // Room for a batch like the last one plus a margin, so that the buffer rarely grows.
      const capacity = Math.min(this.lastBatchBytes * 1.25, MAX_BATCH_BYTES);
      batch = { records: new FramedRecordsBuilder(capacity), acks: [], refused: 0 };
      this.batch = batch;
      this.scheduleFlush();
    }
    const { records } = batch;
    if (published || this.cipher || !this.plain.record(msg, records)) {
      const message = ingest(msg, published);
      if (!this.accepts(message, batch)) return;
      const body = this.cipher ? this.cipher.sealBody(message.body) : message.body;
      if (message.ack) batch.acks.push({ index: records.count, ack: message.ack });
      records.add(body);
    }
    if (records.byteLength >= MAX_BATCH_BYTES) this.flush();
  }

  /** Stops ingesting and serving followers, finishes in-flight appends, syncs and closes the log. */
  async close(reason: "deleted" | "paused" | "closed" = "closed"): Promise<void> {
    if (this.closed) return;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.echoes.clear();
    this.flush();
    await this.appendChain;
    await this.replication?.close();
    this.checkpoints?.stop();
    await this.log.checkpointHighWatermark(this.highWatermark).catch(() => undefined);
    this.closed = new PartitionClosedError(
      reason,
      reason === "deleted"
        ? `stream ${this.stream.name} was deleted`
        : `partition ${this.stream.name}/${this.id} was ${reason}`,
    );
    if (this.awaitingCommit.length > 0) {
      this.logger.info("partition closed before ALL-policy messages committed; not acked", {
        stream: this.stream.name,
        partition: this.id,
        count: this.awaitingCommit.length,
      });
      this.awaitingCommit = [];
    }
    this.reads.close(this.closed);
    await this.log.close();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.batch;
    if (!batch) return;
    this.batch = undefined;
    this.lastActivityMs = Date.now();
    if (batch.refused > 0) {
      this.logger.warn("refused ALL-acked messages: the ISR is smaller than minIsr", {
        stream: this.stream.name,
        partition: this.id,
        refused: batch.refused,
        isr: this.info.isr,
        minIsr: this.minIsr,
      });
    }
    const count = batch.records.count;
    if (count === 0) return;
    this.lastBatchBytes = batch.records.byteLength;
    const receivedAt = this.clock.next();
    this.nextOffset += count;
    const framed = batch.records.finish(receivedAt, this.info.leaderEpoch);
    const appended = this.log.appendFramed(framed);
    // Also handles a rejection at once, so it is never reported as unhandled while queued.
    const recycle = () => recycleFramedRecords(framed);
    appended.then(recycle, recycle);
    const { acks } = batch;
    this.appendChain = this.appendChain.then(async () => {
      try {
        const base = await appended;
        this.reads.noteLatest(base + count - 1, receivedAt);
        this.sendAcks(acks, base, receivedAt);
        if (this.replication) this.replication.appended();
        else this.commit(base + count - 1);
      } catch (err) {
        this.logger.error("append failed; the publishers were told", {
          stream: this.stream.name,
          partition: this.id,
          count,
          error: err,
        });
        // Nothing of the batch was stored: its offsets are free again, and every publisher
        // waiting for an ack gets an error ack now instead of a timeout.
        this.nextOffset -= count;
        const now = nowNanos();
        const reason: AckReason | undefined = isNoSpace(err) ? "noSpace" : undefined;
        for (const { ack } of acks) {
          this.publishAck(ack, -1, receivedAt, now, AckError.UNKNOWN, reason);
        }
      }
    });
  }

  /**
   * Whether a publish may join the batch. Refused, with an error ack, are ALL-policy messages
   * while the ISR is smaller than minIsr (their publishers asked for more copies than the
   * partition can make now; the Ack has no error for this, so it is UNKNOWN, and the reason
   * goes to the log), and, with optimistic concurrency, messages whose expected offset is not
   * the one they would get (INCORRECT_OFFSET).
   */
  private accepts(message: IngestedMessage, batch: IngestBatch): boolean {
    if (
      message.ackPolicy === AckPolicy.ALL &&
      this.replication &&
      this.info.isr.length < this.minIsr
    ) {
      batch.refused++;
      if (message.ack) {
        const now = nowNanos();
        this.publishAck(message.ack, -1, this.clock.next(), now, AckError.UNKNOWN);
      }
      return false;
    }
    if (!this.concurrencyControl || message.expectedOffset === -1) return true;
    if (message.expectedOffset === this.nextOffset + batch.records.count) return true;
    if (message.ack) {
      this.publishAck(
        message.ack,
        message.expectedOffset,
        this.clock.next(),
        nowNanos(),
        AckError.INCORRECT_OFFSET,
      );
    }
    return false;
  }

  /** The ISR has everything up to `offset`: readers may see it, ALL acks up to it may go. */
  private commit(offset: number): void {
    if (!this.reads.advance(offset)) return;
    this.releaseCommittedAcks();
  }

  /** LEADER acks go now (the append is done); ALL acks wait for the high watermark. */
  private sendAcks(acks: BatchAck[], base: number, receivedAt: bigint): void {
    if (acks.length === 0) return;
    const appendedAt = nowNanos();
    for (const { index, ack } of acks) {
      if (ack.ackPolicy === AckPolicy.ALL) {
        this.awaitingCommit.push({ offset: base + index, ack, receivedAt });
      } else {
        this.publishAck(ack, base + index, receivedAt, appendedAt);
      }
    }
  }

  /**
   * Sends the ALL acks the high watermark covers. While the ISR is below minIsr they wait:
   * an ALL ack promises at least minIsr copies.
   */
  private releaseCommittedAcks(): void {
    if (this.awaitingCommit.length === 0) return;
    if (this.replication && this.info.isr.length < this.minIsr) return;
    const hw = this.reads.highWatermark;
    let count = 0;
    while (count < this.awaitingCommit.length && this.awaitingCommit[count]!.offset <= hw) count++;
    if (count === 0) return;
    const committed = this.awaitingCommit.slice(0, count);
    this.awaitingCommit = this.awaitingCommit.slice(count);
    const committedAt = nowNanos();
    for (const entry of committed) {
      this.publishAck(entry.ack, entry.offset, entry.receivedAt, committedAt);
    }
  }

  private publishAck(
    pending: PendingAck,
    offset: number,
    receivedAt: bigint,
    committedAt: bigint,
    ackError: AckError = AckError.OK,
    reason?: AckReason,
  ): void {
    const ack: Ack = {
      stream: this.stream.name,
      partitionSubject: this.stream.subject,
      msgSubject: pending.msgSubject,
      offset,
      ackInbox: pending.ackInbox,
      correlationId: pending.correlationId,
      ackPolicy: pending.ackPolicy,
      receptionTimestamp: receivedAt,
      commitTimestamp: committedAt,
      ackError,
    };
    setAckReason(ack, reason);
    try {
      if (this.options.deliverAckLocally?.(pending.ackInbox, ack)) return;
      this.nc.publish(pending.ackInbox, encodeEnvelope(MsgType.Ack, encodeAck(ack)), {
        headers: ackReasonHeaders(reason),
      });
    } catch (err) {
      this.logger.warn("could not publish ack", { ackInbox: pending.ackInbox, error: err });
    }
  }
}
