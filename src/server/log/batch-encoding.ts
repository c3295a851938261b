import { crc32cRange } from "./crc32c-range.js";
import type { FramedRecords } from "./framed-records.js";
import {
  encodedRecordSize,
  encodeRecord,
  INDEX_ENTRY_BYTES,
  MAX_U32,
  MIN_RECORD_LENGTH,
  RECORD_FRAME_BYTES,
} from "./record-format.js";
import type { SegmentIndex } from "./segment-index.js";
import type { AppendRecord } from "./types.js";

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

/**
 * Checks one `append` call's records and returns their encoded size in bytes.
 * Throws an error naming the field, the value and what was expected.
 */
export function measureAppend(records: readonly AppendRecord[]): number {
  if (!Array.isArray(records) || records.length === 0) {
    throw new TypeError(
      `append: records must be a non-empty array, got ${Array.isArray(records) ? "[]" : typeof records}`,
    );
  }
  let bytes = 0;
  let previousOffset = -1;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const { offset, timestamp, leaderEpoch, body } = record;
    if (offset !== undefined) {
      if (!Number.isSafeInteger(offset) || offset <= previousOffset) {
        throw new TypeError(
          `append: records[${i}].offset is ${String(offset)}, expected an integer above ${previousOffset}`,
        );
      }
      previousOffset = offset;
    } else if (previousOffset >= 0) {
      previousOffset++;
    }
    if (typeof timestamp !== "bigint" || timestamp < MIN_INT64 || timestamp > MAX_INT64) {
      throw new TypeError(
        `append: records[${i}].timestamp is ${String(timestamp)}, expected a bigint in the signed 64-bit range`,
      );
    }
    if (!Number.isInteger(leaderEpoch) || leaderEpoch < 0 || leaderEpoch > MAX_U32) {
      throw new TypeError(
        `append: records[${i}].leaderEpoch is ${String(leaderEpoch)}, expected an integer from 0 to ${MAX_U32}`,
      );
    }
    if (!(body instanceof Uint8Array)) {
      throw new TypeError(`append: records[${i}].body is ${typeof body}, expected a Uint8Array`);
    }
    bytes += encodedRecordSize(body.length);
  }
  if (bytes > MAX_U32) {
    throw new RangeError(
      `append: the records take ${bytes} bytes, more than the ${MAX_U32} one append may take`,
    );
  }
  return bytes;
}

/**
 * Checks pre-framed records (see FramedRecords) and returns their size in bytes. Their layout
 * is checked record by record when they are written.
 */
export function measureFramed(framed: FramedRecords): number {
  const { bytes, count, timestamp, leaderEpoch } = framed;
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new TypeError(`appendFramed: count is ${String(count)}, expected at least 1 record`);
  }
  if (typeof timestamp !== "bigint" || timestamp < MIN_INT64 || timestamp > MAX_INT64) {
    throw new TypeError(
      `appendFramed: timestamp is ${String(timestamp)}, expected a bigint in the signed 64-bit range`,
    );
  }
  if (!Number.isInteger(leaderEpoch) || leaderEpoch < 0 || leaderEpoch > MAX_U32) {
    throw new TypeError(
      `appendFramed: leaderEpoch is ${String(leaderEpoch)}, expected an integer from 0 to ${MAX_U32}`,
    );
  }
  if (!Buffer.isBuffer(bytes) || bytes.length < count * encodedRecordSize(0)) {
    throw new TypeError(`appendFramed: ${count} records cannot fit in ${bytes?.length} bytes`);
  }
  if (bytes.length > MAX_U32) {
    throw new RangeError(
      `appendFramed: the records take ${bytes.length} bytes, more than the ${MAX_U32} one append may take`,
    );
  }
  return bytes.length;
}

