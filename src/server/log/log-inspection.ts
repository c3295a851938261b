/**
 * Read-only inspection of commit log files, for the offline `lb log verify` and `lb log dump`:
 * it opens files for reading only and never repairs anything, unlike `CommitLog.open`.
 */
import { basename, dirname, join, resolve } from "node:path";
import { readAt, readWholeFile } from "./file-io.js";
import { type LogFile, type LogFileSystem, nodeFileSystem } from "./file-system.js";
import { loadDamage } from "./log-damage.js";
import { loadSegmentList } from "./partition-checkpoints.js";
import {
  INDEX_ENTRY_BYTES,
  MIN_RECORD_LENGTH,
  RECORD_FRAME_BYTES,
  RECORD_HEADER_BYTES,
  readLeaderEpoch,
  readLength,
  readOffset,
  readTimestamp,
  recordCrc,
  storedCrc,
} from "./record-format.js";
import { indexFilePath, listSegmentBases, logFilePath } from "./segment-files.js";

/** One record as found in a segment file, damaged or not. */
export interface InspectedRecord {
  /** Path of the segment's `.log` file. */
  segment: string;
  /** The offset the record carries, or the one expected there when it cannot be trusted. */
  offset: number;
  position: number;
  /** Bytes the record takes in the file (0 when its framing is broken). */
  size: number;
  timestamp?: bigint;
  leaderEpoch?: number;
  body?: Buffer;
  crcOk: boolean;
  /** Why the record is damaged; absent when it is sound. */
  problem?: string;
}

/** A partition directory found under a path, with its stream and partition when known. */
export interface PartitionLocation {
  dir: string;
  stream?: string;
  partition?: string;
}

const WINDOW_BYTES = 1024 * 1024;

/**
 * The partition directories under `path`: the path itself if it holds segment files, the
 * partitions of a stream directory, or every `streams/<stream>/<partition>` of a data
 * directory. Undefined when `path` is none of these.
 */
export async function locatePartitions(
  path: string,
  fs: LogFileSystem = nodeFileSystem,
): Promise<PartitionLocation[] | undefined> {
  const entries = await fs.readdir(path);
  if (entries.some(isSegmentFile)) {
    // DATA/streams/NAME/ID names its stream and partition.
    const named = basename(dirname(dirname(resolve(path)))) === "streams";
    return [
      named
        ? {
            dir: path,
            stream: basename(dirname(resolve(path))),
            partition: basename(resolve(path)),
          }
        : { dir: path },
    ];
  }
  if (entries.includes("streams")) {
    const found: PartitionLocation[] = [];
    for (const stream of (await subdirectories(fs, join(path, "streams"))).sort()) {
      for (const partition of await partitionsOf(fs, join(path, "streams", stream))) {
        found.push({ dir: join(path, "streams", stream, partition), stream, partition });
      }
    }
    return found;
  }
  const partitions = await partitionsOf(fs, path);
  return partitions.length > 0
    ? partitions.map((partition) => ({
        dir: join(path, partition),
        stream: basename(resolve(path)),
        partition,
      }))
    : undefined;
}

/**
 * Every record of a partition directory in offset order, each checked: framing, CRC-32C and
 * offset. Record boundaries come from the index file when it is consistent, so one damaged
 * record does not hide the ones after it; otherwise from the records' length fields, and a
 * broken length ends that segment's walk (reported as one damaged record).
 */
export async function* inspectPartition(
  dir: string,
  fs: LogFileSystem = nodeFileSystem,
): AsyncGenerator<InspectedRecord> {
  const bases = await listSegmentBases(fs, dir);
  let expected = bases[0] ?? 0;
  for (const base of bases) {
    expected = Math.max(expected, base);
    for await (const record of inspectSegment(fs, dir, base, expected)) {
      if (!record.problem) expected = record.offset + 1;
      yield record;
    }
  }
}

async function* inspectSegment(
  fs: LogFileSystem,
  dir: string,
  baseOffset: number,
  firstExpected: number,
): AsyncGenerator<InspectedRecord> {
  const segment = logFilePath(dir, baseOffset);
  const file = await fs.open(segment, "read");
  try {
    const size = await file.size();
    const window = new FileWindow(file, size);
    const boundaries = await indexBoundaries(fs, indexFilePath(dir, baseOffset), baseOffset, size);
    if (boundaries) {
      yield* checkIndexed(window, segment, boundaries, size);
    } else {
      yield* walkFraming(window, segment, size, firstExpected);
    }
  } finally {
    await file.close();
  }
}

interface Boundary {
  offset: number;
  position: number;
}

/**
 * The index entries, if they are plausible: from position 0, offsets and positions increasing.
 * Entries past the end of the file stay: they show records missing from a truncated segment.
 */
