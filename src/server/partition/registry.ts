import { readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { NatsConnection } from "nats";
import type { Ack } from "../../wire/api.js";
import type { PartitionRegistry } from "../api/context.js";
import type { BrokerConfig } from "../config/index.js";
import { StartupError } from "../data-dir.js";
import { masterKeyFromEnv, PartitionCipher } from "../encryption.js";
import {
  CommitLog,
  FileHandlePool,
  type LogFileSystem,
  messageKey,
  nodeFileSystem,
  pooledFileSystem,
} from "../log/index.js";
import type { Logger } from "../logger.js";
import type { PartitionInfo, StreamInfo, StreamSettings } from "../metadata/types.js";
import type { ReplicationControl, ReplicationSettings } from "../replication/control.js";
import { FollowerReplica } from "../replication/follower.js";
import type { ReplicationNotifications } from "../replication/notifications.js";
import { Partition } from "./partition.js";
import type { PartitionReader } from "./reader-view.js";

export interface PartitionStoreOptions {
  dataDir: string;
  serverId: string;
  nc: NatsConnection;
  logger: Logger;
  /** See PartitionOptions.deliverAckLocally. */
  deliverAckLocally?: (inbox: string, ack: Ack) => boolean;
  /** The broker-wide `streams.*` settings; each stream's own settings override them. */
  defaults: BrokerConfig["streams"];
  /** The file layer under the commit logs: the real one unless a test injects faults. */
  fs?: LogFileSystem;
  replication: {
    settings: ReplicationSettings;
    control: ReplicationControl;
    notifications: ReplicationNotifications;
  };
}

/** Partitions of a stream opened at the same time (their files are many small reads). */
const OPEN_CONCURRENCY = 32;
/** A log file unused for this long gives its descriptor back, so idle partitions hold none. */
const IDLE_FILE_CLOSE_MS = 10_000;
const IDLE_FILE_CHECK_MS = 5_000;
/** Descriptors kept for sockets (gRPC clients, NATS) and the metadata log beside the logs'. */
const RESERVED_DESCRIPTORS = 256;

/** This broker's replica of a partition: the leader, or a follower copying from it. */
type Replica = Partition | FollowerReplica;

/** A partition this broker should hold but could not open (its files, the disk, descriptors). */
export interface LocalFailure {
  stream: string;
  partition: number;
  error: string;
  /** When the last attempt failed, ms since the epoch. */
  atMs: number;
}

/** A stream setting: the stream's own value, else the broker-wide default. */
function setting<K extends keyof StreamSettings, D>(stream: StreamInfo, key: K, fallback: D) {
  return (stream.settings[key] ?? fallback) as NonNullable<StreamSettings[K]> | D;
}

/**
 * Opens this broker's replica of each partition it holds (as leader or follower) when the
 * stream is created (or found at start), switches roles when the leader changes, and closes or
 * deletes them when the stream goes. Partition directories live at
 * `<data>/streams/<stream>/<partition>`.
 */
export class PartitionStore implements PartitionRegistry {
  private readonly open = new Map<string, Replica[]>();
  private readonly opening = new Map<string, Promise<void>>();
  /** By `<stream>/<partition>`; tried again whenever the partition is opened again. */
  private readonly failures = new Map<string, LocalFailure>();

  /** Every log's files, their descriptors drawn from one pool (streams.max.open.files). */
  private readonly fs: LogFileSystem;
  private readonly files: FileHandlePool;
  private readonly idleFileTimer: NodeJS.Timeout;

  constructor(private readonly options: PartitionStoreOptions) {
    const { maxOpenFiles } = options.defaults;
    const limit = openFileLimit();
    if (limit !== undefined && maxOpenFiles + RESERVED_DESCRIPTORS > limit) {
      throw new StartupError(
        `streams.max.open.files is ${maxOpenFiles}, but this process may open only ${limit} files (ulimit -n) and needs ${RESERVED_DESCRIPTORS} more for connections: set streams.max.open.files to at most ${Math.max(limit - RESERVED_DESCRIPTORS, 0)} or raise the limit`,
      );
    }
    this.files = new FileHandlePool(maxOpenFiles);
    this.fs = pooledFileSystem(options.fs ?? nodeFileSystem, this.files);
    this.idleFileTimer = setInterval(() => {
      void this.files.closeIdle(IDLE_FILE_CLOSE_MS);
    }, IDLE_FILE_CHECK_MS);
    this.idleFileTimer.unref();
  }

  /** Log file descriptors open now and the bound on them. */
  openFiles(): { open: number; capacity: number } {
    const { open, capacity } = this.files.stats;
    return { open, capacity };
  }

  /** The partition, if this broker leads it and it is open. */
  get(stream: string, partition: number): Partition | undefined {
    const replica = this.open.get(stream)?.[partition];
    return replica instanceof Partition ? replica : undefined;
  }

  /** This broker's replica of the partition (leader or follower), if open. */
  replica(stream: string, partition: number): PartitionReader | undefined {
    return this.open.get(stream)?.[partition];
  }

  /** A paused partition's high watermark and newest offset, as its log recorded them at close. */
  pausedProgress(
    stream: string,
    partition: number,
  ): Promise<{ highWatermark: number; newestOffset: number }> {
    return CommitLog.closedProgress(this.partitionDir(stream, partition), this.fs);
  }

  whenSettled(stream: string): Promise<void> {
    return this.opening.get(stream) ?? Promise.resolve();
  }

  /**
   * Starts opening the stream's local partitions; whenSettled() tells when it is done. A
   * partition that cannot be opened here is logged and listed in localFailures(); the others
   * open and serve, and the promise resolves all the same.
   */
  add(stream: StreamInfo): Promise<void> {
    return this.transition(stream.name, "open stream", async () => {
      const partitions: Replica[] = [];
      this.open.set(stream.name, partitions);
      const errors = await inParallel(stream.partitions, OPEN_CONCURRENCY, (info) =>
        this.openInto(partitions, stream, info),
      );
      const misconfigured = errors.find((err) => err instanceof StartupError);
      await this.flush(stream.name);
      // The broker's own configuration is wrong (the encryption key): start-up stops and says so.
      if (misconfigured) throw misconfigured;
    });
  }

  /** Partitions this broker holds in the metadata but could not open, oldest stream first. */
  localFailures(): LocalFailure[] {
    return [...this.failures.values()].sort(
      (a, b) => a.stream.localeCompare(b.stream) || a.partition - b.partition,
    );
  }

  /**
   * Opens this broker's replica of the partition into `partitions`, or records why not and
   * returns the error.
   */
  private async openInto(
    partitions: Replica[],
    stream: StreamInfo,
    info: PartitionInfo,
  ): Promise<unknown> {
    const key = `${stream.name}/${info.id}`;
    try {
      const replica = await this.openReplica(stream, info);
      this.failures.delete(key);
      if (replica) partitions[info.id] = replica;
      return undefined;
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.options.logger.error("could not open partition; serving the others", {
        stream: stream.name,
        partition: info.id,
        error,
      });
      this.failures.set(key, { stream: stream.name, partition: info.id, error, atMs: Date.now() });
      this.resignIfLeader(stream, info, `could not open the partition here: ${error}`);
      return err;
    }
  }

  /**
   * A leader that cannot open its partition hands it to another ISR member, as a damaged one
   * does (the controller refuses when there is none; the partition then waits for this broker).
   */
  private resignIfLeader(stream: StreamInfo, info: PartitionInfo, reason: string): void {
    const key = `${stream.name}/${info.id}`;
    const stillStuck = () =>
      this.failures.has(key) && info.leader === this.options.serverId && info.isr.length > 1;
    if (!stillStuck()) return;
    this.options.replication.control
      .resignLeader(stream.name, info.id, info.leaderEpoch, reason)
      .then((answer) => {
        this.options.logger.warn("asked the controller to move a partition it cannot open", {
          stream: stream.name,
          partition: info.id,
          answer,
        });
        return answer.moved;
      })
      .catch((err) => {
        this.options.logger.warn("could not hand over a partition it cannot open", {
          stream: stream.name,
          partition: info.id,
          error: err,
        });
        return false;
      })
      // Asked again while it still leads (the controller may not be ready yet).
      .then((moved) => {
        if (!moved) setTimeout(() => this.resignIfLeader(stream, info, reason), 1000).unref();
      });
  }

  /** Sends pending subscriptions; a NATS outage is the connection's to recover from. */
  private async flush(stream: string): Promise<void> {
    await this.options.nc.flush().catch((err) => {
      this.options.logger.warn("NATS flush failed after opening partitions", {
        stream,
        error: err,
      });
    });
  }

  private forgetFailures(stream: string): void {
    for (const [key, failure] of this.failures) {
      if (failure.stream === stream) this.failures.delete(key);
    }
  }

  /**
   * The partition's leader changed: the old leader stops recording (it may hold records the
   * new leader never had) and the new one starts.
   */
  leaderChanged(stream: StreamInfo, info: PartitionInfo): Promise<void> {
    return this.transition(stream.name, "change leader", async () => {
      const partitions = this.open.get(stream.name);
      if (!partitions) return;
      const current = partitions[info.id];
      if (current) {
        delete partitions[info.id];
        await current.close("closed");
      }
      await this.openInto(partitions, stream, info);
      await this.flush(stream.name);
    });
  }

  /** The partition's ISR changed: its leader recomputes the high watermark. */
  isrChanged(stream: StreamInfo, info: PartitionInfo): void {
    const replica = this.open.get(stream.name)?.[info.id];
    if (replica instanceof Partition) replica.isrChanged();
  }

  /**
   * The metadata was replaced by a snapshot: streams that are gone are deleted here, the rest
   * reopen from the new state.
   */
  async restored(streams: StreamInfo[]): Promise<void> {
    const names = new Set(streams.map((s) => s.name));
    for (const name of [...this.open.keys()]) {
      const partitions = this.open.get(name) ?? [];
      if (!names.has(name)) {
        await this.remove(name);
        continue;
      }
      this.forgetFailures(name);
      await this.transition(name, "reopen stream", async () => {
        this.open.delete(name);
        await Promise.all(partitions.map((p) => p?.close("closed")));
      });
    }
    for (const stream of streams) await this.add(stream);
  }

  private async openReplica(stream: StreamInfo, info: PartitionInfo): Promise<Replica | undefined> {
    if (info.paused) return undefined;
    if (info.leader === this.options.serverId) return this.openPartition(stream, info);
    if (info.replicas.includes(this.options.serverId)) return this.openFollower(stream, info);
    return undefined;
  }

  /** Closes the stream's partitions and deletes their data; whenSettled() tells when it is done. */
  remove(name: string): Promise<void> {
    return this.transition(name, "delete stream data", async () => {
      const partitions = this.open.get(name) ?? [];
      this.open.delete(name);
      this.forgetFailures(name);
      // The data goes anyway: a close that fails (a full disk refuses its last checkpoint)
      // must not keep it, least of all when deleting is how the space is freed.
      await Promise.all(partitions.map((p) => p && this.closeQuietly(p, "deleted")));
      await CommitLog.destroy(this.streamDir(name), this.fs);
    });
  }

  /**
   * Applies paused and read-only flags: a paused partition holds no open files and no NATS
   * subscription; a resumed one opens again; a read-only one stops recording.
   */
  changed(stream: StreamInfo, infos: PartitionInfo[]): Promise<void> {
    return this.transition(stream.name, "change partitions", async () => {
      const partitions = this.open.get(stream.name);
      if (!partitions) return;
      for (const info of infos) {
        const current = partitions[info.id];
        if (info.paused && current) {
          delete partitions[info.id];
          await this.closeQuietly(current, "paused");
        } else if (!info.paused && !current) {
          await this.openInto(partitions, stream, info);
        } else if (current instanceof Partition) {
          await current.readonlyChanged();
        }
      }
      await this.flush(stream.name);
    });
  }

  /**
   * Closes a replica whose stream is deleted or paused. Its files are released even when the
   * close fails (on a full disk the final checkpoint cannot be written, and the next open
   * scans a little more), so the failure is only logged: the change has taken effect.
   */
  private async closeQuietly(replica: Replica, reason: "deleted" | "paused"): Promise<void> {
    try {
      await replica.close(reason);
    } catch (err) {
      this.options.logger.warn(`could not close a ${reason} partition cleanly`, {
        stream: replica.stream.name,
        partition: replica.info.id,
        error: err,
      });
    }
  }

  /** Runs changes to one stream one after another, so whenSettled() sees the latest. */
  private transition(name: string, what: string, work: () => Promise<void>): Promise<void> {
    const previous = this.opening.get(name)?.catch(() => undefined);
    const done = (async () => {
      await previous;
      await work();
    })();
    this.opening.set(name, done);
    done
      .finally(() => {
        if (this.opening.get(name) === done) this.opening.delete(name);
      })
      .catch((err) => this.options.logger.error(`could not ${what}`, { stream: name, error: err }));
    return done;
  }

  private async openPartition(stream: StreamInfo, info: PartitionInfo): Promise<Partition> {
    const { nc, logger, defaults, replication } = this.options;
    const dir = this.partitionDir(stream.name, info.id);
    // The data key first: a wrong master key must fail before any file is opened.
    const encrypted = setting(stream, "encryption", defaults.encryption);
    if (encrypted) {
      const fs = this.fs;
      for (const created of await fs.mkdir(dir)) await fs.syncDirectory(dirname(created));
    }
    const cipher = encrypted ? await PartitionCipher.open(dir, masterKeyFromEnv()) : undefined;
    const log = await this.openLog(stream, dir);
    const occ = setting(stream, "optimisticConcurrencyControl", defaults.concurrencyControl);
    const partition = new Partition(stream, info, log, nc, logger, {
      concurrencyControl: occ,
      cipher,
      deliverAckLocally: this.options.deliverAckLocally,
      replication:
        info.replicas.length > 1
          ? { settings: replication.settings, control: replication.control }
          : undefined,
    });
    partition.start();
    return partition;
  }

  private async openFollower(stream: StreamInfo, info: PartitionInfo): Promise<FollowerReplica> {
    const { nc, logger, defaults, replication } = this.options;
    const encrypted = setting(stream, "encryption", defaults.encryption);
    const masterKey = encrypted ? masterKeyFromEnv() : undefined;
    const log = await this.openLog(stream, this.partitionDir(stream.name, info.id));
    const follower = new FollowerReplica({
      stream,
      info,
      log,
      nc,
      logger,
      settings: replication.settings,
      control: replication.control,
      notifications: replication.notifications,
      masterKey,
    });
    follower.start();
    return follower;
  }

  private async openLog(stream: StreamInfo, dir: string): Promise<CommitLog> {
    const { defaults, logger } = this.options;
    const partition = Number(basename(dir));
    const where = { stream: stream.name, partition };
    const log = await CommitLog.open(dir, {
      sync: setting(stream, "syncPolicy", defaults.syncPolicy) === "always" ? "always" : "none",
      segmentMaxBytes: stream.settings.segmentMaxBytes || defaults.segmentMaxBytes,
      segmentMaxAgeMs: setting(stream, "segmentMaxAge", defaults.segmentMaxAgeMs),
      keyOf: messageKey,
      fs: this.fs,
      notice: (message, details) => logger.warn(message, { ...where, ...details }),
      extentBesideDir: true,
    });
    // Every repair and every damage the open found, so that none goes unnoticed.
    const { recovery } = log;
    if (recovery.truncatedFrom) {
      logger.warn("torn tail truncated", {
        ...where,
        fromOffset: recovery.truncatedFrom.offset,
        segment: recovery.truncatedFrom.segment,
        position: recovery.truncatedFrom.position,
        bytes: recovery.truncatedBytes,
        reason: recovery.truncationReason,
      });
    }
    for (const index of recovery.rebuiltIndexes) logger.warn("index rebuilt", { ...where, index });
    for (const d of recovery.damage) {
      logger.error("damaged offsets found: not served, not reused (run lb log verify)", {
        ...where,
        fromOffset: d.fromOffset,
        toOffset: d.toOffset,
        kind: d.kind,
        segment: d.segment,
        reason: d.reason,
      });
    }
    return log;
  }

  private partitionDir(stream: string, partition: number): string {
    return join(this.streamDir(stream), String(partition));
  }

  /**
   * Partitions idle for longer than their auto-pause time (the stream's autoPauseTime, else
   * streams.auto.pause.time; 0 disables), skipping those with subscribers when the stream
   * (or broker) says so. Each is reported once per idle period.
   */
  takeIdlePartitions(
    nowMs: number,
    defaults: { autoPauseTimeMs: number; autoPauseDisableIfSubscribers: boolean },
  ): { stream: string; partition: number }[] {
    const idle: { stream: string; partition: number }[] = [];
    for (const [name, partitions] of this.open) {
      for (const partition of partitions) {
        // The leader decides: it is where publishing happens.
        if (!(partition instanceof Partition)) continue;
        const settings = partition.stream.settings;
        const limit = settings.autoPauseTime ?? defaults.autoPauseTimeMs;
        if (!limit || nowMs - partition.lastActivityMs < limit) continue;
        const keepIfSubscribed =
          settings.autoPauseDisableIfSubscribers ?? defaults.autoPauseDisableIfSubscribers;
        if (keepIfSubscribed && partition.subscribers > 0) continue;
        partition.lastActivityMs = nowMs;
        idle.push({ stream: name, partition: partition.id });
      }
    }
    return idle;
  }

  /** Syncs the logs of partitions whose sync policy is `interval` (the broker's timer). */
  async syncIntervalPartitions(): Promise<void> {
    const due = this.all().filter(
      (p) => setting(p.stream, "syncPolicy", this.options.defaults.syncPolicy) === "interval",
    );
    await Promise.all(due.map((p) => p.log.sync().catch(() => undefined)));
  }

  /**
   * The cleaner: for each partition whose cleaner interval has passed, roll the active segment
   * if it is too old, delete segments beyond retention, and compact when enabled. One
   * partition at a time, in the background; appends and reads go on meanwhile.
   */
  async clean(nowMs = Date.now()): Promise<void> {
    const { defaults, logger } = this.options;
    for (const partition of this.all()) {
      const stream = partition.stream;
      const interval = setting(stream, "cleanerInterval", defaults.cleanerIntervalMs);
      if (nowMs < partition.nextCleanMs) continue;
      partition.nextCleanMs = nowMs + interval;
      try {
        await partition.log.maybeRollByAge(nowMs);
        const removed = await partition.log.enforceRetention({
          maxBytes: setting(stream, "retentionMaxBytes", defaults.retentionMaxBytes),
          maxMessages: setting(stream, "retentionMaxMessages", defaults.retentionMaxMessages),
          maxAgeMs: setting(stream, "retentionMaxAge", defaults.retentionMaxAgeMs),
          nowMs,
        });
        if (removed.deletedSegments.length > 0) {
          logger.info("retention deleted segments", {
            stream: stream.name,
            partition: partition.id,
            segments: removed.deletedSegments.length,
            records: removed.deletedRecords,
            oldestOffset: removed.oldestOffset,
          });
        }
        if (setting(stream, "compactEnabled", defaults.compactEnabled)) {
          await partition.log.compact();
        }
      } catch (err) {
        logger.warn("cleaner failed", { stream: stream.name, partition: partition.id, error: err });
      }
    }
  }

  private all(): Replica[] {
    return [...this.open.values()].flat().filter(Boolean);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.opening.values()].map((p) => p.catch(() => undefined)));
    const all = [...this.open.values()].flat().filter(Boolean);
    this.open.clear();
    clearInterval(this.idleFileTimer);
    await Promise.all(all.map((p) => p.close("closed")));
  }

  private streamDir(name: string): string {
    return join(this.options.dataDir, "streams", name);
  }
}

/** Runs `work` over `items`, at most `limit` at a time; the results in the items' order. */
async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** This process's open-file limit (the soft one, which Node raises to the hard one at start). */
function openFileLimit(): number | undefined {
  try {
    const limits = readFileSync("/proc/self/limits", "utf8");
    const soft = /^Max open files\s+(\d+)/m.exec(limits)?.[1];
    return soft === undefined ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}
