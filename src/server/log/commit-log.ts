import { dirname } from "node:path";
import {
  type BatchTarget,
  type EncodedBatch,
  encodeBatch,
  measureAppend,
  measureFramed,
  type QueuedAppend,
  WriteScratch,
} from "./batch-encoding.js";
import {
  finishCompaction,
  installCompaction,
  recoverInterruptedCompaction,
  writeCompactedSegments,
} from "./compaction.js";
import { AppendFailedError, CorruptRecordError, LogClosedError, LogFailedError } from "./errors.js";
import { writeAt, writeFileAtomic, writeWholeFile } from "./file-io.js";
import type { LogFileSystem } from "./file-system.js";
import type { FramedRecords } from "./framed-records.js";
import { LeaderEpochCache } from "./leader-epoch-cache.js";
import {
  clipDamage,
  describeDamage,
  firstDamageIn,
  type LogDamage,
  loadDamage,
  mergeDamage,
  saveDamage,
} from "./log-damage.js";
import { type ResolvedLogOptions, resolveLogOptions } from "./log-options.js";
import { findOffsetForTimestamp, readRecords } from "./log-reader.js";
import {
  type ListedSegment,
  loadHighWatermark,
  loadLeaderEpochs,
  loadLogExtent,
  loadRecoveryPoint,
  loadSegmentList,
  removeTemporaryFiles,
  saveHighWatermark,
  saveLeaderEpochs,
  saveLogExtent,
  saveRecoveryPoint,
  saveSegmentList,
} from "./partition-checkpoints.js";
import {
  encodedRecordSize,
  encodeRecord,
  RECORD_FRAME_BYTES,
  RECORD_HEADER_BYTES,
  readLeaderEpoch,
  readLength,
  readOffset,
  readTimestamp,
} from "./record-format.js";
import { scanRecords } from "./record-scanner.js";
import { SealedIndexCache } from "./sealed-index-cache.js";
import {
  damageError,
  type RecoveredSegment,
  type RecoveryPoint,
  Segment,
  type SegmentSnapshot,
} from "./segment.js";
import { indexFilePath, listSegmentBases, logExtentPath, logFilePath } from "./segment-files.js";
import { firstEntryAtOrAfter, SegmentIndex } from "./segment-index.js";
import { segmentRecords } from "./segment-records.js";
import type {
  AppendRecord,
  CompactionResult,
  LogOptions,
  LogStats,
  RecoveryReport,
  RetentionLimits,
  RetentionResult,
  StoredRecord,
} from "./types.js";

/** A group write takes queued appends up to this many bytes (at least one append). */
const MAX_GROUP_WRITE_BYTES = 64 * 1024 * 1024;
/** Sealed segment indexes kept in memory. */
const SEALED_INDEXES_CACHED = 8;
const NANOS_PER_MILLI = 1_000_000n;

type PendingAppend = QueuedAppend & {
  resolve(baseOffset: number): void;
  reject(err: unknown): void;
};

/**
 * The commit log of one stream partition: a directory of segments, appended to by group
 * commit and read with positional reads.
 *
 * Appends queue while a write is in progress; the next write takes everything queued as one
 * batch (one write call and, with sync "always", one fdatasync), then resolves the appends in
 * order. Records become visible to readers only once their write completed.
 *
 * Maintenance (retention, compaction, truncation) runs one operation at a time; it changes
 * the segment list only inside the write chain, by replacing the array, so reads in flight
 * keep the segments they started with, whose files are closed once those reads finish.
 */
export class CommitLog {
  /** See `segments`. */
  private held: readonly Segment[];
  /**
   * The recovery point on disk describes the active segment as it is (nothing written, and the
   * segments unchanged, since): closing need not sync and write it again.
   */
  private recoveryPointCurrent = false;
  /** What the high watermark and extent checkpoints hold, as far as this log knows. */
  private savedHighWatermark?: number;
  private savedExtent?: { oldestOffset: number; nextOffset: number };
  private readonly sealedIndexes = new SealedIndexCache(SEALED_INDEXES_CACHED, (segment) =>
    this.loadSealedIndex(segment),
  );
  private readonly scratch = new WriteScratch();
  private readonly fs: LogFileSystem;
  private queue: PendingAppend[] = [];
  private writeScheduled = false;
  /** Writes, rolls, syncs, segment-list changes and shutdown run one at a time in this chain. */
  private chain: Promise<unknown> = Promise.resolve();
  /** Retention, compaction and truncation run one at a time in this chain. */
  private maintenanceChain: Promise<unknown> = Promise.resolve();
  private highWatermarkChain: Promise<unknown> = Promise.resolve();
  private closing?: Promise<void>;
  private failure?: LogFailedError;
  /** Set when a compaction swap failed half-way: only a reopen may finish it. */
  private swapFailure?: Error;
  private readonly reads = new Set<Promise<unknown>>();
  private readonly retiring = new Set<Promise<unknown>>();
  private epochsDirty = false;
  /**
   * End of the sealed segments the last compaction covered: until another segment is sealed,
   * compacting again could not change anything, so it is skipped rather than re-read.
   */
  private compactedUpTo = -1;
  private bytesSinceRecoveryPoint = 0;
  /** Appends queued since the last `sync()` call, which covers every one queued before it. */
  private appendsSinceSync = 0;
  private lastSync?: Promise<void>;
  /** Offsets the log cannot serve, oldest first (see `damage()`). */
  private damaged: LogDamage[] = [];
  /** Listed segments found gone at open: kept in the segment list until dealt with. */
  private lostSegments: ListedSegment[] = [];
  /** The group write between its write and the end of its sync, when `onWritten` is set. */
  private unsynced?: WrittenBatch;
  /**
   * Called once a group write's bytes are in the file, before its sync: `readWritten` serves
   * its records from then on (a leader sends them to followers while it syncs). Must not throw.
   */
  onWritten?: () => void;
  private readonly counters: LogStats = {
    appends: 0,
    records: 0,
    writes: 0,
    syncs: 0,
    bytes: 0,
    recoveryPoints: 0,
  };

  private constructor(
    readonly dir: string,
    private readonly options: ResolvedLogOptions,
    segments: Segment[],
    private readonly epochs: LeaderEpochCache,
    /** The high watermark last checkpointed, capped at the newest offset; undefined if none. */
    readonly loadedHighWatermark: number | undefined,
    /** What opening the log repaired. */
    readonly recovery: RecoveryReport,
  ) {
    this.held = segments;
    this.fs = options.fs;
  }

  /** Oldest first; the last is the active segment. Replaced, never mutated, so reads can hold it. */
  private get segments(): readonly Segment[] {
    return this.held;
  }

  private set segments(segments: readonly Segment[]) {
    this.held = segments;
    this.recoveryPointCurrent = false;
  }

