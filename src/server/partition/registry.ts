import { join } from "node:path";
import type { NatsConnection } from "nats";
import type { PartitionRegistry } from "../api/context.js";
import { CommitLog } from "../log/index.js";
import type { Logger } from "../logger.js";
import type { StreamInfo } from "../metadata/types.js";
import { Partition } from "./partition.js";

export interface PartitionStoreOptions {
  dataDir: string;
  serverId: string;
  nc: NatsConnection;
  logger: Logger;
  sync: "always" | "none";
  segmentMaxBytes: number;
}

/**
 * Opens the partitions this broker leads when their stream is created (or found at start),
 * and closes or deletes them when the stream goes. Partition directories live at
 * `<data>/streams/<stream>/<partition>`.
 */
export class PartitionStore implements PartitionRegistry {
  private readonly open = new Map<string, Partition[]>();
  private readonly opening = new Map<string, Promise<void>>();

  constructor(private readonly options: PartitionStoreOptions) {}

  get(stream: string, partition: number): Partition | undefined {
    return this.open.get(stream)?.[partition];
  }

  whenSettled(stream: string): Promise<void> {
    return this.opening.get(stream) ?? Promise.resolve();
  }

  /** Starts opening the stream's local partitions; whenSettled() tells when it is done. */
  add(stream: StreamInfo): Promise<void> {
    const ready = this.openStream(stream);
    this.opening.set(stream.name, ready);
    ready.catch((err) =>
      this.options.logger.error("could not open stream", { stream: stream.name, error: err }),
    );
    return ready;
  }

  /** Closes the stream's partitions and deletes their data; whenSettled() tells when it is done. */
  remove(stream: StreamInfo): Promise<void> {
    const previous = this.opening.get(stream.name)?.catch(() => undefined);
    const removed = (async () => {
      await previous;
      const partitions = this.open.get(stream.name) ?? [];
      this.open.delete(stream.name);
      await Promise.all(partitions.map((p) => p?.close("deleted")));
      await CommitLog.destroy(this.streamDir(stream.name));
    })();
    this.opening.set(stream.name, removed);
    removed
      .finally(() => {
        if (this.opening.get(stream.name) === removed) this.opening.delete(stream.name);
      })
      .catch((err) =>
        this.options.logger.error("could not delete stream data", {
          stream: stream.name,
          error: err,
        }),
      );
    return removed;
  }

  /** Flushes every open partition's log to disk (the `interval` sync policy's timer). */
  async syncAll(): Promise<void> {
    const all = [...this.open.values()].flat().filter(Boolean);
    await Promise.all(all.map((p) => p.log.sync().catch(() => undefined)));
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.opening.values()].map((p) => p.catch(() => undefined)));
    const all = [...this.open.values()].flat();
    this.open.clear();
    await Promise.all(all.map((p) => p.close("closed")));
  }

  private async openStream(stream: StreamInfo): Promise<void> {
    const { serverId, nc, logger, sync, segmentMaxBytes } = this.options;
    const partitions: Partition[] = [];
    for (const info of stream.partitions) {
      if (info.leader !== serverId) continue;
      const log = await CommitLog.open(join(this.streamDir(stream.name), String(info.id)), {
        sync,
        segmentMaxBytes: stream.settings.segmentMaxBytes || segmentMaxBytes,
      });
      partitions[info.id] = new Partition(stream, info, log, nc, logger);
    }
    for (const partition of partitions) partition?.start();
    await nc.flush();
    this.open.set(stream.name, partitions);
  }

  private streamDir(name: string): string {
    return join(this.options.dataDir, "streams", name);
  }
}
