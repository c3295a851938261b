/**
 * On-disk layout of one record in a segment's `.log` file. All integers are big-endian.
 *
 *   0  crc32c       u32  CRC-32C of bytes 4 .. end of record
 *   4  length       u32  bytes after this field: 20 + body length
 *   8  offset       i64
 *  16  timestamp    i64  nanoseconds, assigned by the caller
 *  24  leaderEpoch  u32
 *  28  body         opaque bytes
 *
 * A segment's `.index` file is a sequence of 8-byte entries, one per record, in offset order:
 * offset - segment base (u32) | position of the record in the `.log` file (u32).
 */
import { crc32cRange } from "./crc32c-range.js";

export const RECORD_HEADER_BYTES = 28;
/** The crc and length fields, which the length field does not count. */
export const RECORD_FRAME_BYTES = 8;
/** The smallest valid length field: offset, timestamp and leader epoch with an empty body. */
export const MIN_RECORD_LENGTH = RECORD_HEADER_BYTES - RECORD_FRAME_BYTES;
export const INDEX_ENTRY_BYTES = 8;
export const MAX_U32 = 0xffffffff;

const LENGTH_AT = 4;
const OFFSET_AT = 8;
const TIMESTAMP_AT = 16;
const EPOCH_AT = 24;
const TWO_POW_32 = 2 ** 32;

export function encodedRecordSize(bodyLength: number): number {
  return RECORD_HEADER_BYTES + bodyLength;
}

/** Writes one complete record (header, body and CRC) at `at` and returns the position after it. */
export function encodeRecord(
  target: Buffer,
  at: number,
  offset: number,
  timestamp: bigint,
  leaderEpoch: number,
  body: Uint8Array,
): number {
  const end = at + RECORD_HEADER_BYTES + body.length;
  target.writeUInt32BE(end - at - RECORD_FRAME_BYTES, at + LENGTH_AT);
  writeOffset(target, at + OFFSET_AT, offset);
  target.writeBigInt64BE(timestamp, at + TIMESTAMP_AT);
  target.writeUInt32BE(leaderEpoch, at + EPOCH_AT);
  target.set(body, at + RECORD_HEADER_BYTES);
  target.writeUInt32BE(recordCrc(target, at, end), at);
  return end;
}

/** The CRC a record spanning `[start, end)` of `source` should carry. */
export function recordCrc(source: Buffer, start: number, end: number): number {
  return crc32cRange(source, start + LENGTH_AT, end);
}

export function storedCrc(source: Buffer, start: number): number {
  return source.readUInt32BE(start);
}

export function readLength(source: Buffer, start: number): number {
  return source.readUInt32BE(start + LENGTH_AT);
}

export function readOffset(source: Buffer, start: number): number {
  const high = source.readInt32BE(start + OFFSET_AT);
  return high * TWO_POW_32 + source.readUInt32BE(start + OFFSET_AT + 4);
}

export function readTimestamp(source: Buffer, start: number): bigint {
  return source.readBigInt64BE(start + TIMESTAMP_AT);
}

/** Position of the timestamp field within a record, for reading it alone. */
export const TIMESTAMP_FIELD_AT = TIMESTAMP_AT;

export function readLeaderEpoch(source: Buffer, start: number): number {
  return source.readUInt32BE(start + EPOCH_AT);
}

// Offsets are JavaScript numbers (safe up to 2^53), so the i64 is written as two u32 halves
// rather than through a BigInt per record.
function writeOffset(target: Buffer, at: number, offset: number): void {
  target.writeUInt32BE(Math.floor(offset / TWO_POW_32), at);
  target.writeUInt32BE(offset % TWO_POW_32, at + 4);
}

/**
 * Why the bytes `[start, end)` are not an intact record carrying `offset`, or undefined if
 * they are: the one check every reader of indexed records shares (index spans, CRC, offset).
 * The record may end before `end` (its length field says where) when bad bytes the index
 * skips follow it; `recordEnd` gives that end.
 */
export function recordProblem(
  source: Buffer,
  start: number,
  end: number,
  offset: number,
): string | undefined {
  const span = end - start - RECORD_FRAME_BYTES;
  if (end - start < RECORD_HEADER_BYTES) return `only ${end - start} bytes, less than a header`;
  const length = readLength(source, start);
  if (length > span || length < MIN_RECORD_LENGTH)
    return `length field is ${length}, but the record spans ${span} bytes after it`;
  const stop = start + RECORD_FRAME_BYTES + length;
  if (recordCrc(source, start, stop) !== storedCrc(source, start)) return "CRC-32C mismatch";
  const carried = readOffset(source, start);
  if (carried !== offset) return `record carries offset ${carried}, the index says ${offset}`;
  return undefined;
}

/** Where the record at `start` ends, by its length field. */
export function recordEnd(source: Buffer, start: number): number {
  return start + RECORD_FRAME_BYTES + readLength(source, start);
}