  /**
   * Opens (creating if needed) the log in `dir`: completes or rolls back an interrupted
   * compaction, opens the sealed segments cheaply and recovers the last one from its recovery
   * point, then loads the leader epochs and the high watermark.
   */
  static async open(dir: string, options?: LogOptions): Promise<CommitLog> {
    const resolved = resolveLogOptions(options);
    const { fs } = resolved;
    // A new directory's entry must be durable in its parent, or a power loss could take a
    // partition whose records were synced.
    for (const created of await fs.mkdir(dir)) await fs.syncDirectory(dirname(created));
    const report: RecoveryReport = {
      truncatedBytes: 0,
      rebuiltIndexes: [],
      scannedBytes: 0,
      damagedSegments: [],
      damage: [],
    };
    await removeTemporaryFiles(fs, dir);
    const compaction = await recoverInterruptedCompaction(fs, dir);
    if (compaction) report.compaction = compaction;
    let bases = await listSegmentBases(fs, dir);
    const listed = await loadSegmentList(fs, dir);
    const loadedHw = await loadHighWatermark(fs, dir);
    const recorded = await loadDamage(fs, dir, (offset) => logFilePath(dir, offset));
    // Written with the recovery point and the high watermark: how far the log was known to go.
    const extent = resolved.extentBesideDir ? await loadLogExtent(fs, dir) : undefined;
    const lost: LogDamage[] = [];
    if (bases.length === 0) {
      const point = await loadRecoveryPoint(fs, dir, report);
      // With the directory itself gone, only the extent kept beside it remembers the records.
      const known = highestKnownOffset(point, listed, loadedHw, recorded, extent);
      if (known < 0) {
        report.recoveryPointIgnored = undefined;
        const segment = await Segment.create(fs, dir, 0);
        await fs.syncDirectory(dir);
        await saveSegmentList(fs, dir, []);
        if (resolved.extentBesideDir) await saveLogExtent(fs, dir, 0, 0);
        return new CommitLog(
          dir,
          resolved,
          [segment],
          new LeaderEpochCache(),
          loadedHw === undefined ? undefined : Math.min(loadedHw, -1),
          report,
        );
      }
      // Every segment file is gone, though the checkpoints say records were stored.
      const segment = await Segment.create(fs, dir, known + 1);
      await segment.close();
      await fs.syncDirectory(dir);
      bases = [known + 1];
      const lostFrom = Math.min(
        listed?.[0]?.baseOffset ?? known,
        point?.baseOffset ?? known,
        extent?.oldestOffset ?? known,
      );
      lost.push({
        fromOffset: lostFrom,
        toOffset: known,
        kind: "missing",
        reason: `every segment file is gone, though the checkpoints record offsets up to ${known}${extent && !point ? ` (the partition directory was lost: ${logExtentPath(dir)} records them)` : ""}`,
        segment: logFilePath(dir, lostFrom),
      });
    }
    const point = await loadRecoveryPoint(fs, dir, report);
    const sealed = await Promise.allSettled(
      bases.slice(0, -1).map((base) => Segment.openSealed(fs, dir, base, report)),
    );
    const active = await Promise.allSettled([
      Segment.recoverActive(fs, dir, bases.at(-1)!, report, point),
    ]);
    const segments = [
      ...sealed.flatMap((o) => (o.status === "fulfilled" ? [o.value] : [])),
      ...active.flatMap((o) => (o.status === "fulfilled" ? [o.value.segment] : [])),
    ];
    try {
      for (const o of [...sealed, ...active]) if (o.status === "rejected") throw o.reason;
      checkSegmentOrder(segments);
      const recovered = (active[0] as PromiseFulfilledResult<RecoveredSegment>).value;
      const found = [
        ...lost,
        ...foundDamage(dir, segments, report.compaction ? undefined : listed),
      ];
      const known = highestKnownOffset(point, listed, loadedHw, [...recorded, ...found], extent);
      const activeSegment = segments.at(-1)!;
      if (activeSegment.nextOffset <= known) {
        const lostFile = point && point.baseOffset > activeSegment.baseOffset;
        found.push({
          fromOffset: activeSegment.nextOffset,
          toOffset: known,
          kind: "missing",
          reason: `the checkpoints record offsets up to ${known}, but the log ends at ${activeSegment.nextOffset - 1}${lostFile ? ` and its active segment ${logFilePath(dir, point.baseOffset)} is gone` : ""}`,
          segment: lostFile ? logFilePath(dir, point.baseOffset) : activeSegment.logPath,
        });
        activeSegment.skipTo(known + 1);
      }
      const nextOffset = activeSegment.nextOffset;
      const { cache, rebuilt } = await loadLeaderEpochs(fs, dir, segments);
      let epochsChanged = cache.truncateFrom(nextOffset) || rebuilt;
      for (const start of recovered.epochStarts) {
        if (cache.assign(start.epoch, start.startOffset)) epochsChanged = true;
      }
      const log = new CommitLog(
        dir,
        resolved,
        segments,
        cache,
        loadedHw === undefined ? undefined : Math.min(loadedHw, nextOffset - 1),
        report,
      );
      // What this open found describes the damage best; what was recorded before fills in.
      log.damaged = mergeDamage(
        found,
        recorded.map((d) => inHoldingSegment(d, segments)),
      );
      log.lostSegments = (listed ?? []).filter(
        (l) =>
          !report.compaction &&
          found.some(
            (d) =>
              d.kind === "missing" &&
              d.fromOffset === l.baseOffset &&
              d.segment === logFilePath(dir, l.baseOffset),
          ),
      );
      report.damage = [...log.damaged];
      if (found.length > 0) await saveDamage(fs, dir, log.damaged);
      if (report.compaction || !listed) await log.saveSegmentList();
      log.epochsDirty = epochsChanged;
      log.savedHighWatermark = loadedHw;
      log.savedExtent = extent;
      log.recoveryPointCurrent =
        point !== undefined &&
        report.recoveryPointIgnored === undefined &&
        point.baseOffset === activeSegment.baseOffset &&
        point.position === activeSegment.size &&
        point.entries === activeSegment.entries;
      if (epochsChanged || report.scannedBytes > 0 || report.truncatedBytes > 0) {
        await log.serial(() => log.writeRecoveryPoint());
      }
      return log;
    } catch (err) {
      await Promise.allSettled(segments.map((s) => s.close()));
      throw err;
    }
  }

  /** Deletes a closed log's directory and everything in it. */
  /**
   * What the closed log in `dir` last recorded, without opening it: the high watermark it
   * checkpointed and its newest offset (from the extent kept beside the directory, so only for
   * logs opened with `extentBesideDir`); -1 where nothing was recorded. For paused partitions,
   * which keep no log open.
   */
  static async closedProgress(
    dir: string,
    fs?: LogFileSystem,
  ): Promise<{ highWatermark: number; newestOffset: number }> {
    const files = resolveLogOptions({ fs }).fs;
    const [highWatermark, extent] = await Promise.all([
      loadHighWatermark(files, dir).catch(() => undefined),
      loadLogExtent(files, dir),
    ]);
    const newestOffset = extent ? extent.nextOffset - 1 : -1;
    return { highWatermark: Math.min(highWatermark ?? -1, newestOffset), newestOffset };
  }

  static async destroy(dir: string, fs?: LogFileSystem): Promise<void> {
    const files = resolveLogOptions({ fs }).fs;
    await files.removeAll(dir);
    await unlinkIfPresent(files, logExtentPath(dir));
    await files.syncDirectory(dirname(dir)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
  }

  /**
   * Offset of the oldest stored record (or of the gap compaction left before it); 0 for a new
   * log. Damaged or missing offsets before it count: a reader from the oldest must hear of them.
   */
  get oldestOffset(): number {
    return Math.min(
      this.segments[0]!.baseOffset,
      this.damaged[0]?.fromOffset ?? Number.MAX_SAFE_INTEGER,
    );
  }

  /** Offset of the newest record whose append completed; -1 when empty. */
  get newestOffset(): number {
    return this.active.nextOffset - 1;
  }

  get nextOffset(): number {
    return this.active.nextOffset;
  }

  /** One past the newest record written, synced or not (see `onWritten`). */
  get writtenOffset(): number {
    return this.unsynced?.nextOffset ?? this.active.nextOffset;
  }

  /** Timestamp of the newest stored record; undefined when the log holds none. */
  get newestTimestamp(): bigint | undefined {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const timestamp = this.segments[i]!.lastTimestamp;
      if (timestamp !== undefined) return timestamp;
    }
    return undefined;
  }