/** One append waiting for a group write: record objects, or records framed by the caller. */
export type QueuedAppend =
  | {
      readonly records: readonly AppendRecord[];
      readonly framed?: undefined;
      /** Encoded size, from `measureAppend`. */
      readonly bytes: number;
    }
  | {
      readonly records?: undefined;
      readonly framed: FramedRecords;
      /** From `measureFramed`. */
      readonly bytes: number;
    };

function recordsOf(append: QueuedAppend): number {
  return append.framed ? append.framed.count : append.records.length;
}

function firstTimestampOf(append: QueuedAppend): bigint {
  return append.framed ? append.framed.timestamp : append.records[0]!.timestamp;
}

function lastTimestampOf(append: QueuedAppend): bigint {
  return append.framed ? append.framed.timestamp : append.records.at(-1)!.timestamp;
}

/** The bytes of one group write, ready for the active segment. */
export interface EncodedBatch {
  /** Records, back to back across the chunks, to be written at the segment's current size. */
  readonly chunks: readonly Buffer[];
  /** Bytes of all chunks. */
  readonly byteLength: number;
  /** Their index entries, to be written after the segment's current index entries. */
  readonly indexBytes: Buffer;
  readonly firstOffset: number;
  /** One past the last record's offset. */
  readonly nextOffset: number;
  readonly recordCount: number;
  readonly firstTimestamp: bigint;
  readonly lastTimestamp: bigint;
}

/** Where a batch goes: the active segment's current state. */
export interface BatchTarget {
  readonly baseOffset: number;
  readonly size: number;
  readonly nextOffset: number;
  readonly index: SegmentIndex;
}

/**
 * Encodes the records of several appends into chunks to be written back to back, and their
 * index entries into one buffer, filling the target index's pending (not yet visible) entries
 * as it goes. Record objects are encoded into the scratch buffer; pre-framed records are
 * written from their own buffers (no copy), once their offset, timestamp, leader epoch and
 * CRC are filled in.
 */
export function encodeBatch(
  appends: readonly QueuedAppend[],
  totalBytes: number,
  target: BatchTarget,
  scratch: WriteScratch,
): EncodedBatch {
  let recordCount = 0;
  let framedBytes = 0;
  for (const append of appends) {
    recordCount += recordsOf(append);
    if (append.framed) framedBytes += append.bytes;
  }
  const bytes = scratch.records.take(totalBytes - framedBytes);
  const chunks: Buffer[] = [];
  // Record objects are encoded at `at` in `bytes`; those since `chunkStart` are not a chunk
  // yet. `written` counts the bytes of the chunks so far.
  let chunkStart = 0;
  let at = 0;
  let written = 0;
  const indexBytes = scratch.index.take(recordCount * INDEX_ENTRY_BYTES);
  const indexView = new DataView(indexBytes.buffer, indexBytes.byteOffset, indexBytes.length);
  const { baseOffset, index } = target;
  let offset = target.nextOffset;
  let firstOffset: number | undefined;
  let entry = 0;
  for (const append of appends) {
    if (append.framed) {
      const { framed } = append;
      if (at > chunkStart) {
        chunks.push(bytes.subarray(chunkStart, at));
        written += at - chunkStart;
        chunkStart = at;
      }
      if (offset - baseOffset + framed.count - 1 > MAX_U32) {
        throw new RangeError(
          `append: offsets up to ${offset + framed.count - 1} are too far past the segment base ${baseOffset}`,
        );
      }
      firstOffset ??= offset;
      const position = target.size + written;
      stampFramed(framed, offset, baseOffset, position, index, entry, indexView);
      chunks.push(framed.bytes);
      written += framed.bytes.length;
      offset += framed.count;
      entry += framed.count;
      continue;
    }
    for (const record of append.records) {
      if (record.offset !== undefined) {
        if (record.offset < offset || record.offset - baseOffset > MAX_U32) {
          throw new RangeError(
            `append: record offset ${record.offset} is below the log's next offset ${offset} or too far past the segment base ${baseOffset}`,
          );
        }
        offset = record.offset;
      }
      firstOffset ??= offset;
      const relOffset = offset - baseOffset;
      const position = target.size + written + (at - chunkStart);
      index.setPending(entry, relOffset, position);
      indexView.setUint32(entry * INDEX_ENTRY_BYTES, relOffset);
      indexView.setUint32(entry * INDEX_ENTRY_BYTES + 4, position);
      at = encodeRecord(bytes, at, offset, record.timestamp, record.leaderEpoch, record.body);
      offset++;
      entry++;
    }
  }
  if (at > chunkStart) {
    chunks.push(bytes.subarray(chunkStart, at));
    written += at - chunkStart;
  }
  return {
    chunks,
    byteLength: written,
    indexBytes,
    firstOffset: firstOffset ?? target.nextOffset,
    nextOffset: offset,
    recordCount,
    firstTimestamp: firstTimestampOf(appends[0]!),
    lastTimestamp: lastTimestampOf(appends.at(-1)!),
  };
}

