import type { FileHandle } from "node:fs/promises";
import { open, readdir, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { crc32c } from "../../wire/crc32c.js";
import { DATA_FILE_MODE } from "../log/file-system.js";
import {
  decodeEntry,
  decodeHardState,
  decodeSnapshot,
  encodeEntry,
  encodeHardState,
  encodeSnapshot,
} from "./codec.js";
import { validateConfState } from "./conf-state.js";
import { makeDirectoryDurably, syncDirectory, writeAll } from "./durable-files.js";
import { CorruptStorageError, UnavailableError } from "./errors.js";
import { InMemoryLogView } from "./log-view.js";
import { checkContiguous, isPristine } from "./memory-storage.js";
import type { PersistentStorage } from "./storage.js";
import {
  BOOTSTRAP_HARD_STATE,
  bootstrapSnapshot,
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
} from "./types.js";

/*
 * On-disk layout of a FileStorage directory:
 *
 *   hardstate   "LBRH" | u32 body length | u32 CRC-32C(body) | body (encodeHardState)
 *   snapshot    "LBRS" | u32 body length | u32 CRC-32C(body) | body (encodeSnapshot)
 *   log-<base index, 20 digits>.seg
 *               header: "LBRL" | u8 version (1) | u64 base index | u64 term of the entry
 *                       before base | u32 CRC-32C of the preceding 21 bytes
 *               then records: u32 body length | u32 CRC-32C(body) | body (encodeEntry)
 *
 * All integers big-endian. hardstate and snapshot are replaced atomically (temp file, fsync,
 * rename, fsync directory). Segments are append-only; a follower's conflicting suffix is cut
 * with ftruncate. Every write is fsynced before the call resolves.
 */

const HEADER_BYTES = 25;
const RECORD_HEADER_BYTES = 8;
const FRAME_HEADER_BYTES = 12;
const SEGMENT_VERSION = 1;
const SEGMENT_MAGIC = Buffer.from("LBRL");
const HARD_STATE_MAGIC = Buffer.from("LBRH");
const SNAPSHOT_MAGIC = Buffer.from("LBRS");
const HARD_STATE_FILE = "hardstate";
const SNAPSHOT_FILE = "snapshot";
const SEGMENT_NAME = /^log-(\d{20})\.seg$/;

export interface FileStorageOptions {
  /** A new segment starts once the active one holds this many bytes. Default 4 MiB. */
  readonly segmentBytes?: number;
}

interface Segment {
  readonly base: number;
  readonly prevTerm: number;
  readonly path: string;
  size: number;
}

interface Location {
  readonly segment: Segment;
  readonly position: number;
}

function segmentName(base: number): string {
  return `log-${String(base).padStart(20, "0")}.seg`;
}

function frame(magic: Buffer, body: Uint8Array): Buffer {
  const out = Buffer.alloc(FRAME_HEADER_BYTES + body.length);
  magic.copy(out, 0);
  out.writeUInt32BE(body.length, 4);
  out.writeUInt32BE(crc32c(body), 8);
  out.set(body, FRAME_HEADER_BYTES);
  return out;
}

function unframe(magic: Buffer, bytes: Buffer, file: string): Buffer {
  if (bytes.length < FRAME_HEADER_BYTES || !bytes.subarray(0, 4).equals(magic)) {
    throw new CorruptStorageError(file, 0, `expected the ${magic.toString()} header`);
  }
  const length = bytes.readUInt32BE(4);
  if (bytes.length !== FRAME_HEADER_BYTES + length) {
    throw new CorruptStorageError(
      file,
      4,
      `body length ${length} does not match the file size ${bytes.length}`,
    );
  }
  const body = bytes.subarray(FRAME_HEADER_BYTES);
  if (crc32c(body) !== bytes.readUInt32BE(8)) {
    throw new CorruptStorageError(file, 8, "CRC-32C mismatch");
  }
  return body;
}

async function readOptional(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

async function writeAtomically(dir: string, name: string, bytes: Buffer): Promise<void> {
  const temp = join(dir, `${name}.tmp`);
  const handle = await open(temp, "w", DATA_FILE_MODE);
  try {
    try {
      await writeAll(handle, bytes, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(dir, name));
  } catch (err) {
    // A half-written temp file would hold on to space a full disk needs.
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dir);
}

function segmentHeader(base: number, prevTerm: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  SEGMENT_MAGIC.copy(header, 0);
  header.writeUInt8(SEGMENT_VERSION, 4);
  header.writeBigUInt64BE(BigInt(base), 5);
  header.writeBigUInt64BE(BigInt(prevTerm), 13);
  header.writeUInt32BE(crc32c(header.subarray(0, 21)), 21);
  return header;
}

interface ScannedSegment {
  segment: Segment;
  entries: Entry[];
  positions: number[];
  /** Where the valid records end; less than the file size after a torn write. */
  validBytes: number;
}

/** Parses one segment. Damage is an error, except a torn tail of the last segment. */
function scanSegment(
  path: string,
  base: number,
  bytes: Buffer,
  isLast: boolean,
): ScannedSegment | null {
  if (bytes.length < HEADER_BYTES || crc32c(bytes.subarray(0, 21)) !== bytes.readUInt32BE(21)) {
    // A segment whose creation was cut short holds nothing yet.
    if (isLast) return null;
    throw new CorruptStorageError(path, 0, "damaged segment header");
  }
  if (!bytes.subarray(0, 4).equals(SEGMENT_MAGIC) || bytes.readUInt8(4) !== SEGMENT_VERSION) {
    throw new CorruptStorageError(
      path,
      0,
      `expected an LBRL segment of version ${SEGMENT_VERSION}`,
    );
  }
  const headerBase = Number(bytes.readBigUInt64BE(5));
  if (headerBase !== base) {
    throw new CorruptStorageError(
      path,
      5,
      `header says base index ${headerBase}, name says ${base}`,
    );
  }
  const segment: Segment = { base, prevTerm: Number(bytes.readBigUInt64BE(13)), path, size: 0 };
  const entries: Entry[] = [];
  const positions: number[] = [];
  let pos = HEADER_BYTES;
  while (pos < bytes.length) {
    const problem = recordProblem(bytes, pos, base + entries.length);
    if (problem === null) {
      const length = bytes.readUInt32BE(pos);
      const body = bytes.subarray(pos + RECORD_HEADER_BYTES, pos + RECORD_HEADER_BYTES + length);
      entries.push(decodeEntry(Uint8Array.prototype.slice.call(body)));
      positions.push(pos);
      pos += RECORD_HEADER_BYTES + length;
      continue;
    }
    // A torn write only ever damages the end of the last segment: if a good record follows
    // the bad one, the damage is elsewhere and must not be silently cut off.
    const length = bytes.length - pos >= 4 ? bytes.readUInt32BE(pos) : 0;
    const after = pos + RECORD_HEADER_BYTES + length;
    const goodAfter =
      length > 0 &&
      after < bytes.length &&
      recordProblem(bytes, after, base + entries.length + 1) === null;
    if (!isLast || goodAfter) throw new CorruptStorageError(path, pos, problem);
    break;
  }
  segment.size = pos;
  return { segment, entries, positions, validBytes: pos };
}

function recordProblem(bytes: Buffer, pos: number, expectedIndex: number): string | null {
  if (bytes.length - pos < RECORD_HEADER_BYTES) return "truncated record header";
  const length = bytes.readUInt32BE(pos);
  if (length > bytes.length - pos - RECORD_HEADER_BYTES) {
    return `record length ${length} runs past the end of the file`;
  }
  const body = bytes.subarray(pos + RECORD_HEADER_BYTES, pos + RECORD_HEADER_BYTES + length);
  if (crc32c(body) !== bytes.readUInt32BE(pos + 4)) return "record CRC-32C mismatch";
  try {
    const entry = decodeEntry(body);
    if (entry.index !== expectedIndex) {
      return `record holds index ${entry.index} where ${expectedIndex} was expected`;
    }
  } catch (err) {
    return (err as Error).message;
  }
  return null;
}

/**
 * Durable Raft storage in a directory (layout above). The live part of the log is also kept
 * in memory so the core can read it synchronously; compaction keeps it bounded.
 */
export class FileStorage extends InMemoryLogView implements PersistentStorage {
  private locations: Location[] = [];
  private segments: Segment[] = [];
  private active: FileHandle | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** An append failed after writing began: the active segment may hold bytes past its size. */
  private dirtyTail = false;
  private readonly segmentBytes: number;

  private constructor(
    readonly dir: string,
    options: FileStorageOptions,
  ) {
    super();
    this.segmentBytes = options.segmentBytes ?? 4 << 20;
    if (!Number.isSafeInteger(this.segmentBytes) || this.segmentBytes <= 0) {
      throw new Error(`segmentBytes ${options.segmentBytes}: expected a positive integer`);
    }
  }

  /** Opens (creating if needed) the storage in `dir`, truncating a torn log tail. */
  static async open(dir: string, options: FileStorageOptions = {}): Promise<FileStorage> {
    const storage = new FileStorage(dir, options);
    await storage.load();
    return storage;
  }

  private async load(): Promise<void> {
    await makeDirectoryDurably(this.dir);
    const names = await readdir(this.dir);
    for (const name of names) if (name.endsWith(".tmp")) await unlink(join(this.dir, name));

    const snapBytes = await readOptional(join(this.dir, SNAPSHOT_FILE));
    if (snapBytes) {
      this.snap = decodeSnapshot(unframe(SNAPSHOT_MAGIC, snapBytes, join(this.dir, SNAPSHOT_FILE)));
    }
    const hardBytes = await readOptional(join(this.dir, HARD_STATE_FILE));
    if (hardBytes) {
      this.hard = decodeHardState(
        unframe(HARD_STATE_MAGIC, hardBytes, join(this.dir, HARD_STATE_FILE)),
      );
    }
    this.prevIndex = this.snap.metadata.index;
    this.prevTerm = this.snap.metadata.term;

    const bases = names
      .map((name) => SEGMENT_NAME.exec(name)?.[1])
      .filter((base): base is string => base !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const scanned: ScannedSegment[] = [];
    for (let i = 0; i < bases.length; i++) {
      const path = join(this.dir, segmentName(bases[i]!));
      const result = scanSegment(path, bases[i]!, await readFile(path), i === bases.length - 1);
      if (result === null) {
        await unlink(path);
        continue;
      }
      const previous = scanned[scanned.length - 1];
      if (previous && previous.segment.base + previous.entries.length !== result.segment.base) {
        throw new CorruptStorageError(
          path,
          0,
          `starts at index ${result.segment.base}, but the previous segment ends at ${previous.segment.base + previous.entries.length - 1}`,
        );
      }
      if (result.validBytes < (await this.fileSize(path))) {
        await this.truncateFile(path, result.validBytes);
      }
      scanned.push(result);
    }
    await this.adoptSegments(scanned);
    if (this.hard.commit > this.lastIndex()) {
      throw new CorruptStorageError(
        join(this.dir, HARD_STATE_FILE),
        0,
        `commit index ${this.hard.commit} is past the last stored log index ${this.lastIndex()}`,
      );
    }
  }

  /**
   * Keeps the scanned segments if they continue the snapshot (hold its last entry, with its
   * term); otherwise they predate an installed snapshot and are removed.
   */
  private async adoptSegments(scanned: ScannedSegment[]): Promise<void> {
    const { index, term } = this.snap.metadata;
    const first = scanned[0];
    let continues = false;
    if (first) {
      const base = first.segment.base;
      const all = scanned.flatMap((s) => s.entries);
      if (base - 1 === index) continues = first.segment.prevTerm === term;
      else if (base <= index && index < base + all.length)
        continues = all[index - base]!.term === term;
      else if (base - 1 > index) {
        throw new CorruptStorageError(
          first.segment.path,
          0,
          `the log starts at index ${base} but the snapshot ends at ${index}: entries are missing`,
        );
      }
    }
    if (!continues) {
      for (const s of [...scanned].reverse()) await unlink(s.segment.path);
      if (scanned.length > 0) await syncDirectory(this.dir);
      return;
    }
    this.segments = scanned.map((s) => s.segment);
    this.prevIndex = first!.segment.base - 1;
    this.prevTerm = first!.segment.prevTerm;
    for (const s of scanned) {
      this.log.push(...s.entries);
      for (const position of s.positions) this.locations.push({ segment: s.segment, position });
    }
    // Entries the snapshot covers stay readable until compacted, like after compact().
  }

  private async fileSize(path: string): Promise<number> {
    const handle = await open(path, "r");
    try {
      return (await handle.stat()).size;
    } finally {
      await handle.close();
    }
  }

  private async truncateFile(path: string, size: number): Promise<void> {
    const handle = await open(path, "r+");
    try {
      await handle.truncate(size);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  // ---------------------------------------------------------------------------------------
  // Reads

  // ---------------------------------------------------------------------------------------
  // Writes: serialized, each durable before it resolves

  private serialize<T>(operation: string, work: () => Promise<T>): Promise<T> {
    if (this.closed) {
      return Promise.reject(
        new Error(`cannot ${operation}: the Raft storage in ${this.dir} is closed`),
      );
    }
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  append(entries: readonly Entry[]): Promise<void> {
    return this.serialize("append", async () => {
      checkContiguous(entries);
      await this.repairTail();
      if (entries.length === 0) return;
      const first = this.firstIndex();
      if (entries[entries.length - 1]!.index < first) return;
      const kept = entries[0]!.index < first ? entries.slice(first - entries[0]!.index) : entries;
      const start = kept[0]!.index;
      if (start > this.lastIndex() + 1) throw new UnavailableError(start - 1, this.lastIndex());
      if (start <= this.lastIndex()) await this.truncateFrom(start);
      let segment = this.segments[this.segments.length - 1];
      if (!segment || segment.size >= this.segmentBytes) {
        segment = await this.startSegment(start, this.term(start - 1));
      }
      const bodies = kept.map(encodeEntry);
      const buffer = Buffer.alloc(bodies.reduce((n, b) => n + RECORD_HEADER_BYTES + b.length, 0));
      const positions: number[] = [];
      let at = 0;
      for (const body of bodies) {
        positions.push(segment.size + at);
        buffer.writeUInt32BE(body.length, at);
        buffer.writeUInt32BE(crc32c(body), at + 4);
        buffer.set(body, at + RECORD_HEADER_BYTES);
        at += RECORD_HEADER_BYTES + body.length;
      }
      const handle = await this.activeHandle();
      this.dirtyTail = true;
      await writeAll(handle, buffer, segment.size);
      await handle.datasync();
      this.dirtyTail = false;
      segment.size += buffer.length;
      for (let i = 0; i < kept.length; i++) {
        this.log.push(kept[i]!);
        this.locations.push({ segment, position: positions[i]! });
      }
    });
  }

  /**
   * Drops the entries from `index` on, which must be above the stored commit index: what a
   * failed write of the driver had appended (the driver never sent or applied them), so that
   * they cannot resurface later. Also cuts any half-written bytes after the last entry.
   */
  discardFrom(index: number): Promise<void> {
    return this.serialize("discard entries", async () => {
      if (index <= this.hard.commit) {
        throw new Error(
          `cannot discard entries from ${index}: the stored commit index is ${this.hard.commit}`,
        );
      }
      await this.repairTail();
      if (index >= this.firstIndex() && index <= this.lastIndex()) await this.truncateFrom(index);
    });
  }

  /**
   * After a failed append, the active segment may hold bytes past its last entry (a short
   * write, or a whole record whose sync failed): cut them, so that they never count.
   */
  private async repairTail(): Promise<void> {
    if (!this.dirtyTail) return;
    const segment = this.segments[this.segments.length - 1];
    if (segment) {
      const handle = await this.activeHandle();
      await handle.truncate(segment.size);
      await handle.sync();
    }
    this.dirtyTail = false;
  }

  /** Drops entries from `index` on, from memory and disk. */
  private async truncateFrom(index: number): Promise<void> {
    const at = index - this.firstIndex();
    const { segment, position } = this.locations[at]!;
    let removed = false;
    while (this.segments[this.segments.length - 1] !== segment) {
      await this.closeActive();
      await unlink(this.segments.pop()!.path);
      removed = true;
    }
    if (removed) await syncDirectory(this.dir);
    const handle = await this.activeHandle();
    await handle.truncate(position);
    await handle.sync();
    segment.size = position;
    this.log.length = at;
    this.locations.length = at;
  }

  private async startSegment(base: number, prevTerm: number): Promise<Segment> {
    await this.closeActive();
    const path = join(this.dir, segmentName(base));
    const handle = await open(path, "w+", DATA_FILE_MODE);
    try {
      await writeAll(handle, segmentHeader(base, prevTerm), 0);
      await handle.sync();
      await syncDirectory(this.dir);
    } catch (err) {
      await handle.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
      throw err;
    }
    this.active = handle;
    const segment: Segment = { base, prevTerm, path, size: HEADER_BYTES };
    this.segments.push(segment);
    return segment;
  }

  private async activeHandle(): Promise<FileHandle> {
    if (!this.active) this.active = await open(this.segments[this.segments.length - 1]!.path, "r+");
    return this.active;
  }

  private async closeActive(): Promise<void> {
    const handle = this.active;
    this.active = null;
    await handle?.close();
  }

  setHardState(state: HardState): Promise<void> {
    return this.serialize("set the hard state", async () => {
      await writeAtomically(
        this.dir,
        HARD_STATE_FILE,
        frame(HARD_STATE_MAGIC, encodeHardState(state)),
      );
      this.hard = state;
    });
  }

  applySnapshot(snapshot: Snapshot): Promise<void> {
    return this.serialize("apply a snapshot", async () => {
      const { index, term } = snapshot.metadata;
      if (index <= this.snap.metadata.index) {
        throw new Error(
          `snapshot index ${index} is not newer than the stored snapshot's ${this.snap.metadata.index}`,
        );
      }
      await writeAtomically(
        this.dir,
        SNAPSHOT_FILE,
        frame(SNAPSHOT_MAGIC, encodeSnapshot(snapshot)),
      );
      this.snap = snapshot;
      await this.closeActive();
      for (const segment of this.segments.reverse()) await unlink(segment.path);
      this.dirtyTail = false;
      this.segments = [];
      this.log = [];
      this.locations = [];
      this.prevIndex = index;
      this.prevTerm = term;
      await this.startSegment(index + 1, term);
    });
  }

  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Promise<Snapshot> {
    return this.serialize("create a snapshot", async () => {
      if (index <= this.snap.metadata.index) {
        throw new Error(
          `snapshot index ${index} is not newer than the stored snapshot's ${this.snap.metadata.index}`,
        );
      }
      if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
      validateConfState(confState);
      const snapshot: Snapshot = { metadata: { index, term: this.term(index), confState }, data };
      await writeAtomically(
        this.dir,
        SNAPSHOT_FILE,
        frame(SNAPSHOT_MAGIC, encodeSnapshot(snapshot)),
      );
      this.snap = snapshot;
      return snapshot;
    });
  }

  compact(index: number): Promise<void> {
    return this.serialize("compact the log", async () => {
      if (index <= this.prevIndex) return;
      if (index > this.snap.metadata.index) {
        throw new Error(
          `cannot compact the log to ${index}: past the snapshot's index ${this.snap.metadata.index}`,
        );
      }
      this.prevTerm = this.term(index);
      const drop = index - this.prevIndex;
      this.log = this.log.slice(drop);
      this.locations = this.locations.slice(drop);
      this.prevIndex = index;
      // Whole segments below the compaction point go; the active one always stays.
      let removed = 0;
      while (this.segments.length > 1 && this.segments[1]!.base - 1 <= index) {
        await unlink(this.segments.shift()!.path);
        removed++;
      }
      if (removed > 0) await syncDirectory(this.dir);
    });
  }

  bootstrap(confState: ConfState): Promise<void> {
    return this.serialize("bootstrap", async () => {
      validateConfState(confState);
      if (!isPristine(this)) {
        throw new Error(`cannot bootstrap the Raft storage in ${this.dir}: it already has state`);
      }
      const snapshot = bootstrapSnapshot(confState);
      const snapshotFile = frame(SNAPSHOT_MAGIC, encodeSnapshot(snapshot));
      await writeAtomically(this.dir, SNAPSHOT_FILE, snapshotFile);
      this.snap = snapshot;
      this.prevIndex = 1;
      this.prevTerm = 1;
      const hardStateFile = frame(HARD_STATE_MAGIC, encodeHardState(BOOTSTRAP_HARD_STATE));
      await writeAtomically(this.dir, HARD_STATE_FILE, hardStateFile);
      this.hard = BOOTSTRAP_HARD_STATE;
    });
  }

  /** Waits for pending writes, then releases the files. Further writes are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.closeActive();
  }
}