  get stats(): Readonly<LogStats> {
    return { ...this.counters };
  }

  /** The leader epochs seen, each with the offset of its first record, oldest first. */
  get leaderEpochs(): readonly { epoch: number; startOffset: number }[] {
    return this.epochs.entries;
  }

  /** Number of segments, the active one included. */
  get segmentCount(): number {
    return this.segments.length;
  }

  /** Bytes of all segments. */
  get sizeBytes(): number {
    return this.segments.reduce((sum, s) => sum + s.size, 0);
  }

  /**
   * Appends records, each at its `offset` if given, else at the next offset; resolves with the
   * offset of `records[0]` once they are written (and synced, with sync "always"). A failed write rejects with
   * `AppendFailedError` and stores nothing; the log stays usable.
   */
  append(records: AppendRecord[]): Promise<number> {
    if (this.closing) return Promise.reject(new LogClosedError(this.dir, "append"));
    if (this.failure) return Promise.reject(this.failure);
    let bytes: number;
    try {
      bytes = measureAppend(records);
    } catch (err) {
      return Promise.reject(err);
    }
    this.appendsSinceSync++;
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ records, bytes, resolve, reject });
      this.scheduleWrite();
    });
  }

  /**
   * Appends records the caller laid out already (see FramedRecords), at the next offsets, with
   * the same group commit and guarantees as `append`: resolves with the offset of the first
   * once they are written (and synced, with sync "always"); a failed write stores none of them.
   * The log fills in their offsets, timestamp, leader epoch and CRCs in `framed.bytes`, which
   * the caller must not touch again.
   */
  appendFramed(framed: FramedRecords): Promise<number> {
    if (this.closing) return Promise.reject(new LogClosedError(this.dir, "append"));
    if (this.failure) return Promise.reject(this.failure);
    let bytes: number;
    try {
      bytes = measureFramed(framed);
    } catch (err) {
      return Promise.reject(err);
    }
    this.appendsSinceSync++;
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ framed, bytes, resolve, reject });
      this.scheduleWrite();
    });
  }

  /**
   * Records with offsets from `fromOffset` (or the first one after it, which is the oldest one
   * when retention removed `fromOffset`) up to `maxOffset`, while their stored size (28-byte
   * header + body each) stays within `maxBytes`; at least one record when any qualifies, []
   * when none does. Every record's CRC is checked: a damaged one throws `CorruptRecordError`.
   */
  async read(fromOffset: number, maxBytes: number, maxOffset?: number): Promise<StoredRecord[]> {
    checkInteger("fromOffset", fromOffset);
    if (!(maxBytes >= 0)) {
      throw new RangeError(`maxBytes is ${String(maxBytes)}, expected a number >= 0`);
    }
    if (maxOffset !== undefined) checkInteger("maxOffset", maxOffset);
    return this.reading("read", async () => {
      let last = Math.min(maxOffset ?? Number.MAX_SAFE_INTEGER, this.newestOffset);
      const hit = firstDamageIn(this.damaged, fromOffset, last);
      if (hit) {
        if (hit.fromOffset <= fromOffset) throw damageReadError(hit, fromOffset);
        last = hit.fromOffset - 1;
      }
      const from = Math.max(fromOffset, this.oldestOffset);
      // Nothing readable before the damage: the reader must hear of it now, not wait.
      if (from > last) {
        if (hit) throw damageReadError(hit, fromOffset);
        return [];
      }
      try {
        const records = await readRecords(this.segments, this.snapshotOf, from, maxBytes, last);
        if (records.length === 0 && hit) throw damageReadError(hit, fromOffset);
        return records;
      } catch (err) {
        if (err instanceof CorruptRecordError) this.noteDamage(err);
        throw err;
      }
    });
  }

  /**
   * The offsets this log cannot serve, oldest first; each range is inclusive, lies in one
   * segment file and does not overlap another:
   *
   * - `corrupt`: records that fail their CRC, framing or offset check. A bad record with valid
   *   records after it is damage, never a torn tail: open() keeps the bytes and the records
   *   after them, and lists the offsets from the bad one to the next valid one. Reads that
   *   find a damaged record in a sealed segment add it too.
   * - `missing`: offsets the checkpoints (recovery point, high watermark, segment list,
   *   damage recorded before) say the log held, whose segment file or bytes are gone: a lost
   *   middle segment, a lost active segment, records lost below the high watermark.
   *
   * The list survives restarts (`damage.checkpoint`). A read that reaches a range throws
   * `CorruptRecordError` (the API answers DATA_LOSS); appends continue after the highest offset
   * the log ever held, so no offset in a range is ever reused. `repair` replaces a range with
   * good records from an in-sync peer; `truncateTo`, `restartAt` and retention drop the parts
   * of ranges whose offsets they remove.
   */
  damage(): readonly LogDamage[] {
    return [...this.damaged];
  }

  /**
   * Replaces one damaged range, exactly as `damage()` lists it, with `records` fetched from an
   * in-sync peer: each must carry its `offset`, within `[fromOffset, toOffset]` and increasing
   * (offsets the peer does not hold, e.g. compacted away, are simply absent; an empty list says
   * the peer holds none there). The segment holding the range is rewritten beside the original
   * with the good records around the range and the repaired ones, every record's CRC checked
   * again from the new file, then renamed over it (the directory synced), so a crash leaves
   * either the old or the new segment. The range leaves `damage()` and reads serve the
   * records. Rejects with a RangeError when the range or a record does not fit.
   */
  repair(fromOffset: number, toOffset: number, records: readonly AppendRecord[]): Promise<void> {
    return this.maintenance("repair", () =>
      this.serial(async () => {
        const at = this.damaged.findIndex(
          (d) => d.fromOffset === fromOffset && d.toOffset === toOffset,
        );
        if (at < 0) {
          throw new RangeError(
            `offsets ${fromOffset}-${toOffset} are not a damaged range of the log in ${this.dir}; damage() lists ${this.damaged.map((d) => `${d.fromOffset}-${d.toOffset}`).join(", ") || "none"}`,
          );
        }
        let previous = fromOffset - 1;
        for (const [i, record] of records.entries()) {
          const offset = record.offset;
          if (
            offset === undefined ||
            !Number.isSafeInteger(offset) ||
            offset <= previous ||
            offset > toOffset
          ) {
            throw new RangeError(
              `records[${i}].offset is ${String(offset)}, expected an integer from ${previous + 1} to ${toOffset} (offsets increasing within the repaired range)`,
            );
          }
          previous = offset;
        }
        this.lostSegments = this.lostSegments.filter(
          (l) => l.nextOffset <= fromOffset || l.baseOffset > toOffset,
        );
        await this.rewriteWith(fromOffset, toOffset, records);
        const repaired = this.damaged[at]!;
        this.damaged = this.damaged.filter((_, i) => i !== at);
        await saveDamage(this.fs, this.dir, this.damaged);
        this.options.notice?.("damaged offsets repaired", {
          fromOffset,
          toOffset,
          records: records.length,
          segment: repaired.segment,
          reason: repaired.reason,
        });
      }),
    );
  }

  /**
   * Like `read` up to `writtenOffset`: records of a group write still being synced come from
   * the bytes it wrote (no file read), the others from `read`.
   */
  readWritten(fromOffset: number, maxBytes: number): Promise<StoredRecord[]> {
    const unsynced = this.unsynced;
    if (unsynced && fromOffset >= unsynced.firstOffset && fromOffset < unsynced.nextOffset) {
      return Promise.resolve(recordsFrom(unsynced.bytes, fromOffset, maxBytes));
    }
    return this.read(fromOffset, maxBytes);
  }

  /** The first offset whose timestamp is >= `timestamp`; `nextOffset` when there is none. */
  async offsetForTimestamp(timestamp: bigint): Promise<number> {
    if (typeof timestamp !== "bigint") {
      throw new TypeError(`timestamp is ${String(timestamp)}, expected a bigint (nanoseconds)`);
    }
    return this.reading("look up a timestamp", () =>
      findOffsetForTimestamp(this.segments, this.snapshotOf, timestamp, this.nextOffset),
    );
  }

  /**
   * The largest known leader epoch <= `epoch` and the offset where it ends (the start of the
   * next epoch, or `nextOffset` for the latest); undefined when no such epoch is known.
   */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } | undefined {
    if (!Number.isSafeInteger(epoch) || epoch < 0) {
      throw new RangeError(`epoch is ${String(epoch)}, expected an integer >= 0`);
    }
    return this.epochs.endOffsetFor(epoch, this.nextOffset);
  }

  /**
   * Flushes everything appended so far to disk; writes a recovery point when enough was
   * appended since the last one. With nothing appended since the previous call, that call's
   * sync covers everything already: an idle log (of many, synced on a timer) costs nothing.
   */
  sync(): Promise<void> {
    if (this.closing) return Promise.reject(new LogClosedError(this.dir, "sync"));
    if (this.lastSync && this.appendsSinceSync === 0 && !this.epochsDirty) return this.lastSync;
    this.appendsSinceSync = 0;
    const run = this.serial(async () => {
      if (this.bytesSinceRecoveryPoint >= this.options.recoveryPointBytes || this.epochsDirty) {
        await this.writeRecoveryPoint();
      } else {
        await this.active.sync();
      }
      this.counters.syncs++;
    });
    this.lastSync = run;
    // A failed sync is tried again by the next call.
    run.catch(() => {
      if (this.lastSync === run) this.lastSync = undefined;
    });
    return run;
  }

  /** Persists the high watermark (atomically); `loadedHighWatermark` returns it after a reopen. */
  checkpointHighWatermark(highWatermark: number): Promise<void> {
    if (!Number.isSafeInteger(highWatermark) || highWatermark < -1) {
      return Promise.reject(
        new RangeError(`highWatermark is ${String(highWatermark)}, expected an integer >= -1`),
      );
    }
    if (this.closing)
      return Promise.reject(new LogClosedError(this.dir, "checkpoint the high watermark"));
    const run = this.highWatermarkChain.then(async () => {
      const extent = this.savedExtent;
      // Unchanged (an idle partition closing): nothing to write, and no fsync.
      if (
        this.savedHighWatermark === highWatermark &&
        (!this.options.extentBesideDir ||
          (extent?.oldestOffset === this.oldestOffset && extent.nextOffset === this.nextOffset))
      ) {
        return;
      }
      this.savedHighWatermark = undefined;
      await saveHighWatermark(this.fs, this.dir, highWatermark);
      this.savedHighWatermark = highWatermark;
      // Committed offsets must be remembered even if the whole partition directory is lost.
      await this.saveExtent(this.oldestOffset, this.nextOffset);
    });
    this.highWatermarkChain = run.catch(() => {});
    return run;
  }

  /** Seals the active segment and starts a new one, if it holds any record; says whether it did. */
  roll(): Promise<boolean> {
    if (this.closing) return Promise.reject(new LogClosedError(this.dir, "roll"));
    return this.serial(async () => {
      if (this.active.entries === 0) return false;
      await this.rollSegment();
      return true;
    });
  }

  /** Rolls when the active segment's first record is older than `segmentMaxAgeMs`. */
  maybeRollByAge(nowMs = Date.now()): Promise<boolean> {
    if (this.closing) return Promise.reject(new LogClosedError(this.dir, "roll"));
    return this.serial(async () => {
      if (!this.activeTooOld(nowMs)) return false;
      await this.rollSegment();
      return true;
    });
  }

  /**
   * Deletes whole sealed segments, oldest first, until the log is within every given limit
   * (as far as deleting sealed segments can take it: the active one always stays). A segment
   * goes by age when its newest record is older than `maxAgeMs`.
   */
  enforceRetention(limits: RetentionLimits): Promise<RetentionResult> {
    const { maxBytes = 0, maxMessages = 0, maxAgeMs = 0, nowMs = Date.now() } = limits;
    for (const [name, value] of Object.entries({ maxBytes, maxMessages, maxAgeMs, nowMs })) {
      if (!Number.isSafeInteger(value) || value < 0) {
        return Promise.reject(
          new RangeError(`${name} is ${String(value)}, expected an integer >= 0 (0: no limit)`),
        );
      }
    }
    return this.maintenance("enforce retention", () =>
      this.serial(async () => {
        const segments = this.segments;
        const count = retentionCount(segments, { maxBytes, maxMessages, maxAgeMs, nowMs });
        const deleted = segments.slice(0, count);
        if (deleted.length > 0) {
          // Listed first: a crash mid-deletion must not make deleted segments look lost.
          const oldest = segments[count]!.baseOffset;
          this.lostSegments = this.lostSegments.filter((l) => l.baseOffset >= oldest);
          await this.saveSegmentList(segments.slice(count, -1));
          const before = this.damaged;
          this.damaged = clipDamage(this.damaged, segments[count]!.baseOffset);
          if (this.damaged.length !== before.length)
            await saveDamage(this.fs, this.dir, this.damaged);
          for (const segment of deleted) {
            await unlinkIfPresent(this.fs, segment.logPath);
            await unlinkIfPresent(this.fs, segment.indexPath);
          }
          await this.fs.syncDirectory(this.dir);
          this.segments = segments.slice(count);
          this.retire(deleted);
        }
        return {
          deletedSegments: deleted.map((s) => s.baseOffset),
          deletedRecords: deleted.reduce((sum, s) => sum + s.entries, 0),
          deletedBytes: deleted.reduce((sum, s) => sum + s.size, 0),
          oldestOffset: this.oldestOffset,
        };
      }),
    );
  }

  /**
   * Compaction by key over the sealed segments: the newest record of each key (by the
   * `keyOf` option) is kept, records without a key are kept, offsets are preserved. Appends and
   * reads continue meanwhile; the swap to the new segments is crash-safe (see compaction.ts).
   * Figures cover the whole log, the active segment included.
   */
  compact(): Promise<CompactionResult> {
    const { keyOf } = this.options;
    if (!keyOf) {
      return Promise.reject(
        new Error(
          `cannot compact the commit log in ${this.dir}: it was opened without a keyOf option`,
        ),
      );
    }
    return this.maintenance("compact", async () => {
      const before = totals(this.segments);
      const sealed = this.segments.slice(0, -1);
      const sealedEnd = sealed.at(-1)?.nextOffset ?? 0;
      if (sealedEnd <= this.compactedUpTo) {
        return {
          recordsBefore: before.records,
          recordsAfter: before.records,
          bytesBefore: before.bytes,
          bytesAfter: before.bytes,
        };
      }
      // Compacting would drop the unreadable records silently; they must stay reported.
      const damaged = sealed.map(damageError).find((e) => e !== undefined);
      if (damaged) throw damaged;
      const known = firstDamageIn(this.damaged, 0, sealedEnd - 1);
      if (known) throw damageReadError(known, known.fromOffset);
      const groups = await writeCompactedSegments({
        fs: this.fs,
        dir: this.dir,
        sealed,
        loadIndex: (segment) => this.sealedIndexes.get(segment),
        keyOf,
        segmentMaxBytes: this.options.segmentMaxBytes,
      });
      if (groups.length > 0) {
        await this.serial(async () => {
          try {
            await installCompaction(this.fs, this.dir, groups);
          } catch (err) {
            this.swapFailure = err as Error;
            throw err;
          }
          const report: RecoveryReport = {
            truncatedBytes: 0,
            rebuiltIndexes: [],
            scannedBytes: 0,
            damagedSegments: [],
            damage: [],
          };
          const fresh = new Map<number, Segment>();
          for (const group of groups) {
            if (group.kept.records === 0) continue;
            fresh.set(
              group.baseOffset,
              await Segment.openSealed(this.fs, this.dir, group.baseOffset, report),
            );
          }
          const replaced = new Set(groups.flatMap((g) => g.replaces));
          const next: Segment[] = [];
          for (const segment of this.segments) {
            if (!replaced.has(segment)) next.push(segment);
            else {
              const installed = fresh.get(segment.baseOffset);
              if (installed) next.push(installed);
            }
          }
          this.segments = next;
          this.retire([...replaced]);
          await this.saveSegmentList();
          await finishCompaction(this.fs, this.dir);
        });
      }
      this.compactedUpTo = sealedEnd;
      const after = totals(this.segments);
      return {
        recordsBefore: before.records,
        recordsAfter: after.records,
        bytesBefore: before.bytes,
        bytesAfter: after.bytes,
      };
    });
  }

  /**
   * Drops every record at or after `offset` (for a follower catching up to a new leader).
   * If `offset` is before the oldest segment, the log is emptied and continues at `offset`.
   */
  truncateTo(offset: number): Promise<void> {
    if (!Number.isSafeInteger(offset) || offset < 0) {
      return Promise.reject(
        new RangeError(`offset is ${String(offset)}, expected an integer >= 0`),
      );
    }
    return this.maintenance("truncate", () =>
      this.serial(async () => {
        if (offset >= this.nextOffset) return;
        const segments = this.segments;
        let keep = segments.length - 1;
        while (keep >= 0 && segments[keep]!.baseOffset > offset) keep--;
        const removed = segments.slice(Math.max(keep, 0));
        await this.forgetFrom(offset, segments.slice(0, Math.max(keep, 0)));
        for (const segment of [...segments.slice(keep + 1)].reverse()) {
          await unlinkIfPresent(this.fs, segment.logPath);
          await unlinkIfPresent(this.fs, segment.indexPath);
        }
        let active: Segment;
        if (keep < 0) {
          await unlinkIfPresent(this.fs, segments[0]!.logPath);
          await unlinkIfPresent(this.fs, segments[0]!.indexPath);
          active = await Segment.create(this.fs, this.dir, offset);
          await this.fs.syncDirectory(this.dir);
        } else {
          active = await this.cutSegment(segments[keep]!, offset);
        }
        this.segments = [...segments.slice(0, Math.max(keep, 0)), active];
        this.retire(removed);
        if (this.epochs.truncateFrom(offset)) this.epochsDirty = true;
        this.compactedUpTo = Math.min(this.compactedUpTo, offset - 1);
        await this.writeRecoveryPoint();
      }),
    );
  }

  /**
   * Drops every record and continues at `offset`, which may lie beyond the end (a follower
   * whose log ends before the oldest record its leader keeps).
   */
  restartAt(offset: number): Promise<void> {
    if (!Number.isSafeInteger(offset) || offset < 0) {
      return Promise.reject(
        new RangeError(`offset is ${String(offset)}, expected an integer >= 0`),
      );
    }
    return this.maintenance("restart", () =>
      this.serial(async () => {
        const segments = this.segments;
        await this.forgetFrom(0, []);
        for (const segment of [...segments].reverse()) {
          await unlinkIfPresent(this.fs, segment.logPath);
          await unlinkIfPresent(this.fs, segment.indexPath);
        }
        const active = await Segment.create(this.fs, this.dir, offset);
        await this.fs.syncDirectory(this.dir);
        this.segments = [active];
        this.retire(segments);
        if (this.epochs.truncateFrom(0)) this.epochsDirty = true;
        this.compactedUpTo = -1;
        await this.writeRecoveryPoint();
      }),
    );
  }

  /** Finishes queued appends and in-flight reads, syncs, and closes the files. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Rewrites the segment holding `[from, to]` (or adds one before the first) with `records` there. */
  private async rewriteWith(
    from: number,
    to: number,
    records: readonly AppendRecord[],
  ): Promise<void> {
    const segments = this.segments;
    let i = segments.length - 1;
    while (i >= 0 && segments[i]!.baseOffset > from) i--;
    const old = i >= 0 ? segments[i] : undefined;
    const next = segments[i + 1];
    const lastRepaired = records.at(-1)?.offset;
    if (next && lastRepaired !== undefined && lastRepaired >= next.baseOffset) {
      throw new RangeError(
        `records up to offset ${lastRepaired} would overlap the segment ${next.logPath} starting at ${next.baseOffset}`,
      );
    }
    if (!old && records.length === 0) return;
    const base = old?.baseOffset ?? records[0]!.offset!;
    const logPath = logFilePath(this.dir, base);
    const indexPath = indexFilePath(this.dir, base);
    const logTmp = `${logPath}.repair.tmp`;
    const indexTmp = `${indexPath}.repair.tmp`;
    const file = await this.fs.open(logTmp, "replace");
    const index = new SegmentIndex();
    let position = 0;
    try {
      const put = async (offset: number, bytes: Buffer) => {
        index.push(offset - base, position);
        await writeAt(file, bytes, position);
        position += bytes.length;
      };
      const putRepaired = async () => {
        for (const r of records) {
          const bytes = Buffer.allocUnsafe(encodedRecordSize(r.body.length));
          encodeRecord(bytes, 0, r.offset!, r.timestamp, r.leaderEpoch, r.body);
          await put(r.offset!, bytes);
        }
      };
      let repaired = false;
      if (old) {
        const oldIndex = await this.sealedIndexOrActive(old);
        try {
          for await (const r of segmentRecords(old, oldIndex, old.size, { from, to })) {
            if (r.offset > to && !repaired) {
              await putRepaired();
              repaired = true;
            }
            await put(r.offset, r.bytes);
          }
        } catch (err) {
          if (err instanceof CorruptRecordError) this.noteDamage(err);
          throw err;
        }
      }
      if (!repaired) await putRepaired();
      // The CRC of every record is checked again from the new file before it replaces the old.
      const check = await scanRecords(file, {
        baseOffset: base,
        from: 0,
        end: position,
        minOffset: base,
        verifyCrc: true,
      });
      if (check.damage || check.index.count !== index.count) {
        throw new Error(
          `the repaired segment ${logTmp} did not read back intact: ${check.damage?.reason ?? `${check.index.count} of ${index.count} records`}`,
        );
      }
      await file.datasync();
    } finally {
      await file.close();
    }
    await writeWholeFile(this.fs, indexTmp, index.toBytes(0, index.count));
    await this.fs.rename(indexTmp, indexPath);
    await this.fs.rename(logTmp, logPath);
    await this.fs.syncDirectory(this.dir);
    const report = emptyReport();
    let replacement: Segment;
    if (old?.isActive) {
      replacement = (await Segment.recoverActive(this.fs, this.dir, base, report)).segment;
      replacement.skipTo(old.nextOffset);
    } else {
      replacement = await Segment.openSealed(this.fs, this.dir, base, report);
    }
    this.segments = old
      ? segments.map((s) => (s === old ? replacement : s))
      : [replacement, ...segments];
    if (old) this.retire([old]);
    if (old?.isActive || replacement.isActive) await this.writeRecoveryPoint();
    if (!replacement.isActive) await this.saveSegmentList();
  }

  /** Adds a record a read found damaged to `damage()`, and records it (best effort). */
  private noteDamage(err: CorruptRecordError): void {
    if (firstDamageIn(this.damaged, err.offset, err.offset)) return;
    this.damaged = mergeDamage(this.damaged, [
      {
        fromOffset: err.offset,
        toOffset: err.offset,
        kind: "corrupt",
        reason: err.reason,
        segment: err.segment,
        position: err.position,
      },
    ]);
    this.options.notice?.("damaged record found by a read", {
      offset: err.offset,
      segment: err.segment,
      position: err.position,
      reason: err.reason,
    });
    void this.serial(() => saveDamage(this.fs, this.dir, this.damaged)).catch(() => {});
  }

  /**
   * A sealed segment's index for reads. One whose file is not sound is rebuilt from the
   * records (any damaged ones found on the way join `damage()`) and rewritten.
   */
  private async loadSealedIndex(segment: Segment): Promise<SegmentIndex> {
    const loaded = await segment.loadIndex();
    if (!loaded.rebuiltBecause) return loaded.index;
    const found: LogDamage[] = loaded.gaps.map((g) => ({
      fromOffset: g.fromOffset,
      toOffset: g.toOffset,
      kind: "corrupt",
      reason: g.reason,
      segment: segment.logPath,
      position: g.position,
    }));
    this.options.notice?.("index rebuilt from its segment", {
      index: segment.indexPath,
      reason: loaded.rebuiltBecause,
      ...(found.length > 0 ? { damage: found.map(describeDamage) } : {}),
    });
    if (found.length > 0) this.damaged = mergeDamage(this.damaged, found);
    const { index } = loaded;
    segment.adoptIndex(index);
    void this.serial(async () => {
      if (!this.segments.includes(segment)) return;
      if (found.length > 0) await saveDamage(this.fs, this.dir, this.damaged);
      await writeFileAtomic(this.fs, segment.indexPath, index.toBytes(0, index.count));
      await segment.reopenIndex(this.fs);
    }).catch(() => {});
    return index;
  }

  /**
   * Before records from `offset` on are dropped on purpose: the checkpoints that would make
   * them look lost at the next open (segment list, damage, high watermark) stop naming them.
   */
  private async forgetFrom(offset: number, sealedKept: readonly Segment[]): Promise<void> {
    this.lostSegments = this.lostSegments.filter((l) => l.nextOffset <= offset);
    await this.saveExtent(Math.min(this.oldestOffset, offset), offset);
    await this.saveSegmentList(sealedKept);
    this.damaged = clipDamage(this.damaged, 0, offset - 1);
    await saveDamage(this.fs, this.dir, this.damaged);
    const highWatermark = await loadHighWatermark(this.fs, this.dir);
    if (highWatermark !== undefined && highWatermark >= offset) {
      this.savedHighWatermark = undefined;
      await saveHighWatermark(this.fs, this.dir, offset - 1);
      this.savedHighWatermark = offset - 1;
    }
  }

  private async saveExtent(oldestOffset: number, nextOffset: number): Promise<void> {
    if (this.options.extentBesideDir) {
      this.savedExtent = undefined;
      await saveLogExtent(this.fs, this.dir, oldestOffset, nextOffset);
      this.savedExtent = { oldestOffset, nextOffset };
    }
  }

  /** Checkpoints the sealed segments held, so that a lost one is told from a deleted one. */
  private saveSegmentList(
    segments: readonly Segment[] = this.segments.slice(0, -1),
  ): Promise<void> {
    const listed = [...segments.map(listedSegment), ...this.lostSegments].sort(
      (a, b) => a.baseOffset - b.baseOffset,
    );
    return saveSegmentList(this.fs, this.dir, listed);
  }

  private get active(): Segment {
    return this.segments.at(-1)!;
  }

  private readonly snapshotOf = (segment: Segment): SegmentSnapshot | Promise<SegmentSnapshot> =>
    segment.snapshot() ??
    this.sealedIndexes.get(segment).then((index) => ({ view: index.view(), size: segment.size }));

  private async reading<T>(operation: string, run: () => Promise<T>): Promise<T> {
    if (this.closing) throw new LogClosedError(this.dir, operation);
    const running = run();
    this.reads.add(running);
    try {
      return await running;
    } finally {
      this.reads.delete(running);
    }
  }

  /** Closes segments that left the log once the reads that may still use them are done. */
  private retire(segments: readonly Segment[]): void {
    for (const segment of segments) this.sealedIndexes.delete(segment);
    const closing = Promise.allSettled([...this.reads]).then(() =>
      Promise.allSettled(segments.map((s) => s.close())),
    );
    this.retiring.add(closing);
    void closing.then(() => this.retiring.delete(closing));
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => {});
    return run;
  }

  private maintenance<T>(operation: string, task: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new LogClosedError(this.dir, operation));
    const run = this.maintenanceChain.then(() => {
      if (this.swapFailure) {
        throw new Error(
          `cannot ${operation}: a compaction of ${this.dir} failed while swapping segments (${this.swapFailure.message}); reopen the log to complete it`,
        );
      }
      if (this.closing) throw new LogClosedError(this.dir, operation);
      return task();
    });
    this.maintenanceChain = run.catch(() => {});
    return run;
  }

  private scheduleWrite(): void {
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    void this.serial(() => this.writeQueued());
  }

  /** One group write: everything queued (up to the size cap) in one batch. */
  private async writeQueued(): Promise<void> {
    this.writeScheduled = false;
    if (this.queue.length === 0) return;
    if (this.failure) {
      const { batch } = this.takeQueued(MAX_GROUP_WRITE_BYTES);
      if (this.queue.length > 0) this.scheduleWrite();
      for (const append of batch) append.reject(this.failure);
      return;
    }
    let batch: PendingAppend[] = [];
    let bytes = 0;
    try {
      const { segmentMaxBytes, sync } = this.options;
      if (this.activeTooOld(Date.now())) await this.rollSegment();
      // A group write takes what fits in the active segment: a segment exceeds its limit only
      // when a single append is larger than the limit by itself.
      const first = this.queue[0]!.bytes;
      if (this.active.size > 0 && this.active.size + first > segmentMaxBytes) {
        await this.rollSegment();
      }
      const room = Math.max(segmentMaxBytes - this.active.size, 0);
      ({ batch, bytes } = this.takeQueued(Math.min(room, MAX_GROUP_WRITE_BYTES)));
      if (this.queue.length > 0) this.scheduleWrite();
      const segment = this.active;
      const encoded = encodeBatch(batch, bytes, activeTarget(segment), this.scratch);
      await segment.append(
        encoded,
        sync === "always",
        this.onWritten ? () => this.exposeWritten(encoded) : undefined,
      );
      this.unsynced = undefined;
      this.counters.writes++;
      if (sync === "always") this.counters.syncs++;
      this.counters.appends += batch.length;
      this.counters.records += encoded.recordCount;
      this.counters.bytes += bytes;
      this.bytesSinceRecoveryPoint += bytes;
      this.recoveryPointCurrent = false;
      let offset = encoded.firstOffset;
      for (const append of batch) {
        if (append.framed) {
          if (this.epochs.assign(append.framed.leaderEpoch, offset)) this.epochsDirty = true;
          append.resolve(offset);
          offset += append.framed.count;
          continue;
        }
        let first: number | undefined;
        for (const record of append.records) {
          if (record.offset !== undefined) offset = record.offset;
          first ??= offset;
          if (this.epochs.assign(record.leaderEpoch, offset)) this.epochsDirty = true;
          offset++;
        }
        append.resolve(first!);
      }
    } catch (err) {
      this.unsynced = undefined;
      if (batch.length === 0) {
        // The roll failed before the group was taken: the appends first in line fail with it.
        ({ batch } = this.takeQueued(MAX_GROUP_WRITE_BYTES));
        if (this.queue.length > 0) this.scheduleWrite();
      }
      if (err instanceof LogFailedError) this.failure = err;
      const reason = err instanceof LogFailedError ? err : new AppendFailedError(this.dir, err);
      for (const append of batch) append.reject(reason);
      return;
    }
    // Best effort: a failed checkpoint leaves the previous one, which stays correct.
    if (this.epochsDirty) await this.saveEpochs().catch(() => {});
    if (this.bytesSinceRecoveryPoint >= this.options.recoveryPointBytes) {
      await this.writeRecoveryPoint().catch(() => {});
    }
  }

  /** Keeps a copy of a written group (its buffers are reused) and tells `onWritten`. */
  private exposeWritten(encoded: EncodedBatch): void {
    this.unsynced = {
      firstOffset: encoded.firstOffset,
      nextOffset: encoded.nextOffset,
      bytes: Buffer.concat(encoded.chunks, encoded.byteLength),
    };
    try {
      this.onWritten?.();
    } catch {
      // The listener's failure is its own; the write goes on.
    }
  }

  /** The queued appends a group write takes: up to `limit` bytes, at least one append. */
  private takeQueued(limit: number): { batch: PendingAppend[]; bytes: number } {
    let count = 0;
    let bytes = 0;
    for (const append of this.queue) {
      if (count > 0 && bytes + append.bytes > limit) break;
      bytes += append.bytes;
      count++;
    }
    const batch = count === this.queue.length ? this.queue : this.queue.slice(0, count);
    this.queue = count === this.queue.length ? [] : this.queue.slice(count);
    return { batch, bytes };
  }

  private activeTooOld(nowMs: number): boolean {
    const { segmentMaxAgeMs } = this.options;
    const first = this.active.firstTimestamp;
    return (
      segmentMaxAgeMs > 0 &&
      first !== undefined &&
      BigInt(nowMs) * NANOS_PER_MILLI - first >= BigInt(segmentMaxAgeMs) * NANOS_PER_MILLI
    );
  }

  /** Seals the active segment and starts a new one at the next offset. */
  private async rollSegment(): Promise<void> {
    const old = this.active;
    const next = await Segment.create(this.fs, this.dir, old.nextOffset);
    let index: SegmentIndex;
    try {
      index = await old.seal();
      // The new segment's directory entry must be durable before records synced into it count.
      await this.fs.syncDirectory(this.dir);
    } catch (err) {
      await next.close().catch(() => {});
      await unlinkIfPresent(this.fs, next.logPath).catch(() => {});
      await unlinkIfPresent(this.fs, next.indexPath).catch(() => {});
      throw err;
    }
    this.sealedIndexes.put(old, index);
    this.segments = [...this.segments, next];
    await this.saveSegmentList().catch(() => {});
    await this.writeRecoveryPoint().catch(() => {});
  }

  /**
   * Syncs the active segment (log and index) and records how far it is on disk, so that
   * recovery scans only what follows. Leader epochs are saved first: records before the
   * recovery point are not scanned again, so their epochs must already be in the checkpoint.
   */
  private async writeRecoveryPoint(): Promise<void> {
    if (this.epochsDirty) await this.saveEpochs();
    const point: RecoveryPoint = await this.active.sync();
    await saveRecoveryPoint(this.fs, this.dir, point);
    await this.saveExtent(this.oldestOffset, this.nextOffset);
    this.bytesSinceRecoveryPoint = 0;
    this.recoveryPointCurrent = true;
    this.counters.recoveryPoints++;
  }

  private async saveEpochs(): Promise<void> {
    this.epochsDirty = false;
    try {
      await saveLeaderEpochs(this.fs, this.dir, this.epochs.entries);
    } catch (err) {
      this.epochsDirty = true;
      throw err;
    }
  }

  /** Cuts `segment` at `offset` on disk and reopens it as the active segment. */
  private async cutSegment(segment: Segment, offset: number): Promise<Segment> {
    const index = await this.sealedIndexOrActive(segment);
    const entry = firstEntryAtOrAfter(index.view(), offset - segment.baseOffset);
    const { positions, count } = index.view();
    const position = entry < count ? positions[entry]! : segment.size;
    for (const [path, size] of [
      [segment.logPath, position],
      [segment.indexPath, entry * 8],
    ] as const) {
      const file = await this.fs.open(path, "update");
      try {
        await file.truncate(size);
        await file.datasync();
      } finally {
        await file.close();
      }
    }
    const report: RecoveryReport = {
      truncatedBytes: 0,
      rebuiltIndexes: [],
      scannedBytes: 0,
      damagedSegments: [],
      damage: [],
    };
    const { segment: active } = await Segment.recoverActive(
      this.fs,
      this.dir,
      segment.baseOffset,
      report,
      { baseOffset: segment.baseOffset, position, entries: entry },
    );
    return active;
  }

  private sealedIndexOrActive(segment: Segment): Promise<SegmentIndex> {
    return segment.index ? Promise.resolve(segment.index) : this.sealedIndexes.get(segment);
  }

  private async shutdown(): Promise<void> {
    await this.serial(async () => {
      while (this.queue.length > 0) await this.writeQueued();
    });
    await this.maintenanceChain;
    await this.highWatermarkChain;
    await Promise.allSettled([...this.reads]);
    try {
      // An idle log's recovery point is up to date already: a broker of many partitions stops
      // without syncing and rewriting a checkpoint for each of them.
      if (!this.failure && !(this.recoveryPointCurrent && !this.epochsDirty)) {
        await this.serial(() => this.writeRecoveryPoint());
      }
    } finally {
      await Promise.allSettled([...this.retiring]);
      await Promise.allSettled(this.segments.map((segment) => segment.close()));
    }
  }
}

