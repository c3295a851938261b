import { encodeMessageEnvelopeFields } from "../../wire/api.js";
import type { Partition } from "./partition.js";

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
 * Returns "stopped" once `stop` (an offset; undefined follows forever) has been sent, or "aborted".
 */
export async function streamCommitted(
  partition: Partition,
  start: number,
  stop: number | undefined,
  sink: RecordSink,
  signal: AbortSignal,
): Promise<"stopped" | "aborted"> {
  const streamName = partition.stream.name;
  let next = start;
  while (!signal.aborted) {
    if (stop !== undefined && next > stop) return "stopped";
    const upTo = stop ?? Number.MAX_SAFE_INTEGER;
    const records = await partition.read(next, READ_BATCH_BYTES, upTo);
    if (records.length === 0) {
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
      const frame = Buffer.allocUnsafe(prefix.length + record.body.length);
      frame.set(prefix, 0);
      frame.set(record.body, prefix.length);
      if (!sink.write(frame)) await sink.drained();
    }
    next = records[records.length - 1]!.offset + 1;
  }
  return "aborted";
}
