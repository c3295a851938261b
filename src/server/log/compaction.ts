/**
 * Compaction by key, in three steps that keep a crash harmless:
 *
 * 1. `writeCompactedSegments`: for groups of consecutive sealed segments, write the records to
 *    keep into `<base>.log.compacted` + `<base>.index.compacted` and sync them (and the
 *    directory). A crash here leaves only `.compacted` files, which open() deletes: rollback.
 * 2. `installCompaction`: write the swap checkpoint (atomically) naming the old segments and
 *    the new ones: from that moment the compaction is committed. Then rename the new files
 *    over the old names and delete the old segments no longer needed.
 * 3. `finishCompaction`: delete the swap checkpoint.
 *
 * open() calls `recoverInterruptedCompaction` first: with a swap checkpoint present it redoes
 * step 2 (every part of it may be repeated) and 3; without one it removes `.compacted` files.
 * Either way the directory holds the complete old or the complete new segment set.
 */
import { join } from "node:path";
import { readCheckpoint, writeCheckpoint } from "./checkpoint-file.js";
import { writeAt } from "./file-io.js";
import type { LogFile, LogFileSystem } from "./file-system.js";
import { INDEX_ENTRY_BYTES, MAX_U32 } from "./record-format.js";
import type { Segment } from "./segment.js";
import {
  COMPACTED_SUFFIX,
  compactionSwapPath,
  indexFilePath,
  logFilePath,
} from "./segment-files.js";
import type { SegmentIndex } from "./segment-index.js";
import { segmentRecords } from "./segment-records.js";

const SWAP_KIND = "compaction-swap";
const OLD_SEGMENT = 0;
const NEW_SEGMENT = 1;
const FLUSH_BYTES = 1024 * 1024;

export type KeyOf = (body: Uint8Array) => Uint8Array | undefined;

export interface CompactionInput {
  fs: LogFileSystem;
  dir: string;
  /** Sealed segments to compact, oldest first. */
  sealed: readonly Segment[];
  loadIndex(segment: Segment): Promise<SegmentIndex>;
  keyOf: KeyOf;
  /** Consecutive segments are merged while their sizes add up to at most this. */
  segmentMaxBytes: number;
}

/** Segments replaced by one compacted segment at the first one's base (none if nothing kept). */
export interface CompactedGroup {
  baseOffset: number;
  replaces: readonly Segment[];
  kept: { records: number; bytes: number };
}

/** Step 1: writes and syncs the `.compacted` files of every group that changes. */
export async function writeCompactedSegments(input: CompactionInput): Promise<CompactedGroup[]> {
  const { fs, dir, sealed, keyOf } = input;
  const newest = new Map<string, number>();
  for (const segment of sealed) {
    const index = await input.loadIndex(segment);
    for await (const record of segmentRecords(segment, index, segment.size)) {
      const key = keyOf(record.body);
      if (key) newest.set(Buffer.from(key).toString("latin1"), record.offset);
    }
  }
  const keep = (offset: number, body: Uint8Array): boolean => {
    const key = keyOf(body);
    return !key || newest.get(Buffer.from(key).toString("latin1")) === offset;
  };

  const groups: CompactedGroup[] = [];
  try {
    for (const members of groupSegments(sealed, input.segmentMaxBytes)) {
      const group = await writeGroup(fs, dir, members, input.loadIndex, keep);
      if (group) groups.push(group);
    }
    if (groups.length > 0) await fs.syncDirectory(dir);
  } catch (err) {
    await removeCompactedFiles(fs, dir).catch(() => {});
    throw err;
  }
  return groups;
}

/** Step 2: commits the swap and puts the new segment files in place of the old ones. */
export async function installCompaction(
  fs: LogFileSystem,
  dir: string,
  groups: readonly CompactedGroup[],
): Promise<void> {
  const rows = [
    ...groups.flatMap((g) => g.replaces.map((s) => [OLD_SEGMENT, s.baseOffset])),
    ...groups.filter((g) => g.kept.records > 0).map((g) => [NEW_SEGMENT, g.baseOffset]),
  ];
  await writeCheckpoint(fs, compactionSwapPath(dir), SWAP_KIND, rows);
  await applySwap(fs, dir, rows);
}

/** Step 3: the swap is complete on disk; forget it. */
export async function finishCompaction(fs: LogFileSystem, dir: string): Promise<void> {
  await fs.unlink(compactionSwapPath(dir));
  await fs.syncDirectory(dir);
}

/** Completes or rolls back a compaction a crash interrupted; says which, if there was one. */
export async function recoverInterruptedCompaction(
  fs: LogFileSystem,
  dir: string,
): Promise<"completed" | "rolled back" | undefined> {
  const swapPath = compactionSwapPath(dir);
  const swap = await readCheckpoint(fs, swapPath, SWAP_KIND);
  if (swap && "rows" in swap) {
    await applySwap(fs, dir, swap.rows);
    await removeCompactedFiles(fs, dir);
    await finishCompaction(fs, dir);
    return "completed";
  }
  // A swap checkpoint is written atomically, so one that does not decode was never committed.
  if (swap) await fs.unlink(swapPath);
  const removed = await removeCompactedFiles(fs, dir);
  return removed > 0 || swap ? "rolled back" : undefined;
}