function activeTarget(segment: Segment): BatchTarget {
  const index = segment.index;
  if (!index) throw new Error(`segment ${segment.logPath} is sealed; cannot append to it`);
  return {
    baseOffset: segment.baseOffset,
    size: segment.size,
    nextOffset: segment.nextOffset,
    index,
  };
}

function emptyReport(): RecoveryReport {
  return {
    truncatedBytes: 0,
    rebuiltIndexes: [],
    scannedBytes: 0,
    damagedSegments: [],
    damage: [],
  };
}

function listedSegment(segment: Segment): ListedSegment {
  return { baseOffset: segment.baseOffset, nextOffset: segment.nextOffset };
}

/** The error a read reaching a damaged range throws. */
function damageReadError(damage: LogDamage, offset: number): CorruptRecordError {
  return new CorruptRecordError(
    damage.segment,
    Math.max(offset, damage.fromOffset),
    damage.position ?? 0,
    `offsets ${damage.fromOffset}-${damage.toOffset} are ${damage.kind === "missing" ? "missing" : "damaged"}: ${damage.reason}`,
  );
}

/**
 * Damage the open found: damaged records with valid ones after them, the damaged tail of a
 * sealed segment (up to the next segment), and sealed segments the segment list checkpoint
 * names whose files are gone.
 */
