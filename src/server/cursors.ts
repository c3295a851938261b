import pb from "google-protobuf";
import { partitionForKey } from "../client/partitioner.js";
import { AckPolicy, decodeMessage } from "../wire/api.js";
import type { ApiContext } from "./api/context.js";
import { resumeIfPaused } from "./api/lifecycle.js";
import { publish } from "./api/publish.js";
import { failedPrecondition, internal, invalidArgument, unavailable } from "./api/status.js";
import { checkStreamName, validateId } from "./api/validate.js";
import { nowNanos } from "./clock.js";
import { placePartitions } from "./metadata/placement.js";
import type { StreamInfo } from "./metadata/types.js";

export const CURSORS_STREAM = "__cursors";
const CURSOR_TIMEOUT_MS = 5000;
const SCAN_BATCH_BYTES = 1024 * 1024;

const { BinaryReader, BinaryWriter } = pb;

/** The value stored for a cursor: upstream's internal `Cursor` message. */
interface Cursor {
  stream: string;
  partition: number;
  cursorId: string;
  offset: number;
}

function encodeCursor(c: Cursor): Uint8Array {
  const w = new BinaryWriter();
  if (c.stream) w.writeString(1, c.stream);
  if (c.partition) w.writeInt32(2, c.partition);
  if (c.cursorId) w.writeString(3, c.cursorId);
  if (c.offset) w.writeInt64(4, c.offset);
  return w.getResultBuffer();
}

function decodeCursorOffset(b: Uint8Array): number {
  const r = new BinaryReader(b);
  let offset = 0;
  while (r.nextField() && !r.isEndGroup()) {
    if (r.getFieldNumber() === 4) offset = r.readInt64();
    else r.skipField();
  }
  return offset;
}

/**
 * Consumer cursors, as upstream stores them: records in the internal, compacted `__cursors`
 * stream keyed `<cursorId>,<stream>,<partition>`, the `__cursors` partition chosen by the
 * key's CRC-32 (as clients compute it to find that partition's leader). The latest offset per
 * key is cached once a partition has been read, for as long as this broker stays its leader:
 * a cache from an earlier leadership may miss what another leader stored meanwhile.
 */
export class CursorManager {
  private readonly caches = new Map<number, PartitionCache>();

  constructor(private readonly ctx: ApiContext) {}

  get enabled(): boolean {
    return this.ctx.config.cursors.streamPartitions > 0;
  }

  /**
   * Creates `__cursors` when cursors are enabled and it does not exist yet. With a fixed
   * replication factor it waits until that many brokers are registered (every broker tries as
   * it starts); with -1 it spans the brokers registered now.
   */
  async initialize(): Promise<void> {
    const { cursors, namespace } = this.ctx.config;
    if (!this.enabled || this.ctx.metadata.getStream(CURSORS_STREAM)) return;
    const brokers = this.ctx.metadata.placementLoad();
    const replicationFactor =
      cursors.streamReplicationFactor === -1 ? brokers.length : cursors.streamReplicationFactor;
    if (replicationFactor > brokers.length) {
      this.ctx.logger.info("__cursors waits for more brokers", {
        replicationFactor,
        brokers: brokers.length,
      });
      return;
    }
    const stream: StreamInfo = {
      name: CURSORS_STREAM,
      subject: `${namespace}.cursors`,
      group: "",
      replicationFactor,
      partitions: placePartitions(brokers, cursors.streamPartitions, replicationFactor),
      settings: {
        compactEnabled: true,
        autoPauseTime: cursors.streamAutoPauseTimeMs,
        autoPauseDisableIfSubscribers: true,
      },
      creationTimestamp: nowNanos().toString(),
    };
    await this.ctx.replicatedLog.propose({ op: "createStream", stream });
    await this.ctx.partitions.whenSettled(CURSORS_STREAM);
  }

