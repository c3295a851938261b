import { dirname } from "node:path";
import type { EncodedBatch } from "./batch-encoding.js";
import { CorruptRecordError, LogFailedError } from "./errors.js";
import { readAt, writeAt, writeAtNow, writeWholeFile } from "./file-io.js";
import type { LogFile, LogFileSystem } from "./file-system.js";
import {
  INDEX_ENTRY_BYTES,
  RECORD_FRAME_BYTES,
  RECORD_HEADER_BYTES,
  readLength,
  readOffset,
  readTimestamp,
} from "./record-format.js";
import { type EpochStart, type ScanGap, scanRecords } from "./record-scanner.js";
import { indexFilePath, logFilePath } from "./segment-files.js";
import { type IndexView, SegmentIndex } from "./segment-index.js";
import type { RecoveryReport } from "./types.js";

/**
 * Appends up to this size are written on the event-loop thread (page-cache writes of a few
 * microseconds, against ≈ 100–200 µs for a round trip through the libuv thread pool); larger
 * ones go to the pool so that the loop is not held up.
 */
const MAX_WRITE_NOW_BYTES = 256 * 1024;

/** The visible records of a segment at one moment: what a reader may touch. */
export interface SegmentSnapshot {
  readonly view: IndexView;
  /** Bytes of the `.log` file holding visible records. */
  readonly size: number;
}

/** Damage found in a sealed segment at open: records from `offset` on cannot be read. */
export interface SegmentDamage {
  readonly offset: number;
  readonly position: number;
  readonly reason: string;
}

/** Where the active segment is known to be on disk, log and index both. */
export interface RecoveryPoint {
  readonly baseOffset: number;
  /** Bytes of the `.log` file. */
  readonly position: number;
  /** Entries of the `.index` file. */
  readonly entries: number;
}

/** The active segment as recovered, and the leader epochs its scanned records carry. */
export interface RecoveredSegment {
  segment: Segment;
  epochStarts: EpochStart[];
}

/** A sealed segment's index as loaded: rebuilt from the records when the file was not sound. */
export interface LoadedIndex {
  index: SegmentIndex;
  /** Why the index file could not be used, when it was rebuilt. */
  rebuiltBecause?: string;
  /** Damaged records the rebuild found (with valid ones after them). */
  gaps: ScanGap[];
}

interface SegmentState {
  size: number;
  nextOffset: number;
  entries: number;
  first?: bigint;
  last?: bigint;
}

/**
 * One `<base>.log` + `<base>.index` pair. The last segment of a log is active: it keeps its
 * index in memory and its index file open for appending. Earlier segments are sealed and
 * immutable; their indexes are loaded on demand, through a handle opened with the log's so
 * that both keep describing the same files even after compaction renamed new ones over them.
 */
export class Segment {
  /** In memory while the segment is active, or for good when the segment is damaged. */
  private memoryIndex?: SegmentIndex;
  private active = false;
  /** Damaged records found between valid ones when the segment was scanned. */
  gaps: readonly ScanGap[] = [];

  private constructor(
    readonly baseOffset: number,
    readonly logPath: string,
    readonly indexPath: string,
    readonly log: LogFile,
    private indexFile: LogFile | undefined,
    private state: SegmentState,
    /** Set when the records past the valid prefix of this sealed segment are damaged. */
    readonly damage?: SegmentDamage,
  ) {}

  /** Bytes holding records whose append completed. */
  get size(): number {
    return this.state.size;
  }

  /** One past the last visible record's offset; the base offset when there is none. */
  get nextOffset(): number {
    return this.state.nextOffset;
  }

  /** Visible records (index entries). */
  get entries(): number {
    return this.state.entries;
  }

  get firstTimestamp(): bigint | undefined {
    return this.state.first;
  }

  get lastTimestamp(): bigint | undefined {
    return this.state.last;
  }

  get isActive(): boolean {
    return this.active;
  }

  /** The active segment's in-memory index; undefined once sealed. */
  get index(): SegmentIndex | undefined {
    return this.active ? this.memoryIndex : undefined;
  }