async function indexBoundaries(
  fs: LogFileSystem,
  indexPath: string,
  baseOffset: number,
  size: number,
): Promise<Boundary[] | undefined> {
  const bytes = await readWholeFile(fs, indexPath);
  if (!bytes || bytes.length % INDEX_ENTRY_BYTES !== 0) return undefined;
  const boundaries: Boundary[] = [];
  for (let at = 0; at < bytes.length; at += INDEX_ENTRY_BYTES) {
    const offset = baseOffset + bytes.readUInt32BE(at);
    const position = bytes.readUInt32BE(at + 4);
    const previous = boundaries.at(-1);
    if (previous ? offset <= previous.offset || position <= previous.position : position !== 0) {
      return undefined;
    }
    boundaries.push({ offset, position });
  }
  return boundaries.length > 0 || size === 0 ? boundaries : undefined;
}

async function* checkIndexed(
  window: FileWindow,
  segment: string,
  boundaries: readonly Boundary[],
  size: number,
): AsyncGenerator<InspectedRecord> {
  for (let i = 0; i < boundaries.length; i++) {
    const { offset, position } = boundaries[i]!;
    const last = i + 1 === boundaries.length;
    if (position >= size) {
      yield {
        segment,
        offset,
        position,
        size: 0,
        crcOk: false,
        problem: `missing: the index lists it at position ${position} but the segment ends at ${size}`,
      };
      continue;
    }
    if (!last) {
      const end = Math.min(boundaries[i + 1]!.position, size);
      const whole = await checkRecord(window, segment, position, end, offset, true);
      // The broker's index skips damaged bytes it found between valid records: the record
      // is sound on its own length, and the bytes after it are the damage.
      const own = whole.problem
        ? await ownLength(window, segment, position, end, offset)
        : undefined;
      if (!own) {
        yield whole;
        continue;
      }
      yield own;
      const skipped = position + own.size;
      yield {
        segment,
        offset: offset + 1,
        position: skipped,
        size: end - skipped,
        crcOk: false,
        problem: `${end - skipped} bytes the index skips before offset ${boundaries[i + 1]!.offset}: damaged records`,
      };
      continue;
    }
    // The last indexed record normally ends the file. If it does not, the bytes after it may be
    // records the index does not list yet (it is synced less often than the log) or a torn
    // write; they are walked only when the record itself is sound on its own length.
    const whole = await checkRecord(window, segment, position, size, offset, true);
    const own = whole.problem
      ? await ownLength(window, segment, position, size, offset)
      : undefined;
    if (!own) {
      yield whole;
      continue;
    }
    yield own;
    yield* walkFraming(window, segment, size, offset + 1, position + own.size);
  }
}

/** The record at `position` by its own length field, if that is shorter than the file and sound. */
async function ownLength(
  window: FileWindow,
  segment: string,
  position: number,
  size: number,
  offset: number,
): Promise<InspectedRecord | undefined> {
  if (position + RECORD_HEADER_BYTES > size) return undefined;
  const header = await window.view(position, RECORD_HEADER_BYTES);
  const length = readLength(header.buffer, header.at);
  const end = position + RECORD_FRAME_BYTES + length;
  if (length < MIN_RECORD_LENGTH || end >= size) return undefined;
  const record = await checkRecord(window, segment, position, end, offset, true);
  return record.problem ? undefined : record;
}

async function* walkFraming(
  window: FileWindow,
  segment: string,
  size: number,
  firstExpected: number,
  from = 0,
): AsyncGenerator<InspectedRecord> {
  let position = from;
  let expected = firstExpected;
  while (position < size) {
    const broken = (problem: string): InspectedRecord => ({
      segment,
      offset: expected,
      position,
      size: 0,
      crcOk: false,
      problem: `${problem}; the remaining ${size - position} bytes of the segment cannot be checked`,
    });
    if (size - position < RECORD_HEADER_BYTES) {
      yield broken(`torn record header: ${size - position} bytes left`);
      return;
    }
    const header = await window.view(position, RECORD_HEADER_BYTES);
    const length = readLength(header.buffer, header.at);
    const end = position + RECORD_FRAME_BYTES + length;
    if (length < MIN_RECORD_LENGTH || end > size) {
      yield broken(`length field ${length} does not fit the segment`);
      return;
    }
    const record = await checkRecord(window, segment, position, end, expected, false);
    yield record;
    expected = record.problem ? expected + 1 : record.offset + 1;
    position = end;
  }
}

/**
 * Checks the record spanning `[position, end)`, expected to carry `offset` (`exact`: as the
 * index says) or an offset of at least `offset` (walking by framing).
 */
