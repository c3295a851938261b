import { constants } from "node:fs";
import { type FileHandle, open, readFile, stat, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import type { EncodedBatch } from "./batch-encoding.js";
import { CorruptRecordError, LogFailedError } from "./errors.js";
import { readAt, writeAt } from "./file-io.js";
import {
  INDEX_ENTRY_BYTES,
  RECORD_FRAME_BYTES,
  RECORD_HEADER_BYTES,
  readLength,
  readOffset,
  readTimestamp,
} from "./record-format.js";
import { scanRecords } from "./record-scanner.js";
import { indexFilePath, logFilePath } from "./segment-files.js";
import { type IndexView, SegmentIndex } from "./segment-index.js";
import type { RecoveryReport } from "./types.js";

/** The visible records of a segment at one moment: what a reader may touch. */
export interface SegmentSnapshot {
  readonly view: IndexView;
  /** Bytes of the `.log` file holding visible records. */
  readonly size: number;
}

/**
 * One `<base>.log` + `<base>.index` pair. The last segment of a log is active: it keeps its
 * index in memory and its index file open for appending. Earlier segments are sealed and
 * immutable; their indexes are loaded on demand.
 */
export class Segment {
  /** In memory while the segment is active. */
  private memoryIndex?: SegmentIndex;
  private indexFile?: FileHandle;

  private constructor(
    readonly baseOffset: number,
    readonly logPath: string,
    readonly indexPath: string,
    readonly log: FileHandle,
    /** Bytes holding records whose append completed. */
    private visibleSize: number,
    /** One past the last visible record's offset; the base offset when there is none. */
    private visibleNextOffset: number,
    /** Timestamp of the first record, once there is one. */
    private first?: bigint,
  ) {}

  get size(): number {
    return this.visibleSize;
  }

  get nextOffset(): number {
    return this.visibleNextOffset;
  }

  get firstTimestamp(): bigint | undefined {
    return this.first;
  }

  /** The active segment's in-memory index; undefined once sealed. */
  get index(): SegmentIndex | undefined {
    return this.memoryIndex;
  }

  /** A new, empty active segment. Fails if its log file already exists. */
  static async create(dir: string, baseOffset: number): Promise<Segment> {
    const logPath = logFilePath(dir, baseOffset);
    const indexPath = indexFilePath(dir, baseOffset);
    const log = await open(logPath, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o644);
    try {
      const indexFile = await open(indexPath, "w+", 0o644);
      const segment = new Segment(baseOffset, logPath, indexPath, log, 0, baseOffset);
      segment.memoryIndex = new SegmentIndex();
      segment.indexFile = indexFile;
      return segment;
    } catch (err) {
      await log.close();
      await unlink(logPath).catch(() => {});
      throw err;
    }
  }

  /**
   * Opens the last segment of a log: scans all its records verifying framing and CRCs, cuts
   * a torn or corrupt tail, and rewrites the index file if it does not match the records.
   * (`scanRecords` can resume after a known-good prefix, for recovery from a checkpoint.)
   */
  static async recoverActive(
    dir: string,
    baseOffset: number,
    report: RecoveryReport,
  ): Promise<Segment> {
    const logPath = logFilePath(dir, baseOffset);
    const indexPath = indexFilePath(dir, baseOffset);
    const log = await open(logPath, "r+");
    let indexFile: FileHandle | undefined;
    try {
      const fileSize = (await log.stat()).size;
      const scan = await scanRecords(log, {
        baseOffset,
        from: 0,
        end: fileSize,
        minOffset: baseOffset,
        verifyCrc: true,
      });
      if (scan.damage) {
        await log.truncate(scan.validEnd);
        await log.datasync();
        report.truncatedBytes += fileSize - scan.validEnd;
        report.truncationReason = `${logPath} at position ${scan.damage.position} (offset ${scan.damage.offset}): ${scan.damage.reason}`;
      }
      indexFile = await open(indexPath, constants.O_RDWR | constants.O_CREAT, 0o644);
      const expected = scan.index.toBytes(0, scan.index.count);
      if (!(await fileHolds(indexFile, expected))) {
        await writeAt(indexFile, expected, 0);
        await indexFile.truncate(expected.length);
        report.rebuiltIndexes.push(indexPath);
      }
      const segment = new Segment(
        baseOffset,
        logPath,
        indexPath,
        log,
        scan.validEnd,
        scan.nextOffset,
        scan.firstTimestamp,
      );
      segment.memoryIndex = scan.index;
      segment.indexFile = indexFile;
      return segment;
    } catch (err) {
      await indexFile?.close();
      await log.close();
      throw err;
    }
  }

  /**
   * Opens a sealed segment. A cheap check (index entry count, first and last entries against
   * the records they point at) decides whether the index file can be trusted; if not, it is
   * rebuilt from the records. A segment whose records are not well framed throws
   * `CorruptRecordError`: damage before the last segment is reported, never cut away.
   */
  static async openSealed(
    dir: string,
    baseOffset: number,
    report: RecoveryReport,
  ): Promise<Segment> {
    const logPath = logFilePath(dir, baseOffset);
    const indexPath = indexFilePath(dir, baseOffset);
    const log = await open(logPath, "r");
    try {
      const logSize = (await log.stat()).size;
      const trusted = await checkSealedIndex(log, logSize, indexPath, baseOffset);
      if (trusted) {
        return new Segment(
          baseOffset,
          logPath,
          indexPath,
          log,
          logSize,
          trusted.nextOffset,
          trusted.first,
        );
      }
      const scan = await scanRecords(log, {
        baseOffset,
        from: 0,
        end: logSize,
        minOffset: baseOffset,
        verifyCrc: false,
      });
      if (scan.damage) {
        throw new CorruptRecordError(
          logPath,
          scan.damage.offset,
          scan.damage.position,
          scan.damage.reason,
        );
      }
      await writeDurably(indexPath, scan.index.toBytes(0, scan.index.count));
      report.rebuiltIndexes.push(indexPath);
      return new Segment(
        baseOffset,
        logPath,
        indexPath,
        log,
        logSize,
        scan.nextOffset,
        scan.firstTimestamp,
      );
    } catch (err) {
      await log.close();
      throw err;
    }
  }

  /** The visible records of the active segment, captured synchronously. */
  snapshot(): SegmentSnapshot | undefined {
    return this.memoryIndex && { view: this.memoryIndex.view(), size: this.visibleSize };
  }

  /**
   * Writes an encoded batch at the end of the active segment and its index entries at the end
   * of the index file, at the same time; with `sync`, fdatasyncs the log. The records become
   * visible only after that. On failure both files are cut back to where they were.
   */
  async append(batch: EncodedBatch, sync: boolean): Promise<void> {
    const { index, indexFile } = this.activeParts();
    const position = this.visibleSize;
    const indexPosition = index.count * INDEX_ENTRY_BYTES;
    try {
      const writes = await Promise.allSettled([
        writeAt(this.log, batch.bytes, position),
        writeAt(indexFile, batch.indexBytes, indexPosition),
      ]);
      for (const write of writes) if (write.status === "rejected") throw write.reason;
      if (sync) await this.log.datasync();
    } catch (err) {
      try {
        await this.log.truncate(position);
        await indexFile.truncate(indexPosition);
      } catch {
        throw new LogFailedError(dirname(this.logPath), err);
      }
      throw err;
    }
    index.commit(batch.recordCount);
    this.visibleSize = position + batch.bytes.length;
    this.visibleNextOffset = batch.firstOffset + batch.recordCount;
    this.first ??= batch.firstTimestamp;
  }

  /** Flushes the active segment's log and index to disk. */
  async sync(): Promise<void> {
    await this.log.datasync();
    await this.indexFile?.datasync();
  }

  /** Makes the segment immutable and durable; returns its index, no longer held here. */
  async seal(): Promise<SegmentIndex> {
    const { index, indexFile } = this.activeParts();
    await this.log.datasync();
    await indexFile.datasync();
    this.indexFile = undefined;
    this.memoryIndex = undefined;
    await indexFile.close();
    return index;
  }

  /** Reads a sealed segment's index file. */
  async loadIndex(): Promise<SegmentIndex> {
    const bytes = await readFile(this.indexPath);
    if (bytes.length % INDEX_ENTRY_BYTES !== 0) {
      throw new Error(
        `index file ${this.indexPath} is ${bytes.length} bytes, expected a multiple of ${INDEX_ENTRY_BYTES}`,
      );
    }
    return SegmentIndex.fromBytes(bytes);
  }

  async close(): Promise<void> {
    const indexFile = this.indexFile;
    this.indexFile = undefined;
    await Promise.all([this.log.close(), indexFile?.close()]);
  }

  /** Closes and deletes the segment's files. */
  async remove(): Promise<void> {
    await this.close();
    await Promise.all([unlink(this.logPath), unlink(this.indexPath).catch(() => {})]);
  }

  private activeParts(): { index: SegmentIndex; indexFile: FileHandle } {
    if (!this.memoryIndex || !this.indexFile) {
      throw new Error(`segment ${this.logPath} is sealed; only the active segment takes writes`);
    }
    return { index: this.memoryIndex, indexFile: this.indexFile };
  }
}

/**
 * Whether a sealed segment's index file agrees with its log: whole entries, the first at
 * position 0, and the last pointing at a record that carries its offset and ends the file.
 */
async function checkSealedIndex(
  log: FileHandle,
  logSize: number,
  indexPath: string,
  baseOffset: number,
): Promise<{ nextOffset: number; first?: bigint } | undefined> {
  const indexSize = await stat(indexPath).then(
    (s) => s.size,
    () => -1,
  );
  if (logSize === 0) return indexSize === 0 ? { nextOffset: baseOffset } : undefined;
  if (indexSize < INDEX_ENTRY_BYTES || indexSize % INDEX_ENTRY_BYTES !== 0) return undefined;

  const entries = Buffer.allocUnsafe(2 * INDEX_ENTRY_BYTES);
  const indexFile = await open(indexPath, "r");
  try {
    if ((await readAt(indexFile, entries, 0, INDEX_ENTRY_BYTES, 0)) < INDEX_ENTRY_BYTES) return;
    const lastAt = indexSize - INDEX_ENTRY_BYTES;
    if (
      (await readAt(indexFile, entries, INDEX_ENTRY_BYTES, INDEX_ENTRY_BYTES, lastAt)) <
      INDEX_ENTRY_BYTES
    )
      return;
  } finally {
    await indexFile.close();
  }
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
  return { nextOffset: baseOffset + lastRel + 1, first: readTimestamp(headers, 0) };
}

/** Whether `file` holds exactly `expected`. */
async function fileHolds(file: FileHandle, expected: Buffer): Promise<boolean> {
  const size = (await file.stat()).size;
  if (size !== expected.length) return false;
  const actual = Buffer.allocUnsafe(size);
  return (await readAt(file, actual, 0, size, 0)) === size && actual.equals(expected);
}

async function writeDurably(path: string, bytes: Buffer): Promise<void> {
  const file = await open(path, "w", 0o644);
  try {
    await writeAt(file, bytes, 0);
    await file.datasync();
  } finally {
    await file.close();
  }
}
