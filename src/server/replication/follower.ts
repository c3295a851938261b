import { ErrorCode, NatsError } from "nats";
import type { PartitionCipher } from "../encryption.js";
import type { AppendRecord, CommitLog, StoredRecord } from "../log/index.js";
import type { LogDamage } from "../log/log-damage.js";
import type { PartitionInfo, StreamInfo } from "../metadata/types.js";
import {
  CommittedReads,
  CommittedReplica,
  PartitionClosedError,
} from "../partition/reader-view.js";
import type { ReplicaContext } from "./control.js";
import { installWrappedDataKey } from "./data-key.js";
import {
  CommittedTruncationError,
  type EpochEnd,
  truncateByLeaderEpoch,
} from "./epoch-truncation.js";
import { HighWatermarkCheckpoints } from "./high-watermark-checkpoints.js";
import type { ReplicationNotifications } from "./notifications.js";
import {
  decodeEpochOffsetResponse,
  decodeFetchResponse,
  encodeEpochOffsetRequest,
  encodeFetchRequest,
  type FetchResponse,
  type ReplicatedRecord,
} from "./protocol.js";
import { ReportThrottle } from "./report-throttle.js";
import { damageFields } from "./resignation.js";
import { epochOffsetSubject, replicateSubject } from "./subjects.js";

export interface FollowerOptions extends ReplicaContext {
  /** The broker's notification subscription; without it the follower only polls. */
  notifications?: ReplicationNotifications;
  /**
   * For streams encrypted at rest: the master key. The follower stores the leader's sealed
   * values as they are and installs the leader's data key to read them.
   */
  masterKey?: Buffer;
}

/** What one round of the fetch loop came to, deciding how soon the next one runs. */
type Round =
  /** More may be waiting: go again at once. */
  | "more"
  /** Caught up: wait for a notification or the idle wait. */
  | "idle"
  /** The leader did not answer, or refused: try again shortly. */
  | "failed";

/** How long a follower waits after a failed round before trying again (bounded by the idle wait). */
const RETRY_MS = 100;
const REPORT_INTERVAL_MS = 1000;
/**
 * After a repair that failed (the leader did not answer, or could not read the range itself),
 * the follower fetches normally this long before it tries again.
 */
const REPAIR_RETRY_MS = 5000;

/**
 * A follower replica of one partition: it truncates its log by leader epoch against the
 * leader, then fetches the leader's records into its own log with their offsets, timestamps
 * and epochs, keeps its high watermark at the leader's (capped by what it has), and serves
 * committed records to readISRReplica subscribers. It reports a leader that stops answering.
 */
export class FollowerReplica extends CommittedReplica {
  protected readonly reads: CommittedReads;
  private loop?: Promise<void>;
  private closed?: PartitionClosedError;
  private readonly closing: Promise<void>;
  private signalClosing!: () => void;
  private wakeUp?: () => void;
  private woken = false;
  private unregister?: () => void;
  /** The leader epoch the log was last truncated against; undefined: truncate first. */
  private truncatedFor?: number;
  private leaderLastSeenMs = Date.now();
  private lastReportMs = 0;
  private readonly warnings = new ReportThrottle();
  private cipherValue?: PartitionCipher;
  /** Damaged ranges the leader cannot repair (it no longer holds them), as `from-to`. */
  private readonly unrepairable = new Set<string>();
  private repairAgainAtMs = 0;
  /** The oldest offset the leader said it holds when it refused a repair. */
  private lastLogStartOffset = -1;
  private readonly checkpoints: HighWatermarkCheckpoints;
  constructor(private readonly o: FollowerOptions) {
    super();
    const { log } = o;
    this.reads = new CommittedReads(
      log,
      Math.min(log.loadedHighWatermark ?? -1, log.newestOffset),
      () => this.info.readonly,
    );
    this.checkpoints = new HighWatermarkCheckpoints(log, () => this.highWatermark, o.logger, {
      stream: o.stream.name,
      partition: o.info.id,
    });
    this.closing = new Promise((resolve) => {
      this.signalClosing = resolve;
    });
  }

  get stream(): StreamInfo {
    return this.o.stream;
  }

  get info(): PartitionInfo {
    return this.o.info;
  }

  get log(): CommitLog {
    return this.o.log;
  }

  get cipher(): PartitionCipher | undefined {
    return this.cipherValue;
  }

  /** Starts the fetch loop (truncation first). */
  start(): void {
    if (this.loop || this.closed) return;
    this.unregister = this.o.notifications?.register(this.o.stream.name, this.id, () =>
      this.wake(),
    );
    this.leaderLastSeenMs = Date.now();
    this.checkpoints.start();
    this.loop = this.run();
  }