function foundDamage(
  dir: string,
  segments: readonly Segment[],
  listed: readonly ListedSegment[] | undefined,
): LogDamage[] {
  const found: LogDamage[] = [];
  segments.forEach((segment, i) => {
    for (const gap of segment.gaps) {
      found.push({
        fromOffset: gap.fromOffset,
        toOffset: gap.toOffset,
        kind: "corrupt",
        reason: gap.reason,
        segment: segment.logPath,
        position: gap.position,
      });
    }
    const next = segments[i + 1];
    if (segment.damage && next) {
      found.push({
        fromOffset: segment.damage.offset,
        toOffset: next.baseOffset - 1,
        kind: "corrupt",
        reason: segment.damage.reason,
        segment: segment.logPath,
        position: segment.damage.position,
      });
    }
  });
  for (const entry of listed ?? []) {
    if (entry.nextOffset <= entry.baseOffset) continue;
    const overlaps = segments.some(
      (s) =>
        s.baseOffset < entry.nextOffset &&
        entry.baseOffset < Math.max(s.nextOffset, s.baseOffset + 1),
    );
    if (overlaps) continue;
    found.push({
      fromOffset: entry.baseOffset,
      toOffset: entry.nextOffset - 1,
      kind: "missing",
      reason: `the segment file is gone, though the segment list checkpoint records offsets ${entry.baseOffset}-${entry.nextOffset - 1} in it`,
      segment: logFilePath(dir, entry.baseOffset),
    });
  }
  return found;
}