  /** A new, empty active segment. Fails if its log file already exists. */
  static async create(fs: LogFileSystem, dir: string, baseOffset: number): Promise<Segment> {
    const logPath = logFilePath(dir, baseOffset);
    const indexPath = indexFilePath(dir, baseOffset);
    const log = await fs.open(logPath, "createNew");
    try {
      const indexFile = await fs.open(indexPath, "replace");
      const segment = new Segment(baseOffset, logPath, indexPath, log, indexFile, {
        size: 0,
        nextOffset: baseOffset,
        entries: 0,
      });
      segment.memoryIndex = new SegmentIndex();
      segment.active = true;
      return segment;
    } catch (err) {
      await log.close();
      await fs.unlink(logPath).catch(() => {});
      throw err;
    }
  }

  /**
   * Opens the last segment of a log. With a usable recovery point, the index entries up to it
   * are trusted after a cheap check and only the records past it are scanned; otherwise the
   * whole segment is. Scanning verifies framing, offsets and CRCs, cuts a torn or corrupt tail,
   * and rewrites index entries that do not match the records.
   */
  static async recoverActive(
    fs: LogFileSystem,
    dir: string,
    baseOffset: number,
    report: RecoveryReport,
    point?: RecoveryPoint,
  ): Promise<RecoveredSegment> {
    const logPath = logFilePath(dir, baseOffset);
    const indexPath = indexFilePath(dir, baseOffset);
    const log = await fs.open(logPath, "update");
    let indexFile: LogFile | undefined;
    try {
      const fileSize = await log.size();
      indexFile = await fs.open(indexPath, "create");
      const prefix =
        point?.baseOffset === baseOffset && point.position <= fileSize
          ? await trustedPrefix(log, indexFile, baseOffset, point)
          : undefined;
      if (point && !prefix) {
        report.recoveryPointIgnored ??= `${indexPath}: the recovery point (position ${point.position}, ${point.entries} entries) does not match the segment`;
      }
      const from = prefix ? point!.position : 0;
      const prefixEntries = prefix?.index.count ?? 0;
      const scan = await scanRecords(log, {
        baseOffset,
        from,
        end: fileSize,
        minOffset: prefix?.nextOffset ?? baseOffset,
        verifyCrc: true,
        index: prefix?.index,
        resync: true,
      });
      report.scannedBytes += scan.scannedBytes;
      if (scan.damage) {
        await log.truncate(scan.validEnd);
        await log.datasync();
        report.truncatedBytes += fileSize - scan.validEnd;
        report.truncationReason = `${logPath} at position ${scan.damage.position} (offset ${scan.damage.offset}): ${scan.damage.reason}`;
        report.truncatedFrom = {
          segment: logPath,
          offset: scan.damage.offset,
          position: scan.damage.position,
        };
      }
      const expected = scan.index.toBytes(prefixEntries, scan.index.count);
      const tailAt = prefixEntries * INDEX_ENTRY_BYTES;
      if (!(await fileEndsWith(indexFile, expected, tailAt))) {
        await writeAt(indexFile, expected, tailAt);
        await indexFile.truncate(tailAt + expected.length);
        await indexFile.datasync();
        report.rebuiltIndexes.push(indexPath);
      }
      const segment = new Segment(baseOffset, logPath, indexPath, log, indexFile, {
        size: scan.validEnd,
        nextOffset: scan.nextOffset,
        entries: scan.index.count,
        first: prefix?.first ?? scan.firstTimestamp,
        last: scan.lastTimestamp ?? prefix?.last,
      });
      segment.memoryIndex = scan.index;
      segment.active = true;
      segment.gaps = scan.gaps;
      return { segment, epochStarts: scan.epochStarts };
    } catch (err) {
      await indexFile?.close();
      await log.close();
      throw err;
    }
  }