async function checkRecord(
  window: FileWindow,
  segment: string,
  position: number,
  end: number,
  offset: number,
  exact: boolean,
): Promise<InspectedRecord> {
  const base = { segment, offset, position, size: end - position };
  if (end - position < RECORD_HEADER_BYTES) {
    return { ...base, crcOk: false, problem: `only ${end - position} bytes, less than a header` };
  }
  const { buffer, at } = await window.view(position, end - position);
  const stop = at + end - position;
  const crcOk = recordCrc(buffer, at, stop) === storedCrc(buffer, at);
  const found = {
    ...base,
    timestamp: readTimestamp(buffer, at),
    leaderEpoch: readLeaderEpoch(buffer, at),
    body: Buffer.from(buffer.subarray(at + RECORD_HEADER_BYTES, stop)),
    crcOk,
  };
  const length = readLength(buffer, at);
  if (length !== end - position - RECORD_FRAME_BYTES) {
    return {
      ...found,
      problem: `length field is ${length}, but the record spans ${end - position - RECORD_FRAME_BYTES} bytes after it`,
    };
  }
  if (!crcOk) return { ...found, problem: "CRC-32C mismatch" };
  const carried = readOffset(buffer, at);
  if (exact ? carried !== offset : carried < offset) {
    const wanted = exact ? `the index says ${offset}` : `expected at least ${offset}`;
    return { ...found, problem: `record carries offset ${carried}, ${wanted}` };
  }
  return { ...found, offset: carried };
}

/** Sequential reads through a window of the file, for record-by-record checks. */
class FileWindow {
  private buffer = Buffer.allocUnsafe(0);
  private start = 0;
  private end = 0;

  constructor(
    private readonly file: LogFile,
    private readonly size: number,
  ) {}

  /** Bytes `[position, position + length)` (which must lie within the file). */
  async view(position: number, length: number): Promise<{ buffer: Buffer; at: number }> {
    if (position < this.start || position + length > this.end) {
      const want = Math.min(Math.max(length, WINDOW_BYTES), this.size - position);
      if (this.buffer.length < want) this.buffer = Buffer.allocUnsafe(want);
      const got = await readAt(this.file, this.buffer, 0, want, position);
      this.start = position;
      this.end = position + got;
      if (got < length)
        throw new Error(
          `the file ended at ${this.end} while reading ${length} bytes at ${position}`,
        );
    }
    return { buffer: this.buffer, at: position - this.start };
  }
}

function isSegmentFile(name: string): boolean {
  return /^\d{20}\.log$/.test(name);
}

async function subdirectories(fs: LogFileSystem, dir: string): Promise<string[]> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const dirs: string[] = [];
  for (const name of names) {
    if ((await fs.readdir(join(dir, name)).catch(() => undefined)) !== undefined) dirs.push(name);
  }
  return dirs;
}

/** Subdirectories of a stream directory that hold segment files, in partition order. */
async function partitionsOf(fs: LogFileSystem, streamDir: string): Promise<string[]> {
  const partitions: string[] = [];
  for (const name of await subdirectories(fs, streamDir)) {
    const entries = await fs.readdir(join(streamDir, name));
    if (entries.some(isSegmentFile)) partitions.push(name);
  }
  return partitions.sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
}

/** A problem with a partition's files other than a damaged record. */
export interface FileProblem {
  kind: "index" | "missing" | "recorded damage";
  /** The `.log` or `.index` file concerned. */
  file: string;
  fromOffset?: number;
  toOffset?: number;
  reason: string;
}

/**
 * Index files that do not describe their segment (missing, garbled, listing records past its
 * end), segments the segment list checkpoint names whose files are gone, and the damage the
 * broker recorded (damage.checkpoint): offsets it cannot serve.
 */
export async function inspectPartitionFiles(
  dir: string,
  fs: LogFileSystem = nodeFileSystem,
): Promise<FileProblem[]> {
  const problems: FileProblem[] = [];
  const bases = await listSegmentBases(fs, dir);
  for (const base of bases) {
    const size = (await fs.sizeOf(logFilePath(dir, base))) ?? 0;
    const indexPath = indexFilePath(dir, base);
    const boundaries = await indexBoundaries(fs, indexPath, base, size);
    if (!boundaries) {
      problems.push({
        kind: "index",
        file: indexPath,
        reason: "missing, or not whole increasing entries",
      });
    } else if (boundaries.some((b) => b.position + RECORD_HEADER_BYTES > size)) {
      problems.push({
        kind: "index",
        file: indexPath,
        reason: `lists records past the segment's ${size} bytes`,
      });
    }
  }
  for (const listed of (await loadSegmentList(fs, dir)) ?? []) {
    if (bases.includes(listed.baseOffset) || listed.nextOffset <= listed.baseOffset) continue;
    problems.push({
      kind: "missing",
      file: logFilePath(dir, listed.baseOffset),
      fromOffset: listed.baseOffset,
      toOffset: listed.nextOffset - 1,
      reason: "the segment list checkpoint records this segment, but its file is gone",
    });
  }
  for (const d of await loadDamage(fs, dir, (offset) => logFilePath(dir, offset))) {
    problems.push({
      kind: "recorded damage",
      file: d.segment,
      fromOffset: d.fromOffset,
      toOffset: d.toOffset,
      reason: `the broker recorded these offsets as ${d.kind}: it does not serve them`,
    });
  }
  return problems;
}