  async set(stream: string, partition: number, cursorId: string, offset: number): Promise<void> {
    const { key, cursorsPartition, leaderEpoch } = this.locate(stream, partition, cursorId);
    const value = encodeCursor({ stream, partition, cursorId, offset });
    try {
      await publish(
        this.ctx,
        {
          stream: CURSORS_STREAM,
          partition: cursorsPartition,
          key: Buffer.from(key),
          value,
          headers: {},
          ackInbox: "",
          correlationId: "",
          ackPolicy: AckPolicy.ALL,
          expectedOffset: -1,
        },
        Date.now() + CURSOR_TIMEOUT_MS,
      );
    } catch (err) {
      throw internal(`could not store cursor ${key}: ${(err as Error).message}`);
    }
    this.cacheOf(cursorsPartition, leaderEpoch).offsets.set(key, offset);
  }

  /** The cursor's offset, or -1 if it was never set. */
  async fetch(stream: string, partition: number, cursorId: string): Promise<number> {
    const { key, cursorsPartition, leaderEpoch } = this.locate(stream, partition, cursorId);
    const cache = this.cacheOf(cursorsPartition, leaderEpoch);
    const cached = cache.offsets.get(key);
    if (cached !== undefined) return cached;
    if (!cache.loaded) await this.load(cursorsPartition, cache);
    return cache.offsets.get(key) ?? -1;
  }

  private cacheOf(partition: number, leaderEpoch: number): PartitionCache {
    let cache = this.caches.get(partition);
    if (cache?.leaderEpoch !== leaderEpoch) {
      cache = { leaderEpoch, offsets: new Map(), loaded: false };
      this.caches.set(partition, cache);
    }
    return cache;
  }

  private locate(stream: string, partition: number, cursorId: string) {
    if (stream === "") throw invalidArgument("No stream provided");
    checkStreamName(stream, "stream");
    validateId("cursorId", cursorId);
    const cursors = this.ctx.metadata.getStream(CURSORS_STREAM);
    if (!cursors) {
      throw internal(
        "Cursors stream does not exist (enable cursors with cursors.stream.partitions > 0)",
      );
    }
    const key = `${cursorId},${stream},${partition}`;
    const cursorsPartition = partitionForKey(Buffer.from(key), cursors.partitions.length);
    const info = cursors.partitions[cursorsPartition];
    if (info?.leader !== this.ctx.serverId) {
      throw failedPrecondition(`Server not leader for cursors partition ${cursorsPartition}`);
    }
    return { key, cursorsPartition, leaderEpoch: info.leaderEpoch };
  }

  /** Reads a whole `__cursors` partition (compacted, so small) into the cache. */
  private async load(id: number, cache: PartitionCache): Promise<void> {
    await resumeIfPaused(this.ctx, CURSORS_STREAM, id);
    const partition = this.ctx.partitions.get(CURSORS_STREAM, id);
    if (!partition) throw internal(`cursors partition ${id} is not open on this broker`);
    // A new leader's high watermark trails its log until its followers fetch again: what it
    // holds was committed (it was in the ISR), so wait for it rather than miss a cursor.
    await partition.waitForCommit(partition.newestOffset, AbortSignal.timeout(CURSOR_TIMEOUT_MS));
    if (partition.highWatermark < partition.newestOffset) {
      throw unavailable(`cursors partition ${id} is catching up after a leader change; retry`);
    }
    const latest = new Map<string, number>();
    let next = partition.oldestOffset;
    while (next <= partition.highWatermark) {
      const records = await partition.read(next, SCAN_BATCH_BYTES);
      if (records.length === 0) break;
      for (const record of records) {
        const message = decodeMessage(record.body);
        latest.set(Buffer.from(message.key).toString(), decodeCursorOffset(message.value));
      }
      next = records[records.length - 1]!.offset + 1;
    }
    for (const [key, offset] of latest) if (!cache.offsets.has(key)) cache.offsets.set(key, offset);
    cache.loaded = true;
  }
}

interface PartitionCache {
  leaderEpoch: number;
  offsets: Map<string, number>;
  loaded: boolean;
}