/** A recorded corrupt range, named by the segment that holds it (missing ones keep their file). */
function inHoldingSegment(damage: LogDamage, segments: readonly Segment[]): LogDamage {
  if (damage.kind !== "corrupt") return damage;
  const holder = segments.findLast((s) => s.baseOffset <= damage.fromOffset);
  return holder ? { ...damage, segment: holder.logPath } : damage;
}

/** The highest offset the checkpoints say the log held; -1 when they say none. */
function highestKnownOffset(
  point: RecoveryPoint | undefined,
  listed: readonly ListedSegment[] | undefined,
  highWatermark: number | undefined,
  damage: readonly LogDamage[],
  extent: { nextOffset: number } | undefined,
): number {
  let known = Math.max(highWatermark ?? -1, (extent?.nextOffset ?? 0) - 1);
  if (point) known = Math.max(known, point.baseOffset + point.entries - 1);
  for (const entry of listed ?? []) known = Math.max(known, entry.nextOffset - 1);
  for (const d of damage) known = Math.max(known, d.toOffset);
  return known;
}

/** How many of the oldest segments retention deletes (never the last, active one). */
function retentionCount(segments: readonly Segment[], limits: Required<RetentionLimits>): number {
  const sealed = segments.length - 1;
  let count = 0;
  if (limits.maxAgeMs > 0) {
    const cutoff = (BigInt(limits.nowMs) - BigInt(limits.maxAgeMs)) * NANOS_PER_MILLI;
    while (count < sealed && (segments[count]!.lastTimestamp ?? cutoff - 1n) < cutoff) count++;
  }
  const keepNewest = (measure: (s: Segment) => number, limit: number): number => {
    let total = measure(segments[sealed]!);
    let i = sealed - 1;
    for (; i >= 0; i--) {
      total += measure(segments[i]!);
      if (total > limit) break;
    }
    return i + 1;
  };
  if (limits.maxMessages > 0)
    count = Math.max(
      count,
      keepNewest((s) => s.entries, limits.maxMessages),
    );
  if (limits.maxBytes > 0)
    count = Math.max(
      count,
      keepNewest((s) => s.size, limits.maxBytes),
    );
  return count;
}