  /**
   * Opens a sealed segment. A cheap check (index entry count, first and last entries against
   * the records they point at) decides whether the index file can be trusted; if not, it is
   * rebuilt from the records. A segment whose records are not well framed is opened with its
   * valid prefix and a `damage` marker, so reads past that prefix throw `CorruptRecordError`:
   * damage before the last segment is reported, never cut away.
   */
  static async openSealed(
    fs: LogFileSystem,
    dir: string,
    baseOffset: number,
    report: RecoveryReport,
  ): Promise<Segment> {
    const logPath = logFilePath(dir, baseOffset);
    const indexPath = indexFilePath(dir, baseOffset);
    const log = await fs.open(logPath, "read");
    let indexFile: LogFile | undefined;
    try {
      const logSize = await log.size();
      indexFile = await fs.open(indexPath, "read").catch((err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") return undefined;
        throw err;
      });
      const trusted = indexFile && (await checkSealedIndex(log, logSize, indexFile, baseOffset));
      if (trusted) {
        return new Segment(baseOffset, logPath, indexPath, log, indexFile, {
          size: logSize,
          ...trusted,
        });
      }
      // Rare (the index is missing or wrong), so worth a full check: the first damaged record
      // is found where it is, not where its garbled framing happens to stop the walk.
      const scan = await scanRecords(log, {
        baseOffset,
        from: 0,
        end: logSize,
        minOffset: baseOffset,
        verifyCrc: true,
        resync: true,
      });
      const state = {
        size: scan.validEnd,
        nextOffset: scan.nextOffset,
        entries: scan.index.count,
        first: scan.firstTimestamp,
        last: scan.lastTimestamp,
      };
      const damage =
        scan.damage ?? (await missingTail(indexFile, scan.index.count, scan.validEnd, baseOffset));
      if (damage) {
        report.damagedSegments.push({ segment: logPath, ...damage });
        const segment = new Segment(baseOffset, logPath, indexPath, log, indexFile, state, damage);
        segment.memoryIndex = scan.index;
        segment.gaps = scan.gaps;
        return segment;
      }
      await indexFile?.close();
      indexFile = undefined;
      await writeWholeFile(fs, indexPath, scan.index.toBytes(0, scan.index.count));
      report.rebuiltIndexes.push(indexPath);
      indexFile = await fs.open(indexPath, "read");
      const segment = new Segment(baseOffset, logPath, indexPath, log, indexFile, state);
      segment.gaps = scan.gaps;
      return segment;
    } catch (err) {
      await indexFile?.close();
      await log.close();
      throw err;
    }
  }

  /** The visible records of the active segment, captured synchronously. */
  snapshot(): SegmentSnapshot | undefined {
    return this.active && this.memoryIndex
      ? { view: this.memoryIndex.view(), size: this.state.size }
      : undefined;
  }

  /**
   * Writes an encoded batch at the end of the active segment (its chunks back to back) and its
   * index entries at the end of the index file, all at the same time; with `sync`, fdatasyncs
   * the log. The records become visible only after that. On failure both files are cut back to
   * where they were. `written`, if given, runs once the bytes are written and before the sync
   * (a leader hands them to its followers meanwhile): a sync that fails after it fails the log
   * for good instead, since those offsets must never be reused for other records.
   */
  async append(batch: EncodedBatch, sync: boolean, written?: () => void): Promise<void> {
    const { index, indexFile } = this.activeParts();
    const position = this.state.size;
    const indexPosition = index.count * INDEX_ENTRY_BYTES;
    let exposed = false;
    try {
      if (
        batch.byteLength > MAX_WRITE_NOW_BYTES ||
        !this.writeNow(batch, position, indexFile, indexPosition)
      ) {
        await this.writeInPool(batch, position, indexFile, indexPosition);
      }
      if (written) {
        exposed = true;
        written();
      }
      if (sync) await this.log.datasync();
    } catch (err) {
      if (exposed) throw new LogFailedError(dirname(this.logPath), err);
      try {
        await this.log.truncate(position);
        await indexFile.truncate(indexPosition);
      } catch {
        throw new LogFailedError(dirname(this.logPath), err);
      }
      throw err;
    }
    index.commit(batch.recordCount);
    this.state = {
      size: position + batch.byteLength,
      nextOffset: batch.nextOffset,
      entries: index.count,
      first: this.state.first ?? batch.firstTimestamp,
      last: batch.lastTimestamp,
    };
  }

