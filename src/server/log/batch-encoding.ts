import { encodedRecordSize, encodeRecord, INDEX_ENTRY_BYTES, MAX_U32 } from "./record-format.js";
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

export interface QueuedAppend {
  readonly records: readonly AppendRecord[];
  /** Encoded size, from `measureAppend`. */
  readonly bytes: number;
}

/** The bytes of one group write, ready for the active segment. */
export interface EncodedBatch {
  /** Records, back to back, to be written at the segment's current size. */
  readonly bytes: Buffer;
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
 * Encodes the records of several appends into one contiguous buffer, and their index entries
 * into another, filling the target index's pending (not yet visible) entries as it goes.
 */
export function encodeBatch(
  appends: readonly QueuedAppend[],
  totalBytes: number,
  target: BatchTarget,
  scratch: WriteScratch,
): EncodedBatch {
  let recordCount = 0;
  for (const append of appends) recordCount += append.records.length;
  const bytes = scratch.records.take(totalBytes);
  const indexBytes = scratch.index.take(recordCount * INDEX_ENTRY_BYTES);
  const { baseOffset, index } = target;
  let at = 0;
  let offset = target.nextOffset;
  let firstOffset: number | undefined;
  let entry = 0;
  for (const append of appends) {
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
      const position = target.size + at;
      index.setPending(entry, relOffset, position);
      indexBytes.writeUInt32BE(relOffset, entry * INDEX_ENTRY_BYTES);
      indexBytes.writeUInt32BE(position, entry * INDEX_ENTRY_BYTES + 4);
      at = encodeRecord(bytes, at, offset, record.timestamp, record.leaderEpoch, record.body);
      offset++;
      entry++;
    }
  }
  return {
    bytes,
    indexBytes,
    firstOffset: firstOffset ?? target.nextOffset,
    nextOffset: offset,
    recordCount,
    firstTimestamp: appends[0]!.records[0]!.timestamp,
    lastTimestamp: appends.at(-1)!.records.at(-1)!.timestamp,
  };
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
