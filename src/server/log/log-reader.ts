import { CorruptRecordError } from "./errors.js";
import { readAt } from "./file-io.js";
import {
  RECORD_HEADER_BYTES,
  readLeaderEpoch,
  readTimestamp,
  recordEnd,
  recordProblem,
  TIMESTAMP_FIELD_AT,
} from "./record-format.js";
import { damageError, type Segment, type SegmentSnapshot } from "./segment.js";
import { firstEntryAtOrAfter } from "./segment-index.js";
import type { StoredRecord } from "./types.js";

/** Visible records of a segment: synchronous for the active one, loaded for sealed ones. */
export type SnapshotSource = (segment: Segment) => SegmentSnapshot | Promise<SegmentSnapshot>;

/** A run of consecutive records of one segment that a read returns. */
interface Slice {
  segment: Segment;
  snapshot: SegmentSnapshot;
  firstEntry: number;
  endEntry: number;
  /** Position of the run in the segment file. */
  start: number;
  end: number;
  /** Where the run lands in the read's buffer, and how much of it the file delivered. */
  at: number;
  got: number;
}

/**
 * Records with offsets in `[from, last]` (the first one at or after `from`), in order, while
 * their stored size (header + body) stays within `maxBytes`; the first record is returned
 * even when it alone is larger. One buffer is allocated per call and filled by positional
 * reads; records are sliced out of it and CRC-checked.
 */
export async function readRecords(
  segments: readonly Segment[],
  snapshotOf: SnapshotSource,
  from: number,
  maxBytes: number,
  last: number,
): Promise<StoredRecord[]> {
  const slices: Slice[] = [];
  let total = 0;
  let done = false;
  for (let s = segmentIndexFor(segments, from); s < segments.length && !done; s++) {
    const segment = segments[s]!;
    if (segment.baseOffset > last) break;
    const snapshot = await snapshotOf(segment);
    const { relOffsets, positions, count } = snapshot.view;
    const firstEntry = firstEntryAtOrAfter(snapshot.view, from - segment.baseOffset);
    let entry = firstEntry;
    for (; entry < count; entry++) {
      if (segment.baseOffset + relOffsets[entry]! > last) {
        done = true;
        break;
      }
      const size = entryEnd(snapshot, entry) - positions[entry]!;
      if (total > 0 && total + size > maxBytes) {
        done = true;
        break;
      }
      total += size;
    }
    // Past the valid prefix of a damaged segment: fail rather than skip to the next segment.
    const damage = entry === count && !done ? damageError(segment) : undefined;
    if (damage) {
      if (total === 0) throw damage;
      done = true;
    }
    if (entry > firstEntry) {
      const start = positions[firstEntry]!;
      const end = entryEnd(snapshot, entry - 1);
      slices.push({ segment, snapshot, firstEntry, endEntry: entry, start, end, at: 0, got: 0 });
    }
  }
  if (slices.length === 0) return [];

  const buffer = Buffer.allocUnsafe(total);
  let at = 0;
  for (const slice of slices) {
    slice.at = at;
    at += slice.end - slice.start;
  }
  await Promise.all(
    slices.map(async (slice) => {
      const length = slice.end - slice.start;
      slice.got = await readAt(slice.segment.log, buffer, slice.at, length, slice.start);
    }),
  );

  const records: StoredRecord[] = [];
  for (const slice of slices) decodeSlice(buffer, slice, records);
  return records;
}

function decodeSlice(buffer: Buffer, slice: Slice, into: StoredRecord[]): void {
  const { segment, snapshot } = slice;
  const { relOffsets, positions } = snapshot.view;
  for (let entry = slice.firstEntry; entry < slice.endEntry; entry++) {
    const position = positions[entry]!;
    const end = entryEnd(snapshot, entry);
    const offset = segment.baseOffset + relOffsets[entry]!;
    if (end - slice.start > slice.got) {
      throw new CorruptRecordError(
        segment.logPath,
        offset,
        position,
        `the file ends at ${slice.start + slice.got}, before the record's end ${end}`,
      );
    }
    const start = slice.at + position - slice.start;
    const stop = slice.at + end - slice.start;
    const problem = recordProblem(buffer, start, stop, offset);
    if (problem) throw new CorruptRecordError(segment.logPath, offset, position, problem);
    into.push({
      offset,
      timestamp: readTimestamp(buffer, start),
      leaderEpoch: readLeaderEpoch(buffer, start),
      body: buffer.subarray(start + RECORD_HEADER_BYTES, recordEnd(buffer, start)),
    });
  }
}

/**
 * The first offset whose record's timestamp is >= `timestamp`, or `nextOffset` if none.
 * Relies on timestamps never decreasing along the log: it binary-searches segments by their
 * first timestamp, then the records of one segment by reading single timestamps.
 */
export async function findOffsetForTimestamp(
  segments: readonly Segment[],
  snapshotOf: SnapshotSource,
  timestamp: bigint,
  nextOffset: number,
): Promise<number> {
  const withRecords = segments.filter((segment) => segment.firstTimestamp !== undefined);
  if (withRecords.length === 0) return nextOffset;
  const firstOffsetOf = async (segment: Segment) =>
    segment.baseOffset + (await snapshotOf(segment)).view.relOffsets[0]!;

  // The last segment starting before `timestamp`; the answer lies in it or just after it.
  let low = 0;
  let high = withRecords.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (withRecords[mid]!.firstTimestamp! < timestamp) low = mid + 1;
    else high = mid;
  }
  if (low === 0) return firstOffsetOf(withRecords[0]!);
  const segment = withRecords[low - 1]!;
  const snapshot = await snapshotOf(segment);
  const { relOffsets, positions, count } = snapshot.view;
  const field = Buffer.allocUnsafe(8);
  // Entry 0 is known to be earlier than `timestamp`.
  let first = 1;
  let past = count;
  while (first < past) {
    const mid = (first + past) >>> 1;
    const got = await readAt(segment.log, field, 0, 8, positions[mid]! + TIMESTAMP_FIELD_AT);
    if (got < 8) {
      throw new CorruptRecordError(
        segment.logPath,
        segment.baseOffset + relOffsets[mid]!,
        positions[mid]!,
        "the file ends inside the record's header",
      );
    }
    if (field.readBigInt64BE(0) < timestamp) first = mid + 1;
    else past = mid;
  }
  if (first < count) return segment.baseOffset + relOffsets[first]!;
  if (low < withRecords.length) return firstOffsetOf(withRecords[low]!);
  // The snapshot may hold records appended after `nextOffset` was taken.
  return Math.max(nextOffset, segment.baseOffset + relOffsets[count - 1]! + 1);
}

/** Position where entry `entry`'s record ends: the next entry's position, or the segment's size. */
function entryEnd(snapshot: SegmentSnapshot, entry: number): number {
  const { positions, count } = snapshot.view;
  return entry + 1 < count ? positions[entry + 1]! : snapshot.size;
}

/** The segment holding `offset`: the last one whose base is <= it (the first if none). */
function segmentIndexFor(segments: readonly Segment[], offset: number): number {
  let low = 0;
  let high = segments.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >>> 1;
    if (segments[mid]!.baseOffset <= offset) low = mid;
    else high = mid - 1;
  }
  return low;
}