  /** Writes the batch and its index entries on this thread; false if the files cannot. */
  private writeNow(
    batch: EncodedBatch,
    position: number,
    indexFile: LogFile,
    indexPosition: number,
  ): boolean {
    if (!this.log.writeNow || !indexFile.writeNow) return false;
    writeAtNow(indexFile, batch.indexBytes, indexPosition);
    let at = position;
    for (const chunk of batch.chunks) {
      writeAtNow(this.log, chunk, at);
      at += chunk.length;
    }
    return true;
  }

  private async writeInPool(
    batch: EncodedBatch,
    position: number,
    indexFile: LogFile,
    indexPosition: number,
  ): Promise<void> {
    const writes: Promise<void>[] = [writeAt(indexFile, batch.indexBytes, indexPosition)];
    let at = position;
    for (const chunk of batch.chunks) {
      writes.push(writeAt(this.log, chunk, at));
      at += chunk.length;
    }
    for (const write of await Promise.allSettled(writes)) {
      if (write.status === "rejected") throw write.reason;
    }
  }

  /** Flushes the active segment's log and index; returns the point now known to be on disk. */
  async sync(): Promise<RecoveryPoint> {
    const point = { baseOffset: this.baseOffset, position: this.size, entries: this.entries };
    await this.log.datasync();
    await this.indexFile?.datasync();
    return point;
  }

  /** Makes the segment immutable and durable; returns its index, no longer held here. */
  async seal(): Promise<SegmentIndex> {
    const { index, indexFile } = this.activeParts();
    await this.log.datasync();
    await indexFile.datasync();
    this.active = false;
    this.memoryIndex = undefined;
    return index;
  }

  /**
   * The segment's index: the in-memory one, or read from a sealed segment's index file. Every
   * entry of a file is checked (offsets and positions increasing, within the log); one that
   * is not sound is never trusted: the index is rebuilt from the records instead.
   */
  async loadIndex(): Promise<LoadedIndex> {
    if (this.memoryIndex) return { index: this.memoryIndex, gaps: [] };
    const bytes = Buffer.allocUnsafe(this.entries * INDEX_ENTRY_BYTES);
    const got = this.indexFile ? await readAt(this.indexFile, bytes, 0, bytes.length, 0) : 0;
    const index = SegmentIndex.fromBytes(bytes.subarray(0, got));
    const problem =
      got !== bytes.length
        ? `index file ${this.indexPath} holds ${got} bytes, expected ${bytes.length} (${this.entries} entries)`
        : indexProblem(index, this.size, this.nextOffset - this.baseOffset);
    if (!problem) return { index, gaps: [] };
    const scan = await scanRecords(this.log, {
      baseOffset: this.baseOffset,
      from: 0,
      end: this.size,
      minOffset: this.baseOffset,
      verifyCrc: true,
      resync: true,
    });
    return { index: scan.index, rebuiltBecause: `${this.indexPath}: ${problem}`, gaps: scan.gaps };
  }

  /** Takes a rebuilt index as the sealed segment's own. */
  adoptIndex(index: SegmentIndex): void {
    if (index.count === 0) return;
    const { relOffsets, count } = index.view();
    this.state = {
      ...this.state,
      entries: count,
      nextOffset: Math.max(this.state.nextOffset, this.baseOffset + relOffsets[count - 1]! + 1),
    };
  }

  /** Points a sealed segment at a rewritten index file. */
  async reopenIndex(fs: LogFileSystem): Promise<void> {
    const fresh = await fs.open(this.indexPath, "read");
    const old = this.indexFile;
    this.indexFile = fresh;
    await old?.close();
  }

  /** Moves the active segment's next offset forward, past offsets known to be lost. */
  skipTo(offset: number): void {
    if (!this.active) throw new Error(`segment ${this.logPath} is sealed`);
    if (offset > this.state.nextOffset) this.state = { ...this.state, nextOffset: offset };
  }

