import { CorruptRecordError } from "./errors.js";
import { readAt } from "./file-io.js";
import { RECORD_HEADER_BYTES, recordEnd, recordProblem } from "./record-format.js";
import type { Segment } from "./segment.js";
import type { SegmentIndex } from "./segment-index.js";

const CHUNK_BYTES = 1024 * 1024;

/** One stored record as raw bytes: `bytes` is the whole record, header included. */
export interface RawRecord {
  offset: number;
  bytes: Buffer;
  body: Buffer;
}

/**
 * The records of a segment in offset order, read through its index in large chunks and
 * CRC-checked; a damaged record throws `CorruptRecordError`. Each yielded record's buffers are
 * valid until the next one is requested.
 */
export async function* segmentRecords(
  segment: Segment,
  index: SegmentIndex,
  size: number,
  /** Offsets to pass over unchecked (a damaged range being repaired). */
  except?: { from: number; to: number },
): AsyncGenerator<RawRecord> {
  const { relOffsets, positions, count } = index.view();
  let buffer = Buffer.allocUnsafe(0);
  let entry = 0;
  while (entry < count) {
    const start = positions[entry]!;
    let stop = entry + 1;
    while (stop < count && positions[stop]! - start < CHUNK_BYTES) stop++;
    const end = stop < count ? positions[stop]! : size;
    if (buffer.length < end - start) buffer = Buffer.allocUnsafe(end - start);
    const got = await readAt(segment.log, buffer, 0, end - start, start);
    for (; entry < stop; entry++) {
      const position = positions[entry]!;
      const spanEnd = entry + 1 < count ? positions[entry + 1]! : size;
      const offset = segment.baseOffset + relOffsets[entry]!;
      if (except && offset >= except.from && offset <= except.to) continue;
      const fail = (reason: string) =>
        new CorruptRecordError(segment.logPath, offset, position, reason);
      if (spanEnd - start > got) throw fail(`the file ends at ${start + got}, inside the record`);
      const at = position - start;
      const span = buffer.subarray(at, spanEnd - start);
      const problem = recordProblem(span, 0, span.length, offset);
      if (problem) throw fail(problem);
      const bytes = span.subarray(0, recordEnd(span, 0));
      yield { offset, bytes, body: bytes.subarray(RECORD_HEADER_BYTES) };
    }
  }
}