const TWO_POW_32 = 2 ** 32;

/**
 * Fills offset, timestamp, leader epoch and CRC of framed records numbered from `firstOffset`
 * that go at `segmentPosition`, and their index entries from entry `firstEntry` on. Throws if
 * their length fields do not tile the buffer into exactly `framed.count` records.
 */
function stampFramed(
  framed: FramedRecords,
  firstOffset: number,
  baseOffset: number,
  segmentPosition: number,
  index: SegmentIndex,
  firstEntry: number,
  indexView: DataView,
): void {
  const { bytes } = framed;
  const end = bytes.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const timestampHigh = Number(BigInt.asIntN(32, framed.timestamp >> 32n));
  const timestampLow = Number(BigInt.asUintN(32, framed.timestamp));
  const { leaderEpoch, count } = framed;
  let at = 0;
  for (let i = 0; i < count; i++) {
    const length = at + RECORD_FRAME_BYTES <= end ? view.getUint32(at + 4) : -1;
    const next = at + RECORD_FRAME_BYTES + length;
    if (length < MIN_RECORD_LENGTH || next > end) {
      throw new RangeError(`appendFramed: record ${i} of ${count} is not well framed`);
    }
    const offset = firstOffset + i;
    view.setUint32(at + 8, Math.floor(offset / TWO_POW_32));
    view.setUint32(at + 12, offset >>> 0);
    view.setInt32(at + 16, timestampHigh);
    view.setUint32(at + 20, timestampLow);
    view.setUint32(at + 24, leaderEpoch);
    view.setUint32(at, crc32cRange(bytes, at + 4, next));
    const relOffset = offset - baseOffset;
    const position = segmentPosition + at;
    const e = firstEntry + i;
    index.setPending(e, relOffset, position);
    indexView.setUint32(e * INDEX_ENTRY_BYTES, relOffset);
    indexView.setUint32(e * INDEX_ENTRY_BYTES + 4, position);
    at = next;
  }
  if (at !== end) {
    throw new RangeError(`appendFramed: ${count} records end at byte ${at} of ${end}`);
  }
}

/** Reusable write buffers: one group write runs at a time, so batches can share them. */
export class WriteScratch {
  readonly records = new ScratchBuffer(4 * 1024 * 1024);
  readonly index = new ScratchBuffer(512 * 1024);
}

class ScratchBuffer {
  private buffer = Buffer.allocUnsafe(0);

  /** Largest buffer kept for reuse; bigger requests get a buffer of their own. */
  constructor(private readonly keepBytes: number) {}

  take(size: number): Buffer {
    if (size > this.keepBytes) return Buffer.allocUnsafe(size);
    if (this.buffer.length < size) {
      this.buffer = Buffer.allocUnsafe(
        Math.min(Math.max(size, this.buffer.length * 2), this.keepBytes),
      );
    }
    return this.buffer.subarray(0, size);
  }
}
