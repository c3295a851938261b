import { mkdir, rm } from "node:fs/promises";
import {
  type BatchTarget,
  encodeBatch,
  measureAppend,
  type QueuedAppend,
  WriteScratch,
} from "./batch-encoding.js";
import { LogClosedError, LogFailedError } from "./errors.js";
import { syncDirectory } from "./file-io.js";
import { type ResolvedLogOptions, resolveLogOptions } from "./log-options.js";
import { findOffsetForTimestamp, readRecords } from "./log-reader.js";
import { SealedIndexCache } from "./sealed-index-cache.js";
import { Segment, type SegmentSnapshot } from "./segment.js";
import { listSegmentBases } from "./segment-files.js";
import type { SegmentIndex } from "./segment-index.js";
import type { AppendRecord, LogOptions, LogStats, RecoveryReport, StoredRecord } from "./types.js";

/** A group write takes queued appends up to this many bytes (at least one append). */
const MAX_GROUP_WRITE_BYTES = 64 * 1024 * 1024;
/** Sealed segment indexes kept in memory. */
const SEALED_INDEXES_CACHED = 8;

interface PendingAppend extends QueuedAppend {
  resolve(baseOffset: number): void;
  reject(err: unknown): void;
}

/**
 * The commit log of one stream partition: a directory of segments, appended to by group
 * commit and read with positional reads.
 *
 * Appends queue while a write is in progress; the next write takes everything queued as one
 * batch (one write call and, with sync "always", one fdatasync), then resolves the appends in
 * order. Records become visible to readers only once their write completed.
 */
export class CommitLog {
  /** Oldest first; the last is the active segment. Replaced, never mutated, so reads can hold it. */
  private segments: readonly Segment[];
  private readonly sealedIndexes = new SealedIndexCache(SEALED_INDEXES_CACHED);
  private readonly scratch = new WriteScratch();
  private queue: PendingAppend[] = [];
  private writeScheduled = false;
  /** Writes, rolls, syncs and shutdown run one at a time in this chain. */
  private chain: Promise<unknown> = Promise.resolve();
  private closing?: Promise<void>;
  private failure?: LogFailedError;
  private readsInFlight = 0;
  private readsDrained?: () => void;
  private readonly counters: LogStats = { appends: 0, records: 0, writes: 0, syncs: 0, bytes: 0 };

  private constructor(
    readonly dir: string,
    private readonly options: ResolvedLogOptions,
    segments: Segment[],
    /** What opening the log repaired. */
    readonly recovery: RecoveryReport,
  ) {
    this.segments = segments;
  }

  /** Opens (creating if needed) the log in `dir`, recovering the last segment. */
  static async open(dir: string, options?: LogOptions): Promise<CommitLog> {
    const resolved = resolveLogOptions(options);
    await mkdir(dir, { recursive: true });
    const report: RecoveryReport = { truncatedBytes: 0, rebuiltIndexes: [] };
    const bases = await listSegmentBases(dir);
    if (bases.length === 0) {
      const segment = await Segment.create(dir, 0);
      if (resolved.sync === "always") await syncDirectory(dir);
      return new CommitLog(dir, resolved, [segment], report);
    }
    const opened = await Promise.allSettled([
      ...bases.slice(0, -1).map((base) => Segment.openSealed(dir, base, report)),
      Segment.recoverActive(dir, bases.at(-1)!, report),
    ]);
    const segments = opened.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
    try {
      for (const o of opened) if (o.status === "rejected") throw o.reason;
      checkSegmentOrder(segments);
    } catch (err) {
      await Promise.allSettled(segments.map((s) => s.close()));
      throw err;
    }
    return new CommitLog(dir, resolved, segments, report);
  }

  /** Deletes a closed log's directory and everything in it. */
  static async destroy(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
  }

  /** Offset of the oldest stored record; 0 for a new empty log. */
  get oldestOffset(): number {
    return this.segments[0]!.baseOffset;
  }

  /** Offset of the newest record whose append completed; -1 when empty. */
  get newestOffset(): number {
    return this.active.nextOffset - 1;
  }

  get nextOffset(): number {
    return this.active.nextOffset;
  }

  get stats(): Readonly<LogStats> {
    return { ...this.counters };
  }

