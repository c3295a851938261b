import { encodeMessageEnvelopeFields } from "../../wire/api.js";
import { CorruptRecordError, type StoredRecord } from "../log/index.js";
import type { PartitionReader } from "./reader-view.js";

/** Where a subscription writes: `write` returns false when the peer needs time to drain. */
export interface RecordSink {
  write(frame: Buffer): boolean;
  drained(): Promise<void>;
}

const READ_BATCH_BYTES = 256 * 1024;

/**
 * Streams committed records from `start` to the sink in stored wire form: each message is
 * its fields 1, 4, 5, 6 (offset, timestamp, stream, partition) followed by the stored body,
 * so nothing is decoded or re-encoded on the way out. Waits for new commits when caught up.
 * Returns "stopped" once `stop` (an offset; undefined follows forever) has been sent,
 * "readonly" at the end of a read-only partition, or "aborted".
 */
export async function streamCommitted(
  partition: PartitionReader,
  start: number,
  stop: number | undefined,
  sink: RecordSink,
  signal: AbortSignal,
): Promise<"stopped" | "readonly" | "aborted"> {
  const streamName = partition.stream.name;
  let next = start;
  while (!signal.aborted) {
    if (stop !== undefined && next > stop) return "stopped";
    const upTo = stop ?? Number.MAX_SAFE_INTEGER;
    const records = await readUpToDamage(partition, next, upTo);
    if (records.length === 0) {
      if (partition.readonly && next > partition.highWatermark) return "readonly";
      await partition.waitForCommit(next, signal);
      continue;
    }
    for (const record of records) {
      if (signal.aborted) return "aborted";
      const prefix = encodeMessageEnvelopeFields(
        record.offset,
        record.timestamp,
        streamName,
        partition.id,
      );
      const body = partition.cipher ? partition.cipher.openBody(record.body) : record.body;
      const frame = Buffer.allocUnsafe(prefix.length + body.length);
      frame.set(prefix, 0);
      frame.set(body, prefix.length);
      if (!sink.write(frame)) await sink.drained();
    }
    next = records[records.length - 1]!.offset + 1;
  }
  return "aborted";
}

/**
 * Reads a batch; when it holds a damaged record, returns the good records before it first,
 * so the damage surfaces (as CorruptRecordError) exactly at its offset on the next read.
 */
async function readUpToDamage(
  partition: PartitionReader,
  from: number,
  upTo: number,
): Promise<StoredRecord[]> {
  try {
    return await partition.read(from, READ_BATCH_BYTES, upTo);
  } catch (err) {
    if (!(err instanceof CorruptRecordError) || err.offset <= from) throw err;
    return partition.read(from, READ_BATCH_BYTES, Math.min(upTo, err.offset - 1));
  }
}