async function applySwap(fs: LogFileSystem, dir: string, rows: number[][]): Promise<void> {
  const installed = new Set(rows.filter((r) => r[0] === NEW_SEGMENT).map((r) => r[1]!));
  for (const base of installed) {
    for (const path of [logFilePath(dir, base), indexFilePath(dir, base)]) {
      const compacted = `${path}${COMPACTED_SUFFIX}`;
      if ((await fs.sizeOf(compacted)) !== undefined) await fs.rename(compacted, path);
    }
  }
  for (const [kind, base] of rows) {
    if (kind !== OLD_SEGMENT || installed.has(base!)) continue;
    // Log file first: a segment is known by its log file, so none is left half-present.
    await unlinkIfPresent(fs, logFilePath(dir, base!));
    await unlinkIfPresent(fs, indexFilePath(dir, base!));
  }
  await fs.syncDirectory(dir);
}

/** Consecutive segments whose sizes add up to at most `maxBytes` (at least one per group). */
function groupSegments(sealed: readonly Segment[], maxBytes: number): Segment[][] {
  const groups: Segment[][] = [];
  let current: Segment[] = [];
  let bytes = 0;
  for (const segment of sealed) {
    const span = segment.nextOffset - (current[0]?.baseOffset ?? segment.baseOffset);
    if (current.length > 0 && (bytes + segment.size > maxBytes || span > MAX_U32)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(segment);
    bytes += segment.size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Writes one group's kept records; undefined when the group would stay as it is. */
async function writeGroup(
  fs: LogFileSystem,
  dir: string,
  members: readonly Segment[],
  loadIndex: (segment: Segment) => Promise<SegmentIndex>,
  keep: (offset: number, body: Uint8Array) => boolean,
): Promise<CompactedGroup | undefined> {
  const baseOffset = members[0]!.baseOffset;
  const logPath = `${logFilePath(dir, baseOffset)}${COMPACTED_SUFFIX}`;
  const indexPath = `${indexFilePath(dir, baseOffset)}${COMPACTED_SUFFIX}`;
  const log = await fs.open(logPath, "replace");
  let indexFile: LogFile | undefined;
  try {
    indexFile = await fs.open(indexPath, "replace");
    const out = new GroupWriter(log, indexFile, baseOffset);
    let dropped = 0;
    for (const segment of members) {
      const index = await loadIndex(segment);
      for await (const record of segmentRecords(segment, index, segment.size)) {
        if (keep(record.offset, record.body)) await out.add(record.offset, record.bytes);
        else dropped++;
      }
    }
    await out.flush();
    if (members.length === 1 && dropped === 0) {
      await Promise.all([log.close(), indexFile.close()]);
      await fs.unlink(logPath);
      await fs.unlink(indexPath);
      return undefined;
    }
    await log.datasync();
    await indexFile.datasync();
    await Promise.all([log.close(), indexFile.close()]);
    if (out.records === 0) {
      await fs.unlink(logPath);
      await fs.unlink(indexPath);
    }
    return { baseOffset, replaces: members, kept: { records: out.records, bytes: out.bytes } };
  } catch (err) {
    await Promise.allSettled([log.close(), indexFile?.close()]);
    throw err;
  }
}

/** Appends raw records and their index entries to a compacted segment's files, buffered. */
class GroupWriter {
  records = 0;
  bytes = 0;
  private logChunks: Buffer[] = [];
  private pendingBytes = 0;
  private indexChunk: Buffer[] = [];
  private indexWritten = 0;

  constructor(
    private readonly log: LogFile,
    private readonly indexFile: LogFile,
    private readonly baseOffset: number,
  ) {}

  async add(offset: number, record: Buffer): Promise<void> {
    const entry = Buffer.allocUnsafe(INDEX_ENTRY_BYTES);
    entry.writeUInt32BE(offset - this.baseOffset, 0);
    entry.writeUInt32BE(this.bytes + this.pendingBytes, 4);
    this.indexChunk.push(entry);
    this.logChunks.push(Buffer.from(record));
    this.pendingBytes += record.length;
    this.records++;
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.logChunks.length === 0) return;
    const index = Buffer.concat(this.indexChunk);
    await writeAt(this.log, Buffer.concat(this.logChunks), this.bytes);
    await writeAt(this.indexFile, index, this.indexWritten);
    this.bytes += this.pendingBytes;
    this.indexWritten += index.length;
    this.logChunks = [];
    this.indexChunk = [];
    this.pendingBytes = 0;
  }
}

async function removeCompactedFiles(fs: LogFileSystem, dir: string): Promise<number> {
  const names = (await fs.readdir(dir)).filter((name) => name.endsWith(COMPACTED_SUFFIX));
  for (const name of names) await fs.unlink(join(dir, name));
  if (names.length > 0) await fs.syncDirectory(dir);
  return names.length;
}

async function unlinkIfPresent(fs: LogFileSystem, path: string): Promise<void> {
  await fs.unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT") throw err;
  });
}
