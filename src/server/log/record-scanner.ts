import { readAt } from "./file-io.js";
import type { LogFile } from "./file-system.js";
import {
  MAX_U32,
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
import { SegmentIndex } from "./segment-index.js";

const SCAN_CHUNK_BYTES = 1024 * 1024;

export interface ScanOptions {
  baseOffset: number;
  /** Position to start at: 0, or the end of a prefix already known to be good. */
  from: number;
  /** Size of the file; scanning stops here. */
  end: number;
  /** The smallest offset the first scanned record may carry; later ones must increase. */
  minOffset: number;
  /** Check each record's CRC, not only its framing and offset. */
  verifyCrc: boolean;
  /** Entries of the known-good prefix, extended in place; a fresh index when absent. */
  index?: SegmentIndex;
  /**
   * Past a bad record, look for the next valid one and go on from there, so that damage in
   * the middle of a segment is told apart from a torn tail (nothing valid after it).
   */
  resync?: boolean;
}

/** Bad bytes followed by valid records: offsets `[fromOffset, toOffset]` are unreadable. */
export interface ScanGap {
  /** Where the bad bytes start, and the offset expected there. */
  position: number;
  fromOffset: number;
  /** Where the next valid record starts, and one before its offset. */
  endPosition: number;
  toOffset: number;
  reason: string;
}

export interface EpochStart {
  epoch: number;
  startOffset: number;
}

export interface ScanResult {
  index: SegmentIndex;
  /** Position just after the last valid record. */
  validEnd: number;
  /** One past the offset of the last valid record (`minOffset` when none was found). */
  nextOffset: number;
  /** Timestamp of the first valid scanned record. */
  firstTimestamp?: bigint;
  /** Timestamp of the last valid scanned record. */
  lastTimestamp?: bigint;
  /** Where the leader epoch changes among the scanned records (the first record included). */
  epochStarts: EpochStart[];
  /** Bytes read from the file. */
  scannedBytes: number;
  /** Where and why scanning stopped before `end`. */
  damage?: { position: number; offset: number; reason: string };
  /** With `resync`: bad records that valid ones follow, oldest first. */
  gaps: ScanGap[];
}

/**
 * Walks the records of a segment file from `from` to `end` in large sequential reads,
 * indexing each one, and stops at the first record that is torn (runs past the end of the
 * file), badly framed, out of offset order or (with `verifyCrc`) fails its CRC.
 */
export async function scanRecords(file: LogFile, options: ScanOptions): Promise<ScanResult> {
  const { baseOffset, end, verifyCrc } = options;
  const index = options.index ?? new SegmentIndex();
  let buffer = Buffer.allocUnsafe(Math.min(SCAN_CHUNK_BYTES, Math.max(end - options.from, 0)));
  let bufferStart = 0;
  let bufferEnd = 0;
  let scannedBytes = 0;

  // Makes bytes [position, position + length) available in `buffer`.
  const load = async (position: number, length: number): Promise<boolean> => {
    if (position >= bufferStart && position + length <= bufferEnd) return true;
    const want = Math.min(Math.max(length, SCAN_CHUNK_BYTES), end - position);
    if (want < length) return false;
    if (buffer.length < want) buffer = Buffer.allocUnsafe(want);
    const got = await readAt(file, buffer, 0, want, position);
    scannedBytes += got;
    bufferStart = position;
    bufferEnd = position + got;
    return got >= length;
  };

  let position = options.from;
  let nextOffset = options.minOffset;
  let firstTimestamp: bigint | undefined;
  let lastTimestamp: bigint | undefined;
  const epochStarts: EpochStart[] = [];
  const gaps: ScanGap[] = [];
  const stop = (reason: string): ScanResult => ({
    index,
    validEnd: position,
    nextOffset,
    firstTimestamp,
    lastTimestamp,
    epochStarts,
    scannedBytes,
    damage: { position, offset: nextOffset, reason },
    gaps,
  });

  // Why the bytes at `at` are not a valid record carrying an offset >= `minOffset`.
  const problemAt = async (
    at: number,
    minOffset: number,
    crc: boolean,
  ): Promise<string | undefined> => {
    if (!(await load(at, RECORD_HEADER_BYTES))) {
      return `torn record header: ${end - at} bytes left in the file`;
    }
    let i = at - bufferStart;
    const length = readLength(buffer, i);
    if (length < MIN_RECORD_LENGTH) {
      return `length field ${length} is below the minimum ${MIN_RECORD_LENGTH}`;
    }
    const recordEnd = at + RECORD_FRAME_BYTES + length;
    if (at > MAX_U32) {
      return `record starts at position ${at}, beyond what an index entry can address`;
    }
    if (recordEnd > end) {
      return `torn record: its length ${length} runs ${recordEnd - end} bytes past the file`;
    }
    // Cheap checks before loading the body: a resync probes every byte position.
    const offset = readOffset(buffer, i);
    if (offset < minOffset || offset - baseOffset > MAX_U32) {
      return `record carries offset ${offset}, expected at least ${minOffset}`;
    }
    if (!(await load(at, recordEnd - at))) return "the file ended while reading the record";
    i = at - bufferStart;
    if (crc && recordCrc(buffer, i, i + recordEnd - at) !== storedCrc(buffer, i)) {
      return "CRC-32C mismatch";
    }
    return undefined;
  };

  // The position of the first valid record at or after `from` carrying an offset >= `minOffset`.
  const nextValidRecord = async (from: number, minOffset: number): Promise<number | undefined> => {
    for (let at = from; at + RECORD_HEADER_BYTES <= end; at++) {
      if (at < bufferStart || at + RECORD_HEADER_BYTES > bufferEnd) {
        if (!(await load(at, RECORD_HEADER_BYTES))) return undefined;
      }
      // Cheap rejections first, on the bytes at hand: most positions fail them.
      const i = at - bufferStart;
      const length = readLength(buffer, i);
      if (length < MIN_RECORD_LENGTH || at + RECORD_FRAME_BYTES + length > end) continue;
      const offset = readOffset(buffer, i);
      if (offset < minOffset || offset - baseOffset > MAX_U32) continue;
      if (!(await problemAt(at, minOffset, true))) return at;
    }
    return undefined;
  };

  while (position < end) {
    const problem = await problemAt(position, nextOffset, verifyCrc);
    if (problem) {
      if (!options.resync) return stop(problem);
      const next = await nextValidRecord(position + 1, nextOffset);
      if (next === undefined) return stop(problem);
      const at = next - bufferStart;
      gaps.push({
        position,
        fromOffset: nextOffset,
        endPosition: next,
        toOffset: readOffset(buffer, at) - 1,
        reason: problem,
      });
      position = next;
      continue;
    }
    const at = position - bufferStart;
    const recordEnd = position + RECORD_FRAME_BYTES + readLength(buffer, at);
    const offset = readOffset(buffer, at);
    lastTimestamp = readTimestamp(buffer, at);
    firstTimestamp ??= lastTimestamp;
    const epoch = readLeaderEpoch(buffer, at);
    if (epochStarts.at(-1)?.epoch !== epoch) epochStarts.push({ epoch, startOffset: offset });
    index.push(offset - baseOffset, position);
    nextOffset = offset + 1;
    position = recordEnd;
  }
  return {
    index,
    validEnd: position,
    nextOffset,
    firstTimestamp,
    lastTimestamp,
    epochStarts,
    scannedBytes,
    gaps,
  };
}