function totals(segments: readonly Segment[]): { records: number; bytes: number } {
  let records = 0;
  let bytes = 0;
  for (const segment of segments) {
    records += segment.entries;
    bytes += segment.size;
  }
  return { records, bytes };
}

async function unlinkIfPresent(fs: LogFileSystem, path: string): Promise<void> {
  await fs.unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT") throw err;
  });
}

function checkInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`${name} is ${String(value)}, expected an integer offset`);
  }
}

/** Segments must not overlap: each starts after the previous one's last offset. */
function checkSegmentOrder(segments: readonly Segment[]): void {
  for (let i = 1; i < segments.length; i++) {
    const previous = segments[i - 1]!;
    const segment = segments[i]!;
    if (previous.nextOffset > segment.baseOffset) {
      throw new Error(
        `segment ${previous.logPath} holds offsets up to ${previous.nextOffset - 1}, past the base offset ${segment.baseOffset} of the next segment ${segment.logPath}`,
      );
    }
  }
}

interface WrittenBatch {
  firstOffset: number;
  nextOffset: number;
  /** Its records as stored, back to back. */
  bytes: Buffer;
}

/**
 * The records of `bytes` (stored form, back to back, offsets increasing) from the first at or
 * after `fromOffset`, within `maxBytes` (at least one). Written by this process just now, so
 * their framing and CRCs are not checked again.
 */
function recordsFrom(bytes: Buffer, fromOffset: number, maxBytes: number): StoredRecord[] {
  const records: StoredRecord[] = [];
  let taken = 0;
  for (let at = 0; at < bytes.length; ) {
    const end = at + RECORD_FRAME_BYTES + readLength(bytes, at);
    const offset = readOffset(bytes, at);
    if (offset >= fromOffset) {
      if (records.length > 0 && taken + end - at > maxBytes) break;
      taken += end - at;
      records.push({
        offset,
        timestamp: readTimestamp(bytes, at),
        leaderEpoch: readLeaderEpoch(bytes, at),
        body: bytes.subarray(at + RECORD_HEADER_BYTES, end),
      });
    }
    at = end;
  }
  return records;
}
