import { MESSAGE_CHUNK_BYTES, MessageFrames } from "../../wire/message-frames.js";
import { CorruptRecordError, type StoredRecord } from "../log/index.js";
import type { PartitionReader } from "./reader-view.js";

/**
 * Where a subscription writes: Buffers of whole gRPC length-prefixed messages. `write` returns
 * false when the peer needs time to drain; `largestMessage` is the largest message in `frames`.
 */
export interface RecordSink {
  write(frames: Buffer, largestMessage: number): boolean;
  drained(): Promise<void>;
}

const READ_BATCH_BYTES = 256 * 1024;

/**
 * Streams committed records from `start` to the sink in stored wire form: each message is
 * its fields 1, 4, 5, 6 (offset, timestamp, stream, partition) followed by the stored body,
 * so nothing is decoded or re-encoded on the way out. Messages go out framed, in chunks of
 * about MESSAGE_CHUNK_BYTES and at the end of each read. Waits for new commits when caught up.
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
  const frames = new MessageFrames(partition.stream.name, partition.id);
  const send = async () => {
    const largest = frames.largestMessage;
    const chunk = frames.take();
    if (chunk && !sink.write(chunk, largest)) await sink.drained();
  };
  const upTo = stop ?? Number.MAX_SAFE_INTEGER;
  let next = start;
  // The read of the records after the batch being sent: started before that batch is framed,
  // so the disk (and the thread pool) work while the peer receives. One batch at most.
  let ahead: Promise<StoredRecord[]> | undefined;
  while (!signal.aborted) {
    if (stop !== undefined && next > stop) return "stopped";
    const records = await (ahead ?? readUpToDamage(partition, next, upTo));
    ahead = undefined;
    if (signal.aborted) return "aborted";
    if (records.length === 0) {
      if (partition.readonly && next > partition.highWatermark) return "readonly";
      await partition.waitForCommit(next, signal);
      continue;
    }
    next = records[records.length - 1]!.offset + 1;
    if (next <= Math.min(upTo, partition.highWatermark)) ahead = readAhead(partition, next, upTo);
    const cipher = partition.cipher;
    for (const record of records) {
      frames.append(
        record.offset,
        record.timestamp,
        cipher ? cipher.openBody(record.body) : record.body,
      );
      if (frames.pendingBytes >= MESSAGE_CHUNK_BYTES) {
        await send();
        if (signal.aborted) return "aborted";
      }
    }
    await send();
  }
  return "aborted";
}

/**
 * readUpToDamage started now and awaited later, or never (the subscription may end first):
 * its failure is thrown where it is awaited, and is not an unhandled rejection otherwise.
 */
function readAhead(partition: PartitionReader, from: number, upTo: number) {
  const read = readUpToDamage(partition, from, upTo);
  read.catch(() => undefined);
  return read;
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