  /**
   * Appends records with contiguous offsets; resolves with the offset of `records[0]` once they
   * are written (and synced, with sync "always").
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
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ records, bytes, resolve, reject });
      this.scheduleWrite();
    });
  }

  /**
   * Records with offsets from `fromOffset` (or the first one after it) up to `maxOffset`, while
   * their stored size (28-byte header + body each) stays within `maxBytes`; at least one record
   * when any qualifies, [] when none does. Every record's CRC is checked: a damaged one throws
   * `CorruptRecordError`.
   */
  async read(fromOffset: number, maxBytes: number, maxOffset?: number): Promise<StoredRecord[]> {
    checkInteger("fromOffset", fromOffset);
    if (!(maxBytes >= 0)) {
      throw new RangeError(`maxBytes is ${String(maxBytes)}, expected a number >= 0`);
    }
    if (maxOffset !== undefined) checkInteger("maxOffset", maxOffset);
    return this.reading("read", () => {
      const last = Math.min(maxOffset ?? Number.MAX_SAFE_INTEGER, this.newestOffset);
      const from = Math.max(fromOffset, this.oldestOffset);
      if (from > last) return Promise.resolve([]);
      return readRecords(this.segments, this.snapshotOf, from, maxBytes, last);
    });
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

  /** Flushes everything appended so far to disk. */
  sync(): Promise<void> {
    if (this.closing) return Promise.reject(new LogClosedError(this.dir, "sync"));
    return this.serial(async () => {
      await this.active.sync();
      this.counters.syncs++;
    });
  }

  /** Finishes queued appends and in-flight reads, syncs, and closes the files. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private get active(): Segment {
    return this.segments.at(-1)!;
  }

  private readonly snapshotOf = (segment: Segment): SegmentSnapshot | Promise<SegmentSnapshot> =>
    segment.snapshot() ??
    this.sealedIndexes.get(segment).then((index) => ({ view: index.view(), size: segment.size }));

  private async reading<T>(operation: string, run: () => Promise<T>): Promise<T> {
    if (this.closing) throw new LogClosedError(this.dir, operation);
    this.readsInFlight++;
    try {
      return await run();
    } finally {
      if (--this.readsInFlight === 0) this.readsDrained?.();
    }
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => {});
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
    const { batch, bytes } = this.takeQueued();
    if (batch.length === 0) return;
    if (this.queue.length > 0) this.scheduleWrite();
    if (this.failure) {
      for (const append of batch) append.reject(this.failure);
      return;
    }
    try {
      const { segmentMaxBytes, sync } = this.options;
      if (this.active.size > 0 && this.active.size + bytes > segmentMaxBytes) await this.roll();
      const segment = this.active;
      const encoded = encodeBatch(batch, bytes, activeTarget(segment), this.scratch);
      await segment.append(encoded, sync === "always");
      this.counters.writes++;
      if (sync === "always") this.counters.syncs++;
      this.counters.appends += batch.length;
      this.counters.records += encoded.recordCount;
      this.counters.bytes += bytes;
      let offset = encoded.firstOffset;
      for (const append of batch) {
        append.resolve(offset);
        offset += append.records.length;
      }
    } catch (err) {
      if (err instanceof LogFailedError) this.failure = err;
      for (const append of batch) append.reject(err);
    }
  }

  private takeQueued(): { batch: PendingAppend[]; bytes: number } {
    let count = 0;
    let bytes = 0;
    for (const append of this.queue) {
      if (count > 0 && bytes + append.bytes > MAX_GROUP_WRITE_BYTES) break;
      bytes += append.bytes;
      count++;
    }
    const batch = count === this.queue.length ? this.queue : this.queue.slice(0, count);
    this.queue = count === this.queue.length ? [] : this.queue.slice(count);
    return { batch, bytes };
  }

  /** Seals the active segment and starts a new one at the next offset. */
  private async roll(): Promise<void> {
    const old = this.active;
    const next = await Segment.create(this.dir, old.nextOffset);
    let index: SegmentIndex;
    try {
      index = await old.seal();
    } catch (err) {
      await next.remove();
      throw err;
    }
    this.sealedIndexes.put(old, index);
    this.segments = [...this.segments, next];
    if (this.options.sync === "always") await syncDirectory(this.dir);
  }

  private async shutdown(): Promise<void> {
    await this.serial(async () => {
      while (this.queue.length > 0) await this.writeQueued();
    });
    if (this.readsInFlight > 0) {
      await new Promise<void>((resolve) => {
        this.readsDrained = resolve;
      });
    }
    try {
      if (!this.failure) await this.active.sync();
    } finally {
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