  async close(): Promise<void> {
    const indexFile = this.indexFile;
    this.indexFile = undefined;
    this.active = false;
    await Promise.all([this.log.close(), indexFile?.close()]);
  }

  private activeParts(): { index: SegmentIndex; indexFile: LogFile } {
    if (!this.active || !this.memoryIndex || !this.indexFile) {
      throw new Error(`segment ${this.logPath} is sealed; only the active segment takes writes`);
    }
    return { index: this.memoryIndex, indexFile: this.indexFile };
  }
}

/**
 * The index entries up to a recovery point, if the index file holds them and they agree with
 * the records: positions and offsets increasing from position 0, and the last entry pointing
 * at a record that carries its offset and ends exactly at the recovery point.
 */
async function trustedPrefix(
  log: LogFile,
  indexFile: LogFile,
  baseOffset: number,
  point: RecoveryPoint,
): Promise<{ index: SegmentIndex; nextOffset: number; first?: bigint; last?: bigint } | undefined> {
  if (point.entries === 0) {
    return point.position === 0 ? { index: new SegmentIndex(), nextOffset: baseOffset } : undefined;
  }
  const bytes = Buffer.allocUnsafe(point.entries * INDEX_ENTRY_BYTES);
  if ((await readAt(indexFile, bytes, 0, bytes.length, 0)) < bytes.length) return undefined;
  const index = SegmentIndex.fromBytes(bytes);
  const { relOffsets, positions, count } = index.view();
  if (positions[0] !== 0) return undefined;
  for (let i = 1; i < count; i++) {
    if (relOffsets[i]! <= relOffsets[i - 1]! || positions[i]! <= positions[i - 1]!) return;
  }
  const lastPosition = positions[count - 1]!;
  const headers = Buffer.allocUnsafe(2 * RECORD_HEADER_BYTES);
  const got =
    (await readAt(log, headers, 0, RECORD_HEADER_BYTES, 0)) +
    (await readAt(log, headers, RECORD_HEADER_BYTES, RECORD_HEADER_BYTES, lastPosition));
  if (got < 2 * RECORD_HEADER_BYTES) return undefined;
  const lastOffset = baseOffset + relOffsets[count - 1]!;
  const lastEnd = lastPosition + RECORD_FRAME_BYTES + readLength(headers, RECORD_HEADER_BYTES);
  if (
    readOffset(headers, 0) !== baseOffset + relOffsets[0]! ||
    readOffset(headers, RECORD_HEADER_BYTES) !== lastOffset ||
    lastEnd !== point.position
  ) {
    return undefined;
  }
  return {
    index,
    nextOffset: lastOffset + 1,
    first: readTimestamp(headers, 0),
    last: readTimestamp(headers, RECORD_HEADER_BYTES),
  };
}

/**
 * Whether a sealed segment's index file agrees with its log: whole entries, the first at
 * position 0, and the last pointing at a record that carries its offset and ends the file.
 */