  /** New records at the leader: fetch now instead of at the end of the idle wait. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  override read(from: number, maxBytes: number, upTo?: number): Promise<StoredRecord[]> {
    if (this.o.masterKey && !this.cipherValue && !this.closed) {
      return Promise.reject(
        new Error(
          `partition ${this.o.stream.name}/${this.id} is encrypted and this follower has not received the leader's data key yet`,
        ),
      );
    }
    return this.reads.read(from, maxBytes, upTo);
  }

  /** Stops fetching, lets an append in progress finish, checkpoints the high watermark, closes the log. */
  async close(reason: "deleted" | "paused" | "closed" = "closed"): Promise<void> {
    if (this.closed) return;
    this.closed = new PartitionClosedError(
      reason,
      reason === "deleted"
        ? `stream ${this.o.stream.name} was deleted`
        : `partition ${this.o.stream.name}/${this.id} was ${reason}`,
    );
    this.signalClosing();
    this.wake();
    this.unregister?.();
    await this.loop;
    this.checkpoints.stop();
    await this.o.log.checkpointHighWatermark(this.highWatermark).catch(() => undefined);
    this.reads.close(this.closed);
    await this.o.log.close();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      const round = await this.round();
      if (this.closed) return;
      if (round === "more") continue;
      const { replicaMaxIdleWaitMs } = this.o.settings;
      await this.sleep(
        round === "idle" ? replicaMaxIdleWaitMs : Math.min(RETRY_MS, replicaMaxIdleWaitMs),
      );
    }
  }

  /** One fetch (or truncation) against the leader, with the leader's health checked after it. */
  private async round(): Promise<Round> {
    const { info, settings, logger } = this.o;
    const leader = info.leader;
    const epoch = info.leaderEpoch;
    // This broker leads now (or nobody does): the registry replaces this follower; wait.
    if (!leader || leader === settings.serverId) return "idle";
    let round: Round;
    let answered = false;
    try {
      if (this.truncatedFor !== epoch) {
        await this.truncate(epoch);
        this.truncatedFor = epoch;
        answered = true;
        round = "more";
      } else if (this.damageToRepair()) {
        answered = await this.repair(leader, epoch);
        round = answered ? "more" : "failed";
      } else {
        const response = await this.fetch(epoch);
        if (response === undefined) return "more";
        answered = response.ok || response.code === "out_of_range";
        round = await this.apply(epoch, response);
      }
    } catch (err) {
      if (this.closed) return "failed";
      if (err instanceof CommittedTruncationError) {
        answered = true;
        if (this.warnings.take("committed", Date.now())) {
          logger.error(
            "the leader is missing committed records; not truncating them, waiting for it to step down",
            {
              ...this.where(),
              leader,
              leaderEpoch: epoch,
              from: err.cutAt,
              to: this.o.log.nextOffset,
              highWatermark: err.highWatermark,
              reason: err.message,
            },
          );
        }
      } else if (!isNoAnswer(err) && this.warnings.take("round", Date.now())) {
        logger.warn("replication round failed", { ...this.where(), leader, error: err });
      }
      round = "failed";
    }
    if (answered) this.leaderLastSeenMs = Date.now();
    else this.checkLeaderHealth(leader, epoch);
    return round;
  }

  /** Truncation by leader epoch against the current leader, and the data key if encrypted. */
  private async truncate(epoch: number): Promise<void> {
    const before = this.o.log.nextOffset;
    let wrappedDataKey: Uint8Array | undefined;
    const ask = async (asked: number): Promise<EpochEnd> => {
      const answer = await this.askEpochEnd(asked);
      wrappedDataKey ??= answer.wrappedDataKey;
      return answer;
    };
    // Committed records (up to the high watermark) are never cut: a leader without them
    // is missing acknowledged data, and it is the one that must go.
    const cutAt = await truncateByLeaderEpoch(this.o.log, ask, this.reads.highWatermark);
    if (cutAt !== undefined) {
      this.reads.capAt(this.o.log.newestOffset);
      this.o.logger.warn("truncated the log by leader epoch", {
        ...this.where(),
        leaderEpoch: epoch,
        fromOffset: cutAt,
        toOffset: before - 1,
        highWatermark: this.reads.highWatermark,
        reason: `records ${cutAt}-${before - 1} are not in the lineage of leader ${this.info.leader} (epoch ${epoch}): never committed`,
      });
    }
    const { masterKey } = this.o;
    if (masterKey && !this.cipherValue) {
      // An empty log asks nothing during truncation: ask for the key alone.
      if (!wrappedDataKey) await ask(0);
      if (!wrappedDataKey) {
        throw new Error(`the leader of encrypted partition ${this.name()} sent no data key`);
      }
      this.cipherValue = await installWrappedDataKey(this.o.log.dir, wrappedDataKey, masterKey);
    }
  }

  private async askEpochEnd(epoch: number): Promise<EpochEnd & { wrappedDataKey?: Uint8Array }> {
    const { nc, settings, stream } = this.o;
    const reply = await this.untilClosed(
      nc.request(
        epochOffsetSubject(settings.namespace, stream.name, this.id),
        encodeEpochOffsetRequest({
          replicaId: settings.serverId,
          epoch,
          leaderEpoch: this.info.leaderEpoch,
          highWatermark: this.reads.highWatermark,
        }),
        { timeout: settings.replicaFetchTimeoutMs },
      ),
    );
    const answer = decodeEpochOffsetResponse(reply.data);
    if (!answer.ok) {
      throw new Error(`leader refused the epoch offset request: ${answer.code}: ${answer.message}`);
    }
    return answer;
  }

  /** Whether a damaged range waits for repair (and a failed repair is not too recent). */
  private damageToRepair(): LogDamage | undefined {
    if (Date.now() < this.repairAgainAtMs) return undefined;
    return this.o.log.damage().find((d) => !this.unrepairable.has(rangeKey(d)));
  }

  /**
   * Repairs each damaged range of the log with the leader's records at those offsets (a
   * fetch from the range's first offset, repeated until its last one), then normal fetching
   * goes on. A range the leader no longer holds (retention) stays marked, and reads of it keep
   * failing: it is never cut silently. False when the leader did not answer or refused: the
   * follower fetches normally meanwhile and tries again later.
   */
  private async repair(leader: string, epoch: number): Promise<boolean> {
    const { log, logger } = this.o;
    for (let d = this.damageToRepair(); d && !this.closed; d = this.damageToRepair()) {
      const fields = { ...this.where(), leader, leaderEpoch: epoch, ...damageFields(d) };
      let records: AppendRecord[] | "gone" | undefined;
      try {
        records = await this.fetchRange(epoch, d);
        if (records === undefined) return false;
        if (records === "gone") {
          this.unrepairable.add(rangeKey(d));
          logger.error(
            "cannot repair a damaged range: the leader no longer holds it; it stays marked and unreadable",
            { ...fields, leaderOldestOffset: this.lastLogStartOffset },
          );
          continue;
        }
        await log.repair(d.fromOffset, d.toOffset, records);
      } catch (err) {
        if (this.closed) return false;
        this.repairAgainAtMs = Date.now() + REPAIR_RETRY_MS;
        logger.warn("could not repair a damaged range from the leader; will try again", {
          ...fields,
          error: err,
        });
        return false;
      }
      logger.warn("repaired a damaged range of the log from the leader", {
        ...fields,
        records: records.length,
      });
    }
    return true;
  }

  /**
   * The leader's records in `d`'s offsets; "gone" when it no longer holds the range's first
   * offset; undefined when the follower closed meanwhile. Offsets the leader skips (compacted
   * away: it has a later record) are absent; a leader whose log ends inside the range is an
   * error, never taken as "no records there".
   */
  private async fetchRange(
    epoch: number,
    d: LogDamage,
  ): Promise<AppendRecord[] | "gone" | undefined> {
    const records: AppendRecord[] = [];
    let from = d.fromOffset;
    while (from <= d.toOffset) {
      const response = await this.fetch(epoch, from, d.toOffset);
      if (response === undefined) return undefined;
      if (!response.ok) {
        if (response.code === "out_of_range" && response.logStartOffset > from) {
          this.lastLogStartOffset = response.logStartOffset;
          return "gone";
        }
        throw new Error(
          `the leader refused the repair fetch: ${response.code}: ${response.message}`,
        );
      }
      if (response.leaderEpoch !== epoch) {
        throw new Error(
          `the repair answer came from leader epoch ${response.leaderEpoch}, not ${epoch}`,
        );
      }
      if (response.records.length === 0) {
        throw new Error(`the leader's log ends before offset ${from} of the damaged range`);
      }
      const got = response.records.filter((r) => r.offset >= from && r.offset <= d.toOffset);
      for (const r of got) {
        records.push({
          offset: r.offset,
          timestamp: r.timestamp,
          leaderEpoch: r.leaderEpoch,
          body: r.body,
        });
      }
      const last = got.at(-1);
      // The leader's next record lies past the range: it holds nothing more in it.
      if (!last || response.records.at(-1)!.offset > d.toOffset) break;
      from = last.offset + 1;
    }
    return records;
  }

  /** Sends one fetch; undefined when the follower closed meanwhile. */
  private async fetch(
    epoch: number,
    fetchOffset = this.o.log.nextOffset,
    repairTo?: number,
  ): Promise<FetchResponse | undefined> {
    const { nc, settings, stream } = this.o;
    const reply = await this.untilClosed(
      nc.request(
        replicateSubject(settings.namespace, stream.name, this.id),
        encodeFetchRequest({
          replicaId: settings.serverId,
          fetchOffset,
          leaderEpoch: epoch,
          ...(repairTo === undefined ? {} : { repairTo }),
        }),
        { timeout: settings.replicaFetchTimeoutMs },
      ),
    );
    if (this.closed) return undefined;
    return decodeFetchResponse(reply.data);
  }

  /**
   * Applies a fetch response sent for `fetchOffset == log.nextOffset` in `epoch`: drops it when
   * stale (another epoch now, or the log moved), else appends its records and takes the
   * leader's high watermark.
   */
  private async apply(epoch: number, response: FetchResponse): Promise<Round> {
    const { info, log, logger } = this.o;
    if (!response.ok) {
      if (response.code === "out_of_range" && response.logStartOffset > log.nextOffset) {
        // Retention on the leader removed what this replica still needs: what it has is older
        // than anything the leader keeps, so it starts over at the leader's oldest record.
        logger.warn("the leader no longer has the records this replica needs; restarting its log", {
          ...this.where(),
          fromOffset: log.oldestOffset,
          toOffset: log.newestOffset,
          at: response.logStartOffset,
          reason: `the leader's oldest record is ${response.logStartOffset}, past this replica's log end ${log.newestOffset} (retention)`,
        });
        await log.restartAt(response.logStartOffset);
        this.truncatedFor = epoch;
        return "more";
      }
      if (response.code === "out_of_range") this.truncatedFor = undefined;
      if (!this.warnings.take(`refused ${response.code}`, Date.now())) return "failed";
      logger.info("the leader refused a fetch", {
        ...this.where(),
        code: response.code,
        reason: response.message,
      });
      return "failed";
    }
    if (response.leaderEpoch !== info.leaderEpoch || response.leaderEpoch !== epoch) {
      logger.debug("dropped a fetch response from another leader epoch", {
        ...this.where(),
        responseEpoch: response.leaderEpoch,
        leaderEpoch: info.leaderEpoch,
      });
      return "failed";
    }
    const { records } = response;
    if (records.length > 0) {
      const problem = this.checkRecords(records, log.nextOffset);
      if (problem) {
        logger.warn("dropped a fetch response that does not continue the log", {
          ...this.where(),
          problem,
        });
        return "failed";
      }
      await log.append(
        records.map((r) => ({
          offset: r.offset,
          timestamp: r.timestamp,
          leaderEpoch: r.leaderEpoch,
          body: r.body,
        })),
      );
    }
    this.reads.advance(Math.min(response.highWatermark, log.newestOffset));
    // The leader holds a caught-up fetch until there is news (a long poll), so an empty answer
    // already waited: ask again at once.
    return "more";
  }

  /**
   * Why `records` cannot follow a log whose next offset is `next`; undefined if they can.
   * Offsets must increase from `next` on; they may skip ahead, since the leader's compaction
   * leaves gaps (the offset asked for may itself be gone).
   */
  private checkRecords(records: ReplicatedRecord[], next: number): string | undefined {
    let expected = next;
    for (const record of records) {
      if (record.offset < expected) {
        return `record offset ${record.offset} where at least ${expected} was expected`;
      }
      expected = record.offset + 1;
    }
    return undefined;
  }

  private checkLeaderHealth(leader: string, epoch: number): void {
    const now = Date.now();
    const { settings, control, stream, logger } = this.o;
    if (now - this.leaderLastSeenMs <= settings.replicaMaxLeaderTimeoutMs) return;
    if (now - this.lastReportMs < REPORT_INTERVAL_MS) return;
    this.lastReportMs = now;
    logger.warn("partition leader is not answering; reporting it to the controller", {
      ...this.where(),
      leader,
      leaderEpoch: epoch,
      silentMs: now - this.leaderLastSeenMs,
    });
    control
      .reportLeader(stream.name, this.id, leader, epoch)
      .catch((err) => logger.warn("could not report the leader", { ...this.where(), error: err }));
  }

  /** Waits `ms`, or less if woken or closed. A wake-up that came during the round counts. */
  private sleep(ms: number): Promise<void> {
    if (this.woken || this.closed) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  /** `work`, or a rejection as soon as the follower closes (the work's outcome is ignored then). */
  private untilClosed<T>(work: Promise<T>): Promise<T> {
    work.catch(() => undefined);
    return Promise.race([
      work,
      this.closing.then(() => {
        throw this.closed;
      }),
    ]);
  }

  private where(): { stream: string; partition: number } {
    return { stream: this.o.stream.name, partition: this.id };
  }

  private name(): string {
    return `${this.o.stream.name}/${this.id}`;
  }
}

function rangeKey(d: LogDamage): string {
  return `${d.fromOffset}-${d.toOffset}`;
}

/** No responders, or no answer in time: the leader is not answering. */
function isNoAnswer(err: unknown): boolean {
  return (
    err instanceof NatsError &&
    (err.code === ErrorCode.NoResponders || err.code === ErrorCode.Timeout)
  );
}
