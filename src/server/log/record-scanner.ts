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
  const stop = (reason: string): ScanResult => ({
    index,
    validEnd: position,
    nextOffset,
    firstTimestamp,
    lastTimestamp,
    epochStarts,
    scannedBytes,
    damage: { position, offset: nextOffset, reason },
  });

  while (position < end) {
    if (!(await load(position, RECORD_HEADER_BYTES))) {
      return stop(`torn record header: ${end - position} bytes left in the file`);
    }
    let at = position - bufferStart;
    const length = readLength(buffer, at);
    if (length < MIN_RECORD_LENGTH) {
      return stop(`length field ${length} is below the minimum ${MIN_RECORD_LENGTH}`);
    }
    const recordEnd = position + RECORD_FRAME_BYTES + length;
    if (position > MAX_U32) {
      return stop(`record starts at position ${position}, beyond what an index entry can address`);
    }
    if (recordEnd > end) {
      return stop(`torn record: its length ${length} runs ${recordEnd - end} bytes past the file`);
    }
    if (!(await load(position, recordEnd - position))) {
      return stop("the file ended while reading the record");
    }
    at = position - bufferStart;
    if (verifyCrc && recordCrc(buffer, at, at + recordEnd - position) !== storedCrc(buffer, at)) {
      return stop("CRC-32C mismatch");
    }
    const offset = readOffset(buffer, at);
    if (offset < nextOffset || offset - baseOffset > MAX_U32) {
      return stop(`record carries offset ${offset}, expected at least ${nextOffset}`);
    }
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
  };
}