async function checkSealedIndex(
  log: LogFile,
  logSize: number,
  indexFile: LogFile,
  baseOffset: number,
): Promise<Omit<SegmentState, "size"> | undefined> {
  const indexSize = await indexFile.size();
  if (logSize === 0) {
    return indexSize === 0 ? { nextOffset: baseOffset, entries: 0 } : undefined;
  }
  if (indexSize < INDEX_ENTRY_BYTES || indexSize % INDEX_ENTRY_BYTES !== 0) return undefined;

  const entries = Buffer.allocUnsafe(2 * INDEX_ENTRY_BYTES);
  const lastAt = indexSize - INDEX_ENTRY_BYTES;
  const gotEntries =
    (await readAt(indexFile, entries, 0, INDEX_ENTRY_BYTES, 0)) +
    (await readAt(indexFile, entries, INDEX_ENTRY_BYTES, INDEX_ENTRY_BYTES, lastAt));
  if (gotEntries < 2 * INDEX_ENTRY_BYTES) return undefined;
  const firstRel = entries.readUInt32BE(0);
  const firstPosition = entries.readUInt32BE(4);
  const lastRel = entries.readUInt32BE(INDEX_ENTRY_BYTES);
  const lastPosition = entries.readUInt32BE(INDEX_ENTRY_BYTES + 4);
  if (firstPosition !== 0 || lastPosition + RECORD_HEADER_BYTES > logSize) return undefined;

  const headers = Buffer.allocUnsafe(2 * RECORD_HEADER_BYTES);
  const got =
    (await readAt(log, headers, 0, RECORD_HEADER_BYTES, 0)) +
    (await readAt(log, headers, RECORD_HEADER_BYTES, RECORD_HEADER_BYTES, lastPosition));
  if (got < 2 * RECORD_HEADER_BYTES) return undefined;
  const lastEnd = lastPosition + RECORD_FRAME_BYTES + readLength(headers, RECORD_HEADER_BYTES);
  if (
    readOffset(headers, 0) !== baseOffset + firstRel ||
    readOffset(headers, RECORD_HEADER_BYTES) !== baseOffset + lastRel ||
    lastEnd !== logSize
  ) {
    return undefined;
  }
  return {
    nextOffset: baseOffset + lastRel + 1,
    entries: indexSize / INDEX_ENTRY_BYTES,
    first: readTimestamp(headers, 0),
    last: readTimestamp(headers, RECORD_HEADER_BYTES),
  };
}

/**
 * A sealed segment cut at a record boundary scans clean; its index file still lists the lost
 * records, though: an entry right after the scanned ones pointing at the end of the file is the
 * sign of such a truncation (rather than of a garbled index, which is simply rebuilt).
 */
async function missingTail(
  indexFile: LogFile | undefined,
  scannedEntries: number,
  validEnd: number,
  baseOffset: number,
): Promise<SegmentDamage | undefined> {
  if (!indexFile) return undefined;
  const entry = Buffer.allocUnsafe(INDEX_ENTRY_BYTES);
  const at = scannedEntries * INDEX_ENTRY_BYTES;
  if ((await readAt(indexFile, entry, 0, INDEX_ENTRY_BYTES, at)) < INDEX_ENTRY_BYTES) return;
  if (entry.readUInt32BE(4) !== validEnd) return undefined;
  return {
    offset: baseOffset + entry.readUInt32BE(0),
    position: validEnd,
    reason: `the segment ends at byte ${validEnd} but its index lists more records: records are missing`,
  };
}

/** Why a sealed segment's index cannot describe its records, or undefined if it can. */
function indexProblem(index: SegmentIndex, logSize: number, relEnd: number): string | undefined {
  const { relOffsets, positions, count } = index.view();
  if (count === 0) return logSize === 0 ? undefined : "no entries for a non-empty segment";
  for (let i = 0; i < count; i++) {
    const position = positions[i]!;
    if (position + RECORD_HEADER_BYTES > logSize) {
      return `entry ${i} points at position ${position}, past the segment's ${logSize} bytes`;
    }
    if (relOffsets[i]! >= relEnd)
      return `entry ${i} holds relative offset ${relOffsets[i]}, past the segment's records`;
    if (i > 0 && (relOffsets[i]! <= relOffsets[i - 1]! || position <= positions[i - 1]!)) {
      return `entry ${i} does not follow entry ${i - 1} (offsets and positions must increase)`;
    }
  }
  return undefined;
}

/** Whether `file` is `at + expected.length` bytes long and ends with `expected`. */
async function fileEndsWith(file: LogFile, expected: Buffer, at: number): Promise<boolean> {
  const size = await file.size();
  if (size !== at + expected.length) return false;
  const actual = Buffer.allocUnsafe(expected.length);
  return (
    (await readAt(file, actual, 0, expected.length, at)) === expected.length &&
    actual.equals(expected)
  );
}

/** Thrown by reads that reach records of a sealed segment found damaged at open. */
export function damageError(segment: Segment): CorruptRecordError | undefined {
  const { damage } = segment;
  return (
    damage && new CorruptRecordError(segment.logPath, damage.offset, damage.position, damage.reason)
  );
}
