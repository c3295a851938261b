import { commandProblem } from "./command-check.js";
import type { BrokerLoad } from "./placement.js";
import type {
  ApplyResult,
  BrokerInfo,
  EventTimestamps,
  GroupInfo,
  MetadataCommand,
  PartitionInfo,
  StreamInfo,
} from "./types.js";

function stamp(previous: EventTimestamps | undefined, timestamp: string): EventTimestamps {
  return { first: previous?.first ?? timestamp, latest: timestamp };
}

export type MetadataEvent =
  | { type: "streamCreated"; stream: StreamInfo }
  | { type: "streamDeleted"; stream: StreamInfo }
  /** Paused or read-only flags of these partitions changed. */
  | { type: "partitionsChanged"; stream: StreamInfo; partitions: PartitionInfo[] }
  /** The partition's leader changed (its leader epoch was bumped). */
  | { type: "leaderChanged"; stream: StreamInfo; partition: PartitionInfo }
  /** The partition's ISR changed, its leader did not. */
  | { type: "isrChanged"; stream: StreamInfo; partition: PartitionInfo }
  /** The whole state was replaced by a snapshot from the controller. */
  | { type: "restored" };

/** The state as stored in a Raft snapshot. */
interface StateSnapshot {
  brokers: BrokerInfo[];
  streams: StreamInfo[];
  groups: GroupInfo[];
}

/** The start of a command as JSON, for the log; never throws. */
function preview(command: unknown): string {
  try {
    return String(JSON.stringify(command)).slice(0, 500);
  } catch {
    return String(command);
  }
}

/** Where the state reports commands it skipped and listeners that threw. */
export interface StateLogger {
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * The replicated metadata: every broker applies the same committed commands in the same
 * order, so `apply` must be deterministic and must not look at clocks or local state. It never
 * throws: a committed command that cannot be applied is logged and skipped, alike everywhere.
 */
export class MetadataState {
  private readonly brokers = new Map<string, BrokerInfo>();
  private readonly streams = new Map<string, StreamInfo>();
  private readonly groups = new Map<string, GroupInfo>();
  private readonly listeners: ((event: MetadataEvent) => void)[] = [];

  constructor(private readonly logger?: StateLogger) {}

  onEvent(listener: (event: MetadataEvent) => void): void {
    this.listeners.push(listener);
  }

  apply(command: MetadataCommand): ApplyResult {
    const problem = commandProblem(command);
    if (problem) {
      this.logger?.error("skipped a committed metadata command", {
        problem,
        command: preview(command),
      });
      return { ok: false, reason: "invalid" };
    }
    try {
      return this.applyChecked(command);
    } catch (err) {
      // Only a bug gets here; the command is skipped rather than stopping this broker.
      this.logger?.error("a committed metadata command failed to apply", {
        op: command.op,
        error: err,
      });
      return { ok: false, reason: "invalid" };
    }
  }

  private applyChecked(command: MetadataCommand): ApplyResult {
    switch (command.op) {
      case "upsertBroker":
        this.brokers.set(command.broker.id, { ...command.broker, alive: true });
        return { ok: true };
      case "brokerDown":
        return this.applyBrokerDown(command.id);
      case "brokerUp": {
        const broker = this.brokers.get(command.id);
        if (!broker) return { ok: false, reason: "not_found" };
        broker.alive = true;
        return { ok: true };
      }
      case "changeLeader":
      case "shrinkIsr":
      case "expandIsr":
        return this.applyReplicaChange(command);
      case "createStream": {
        if (this.streams.has(command.stream.name)) return { ok: false, reason: "exists" };
        const stream = structuredClone(command.stream);
        this.streams.set(stream.name, stream);
        this.emit({ type: "streamCreated", stream });
        return { ok: true };
      }
      case "pauseStream":
      case "resumeStream":
      case "setReadonly":
        return this.applyPartitionFlags(command);
      case "joinGroup": {
        const group = this.groups.get(command.group) ?? {
          id: command.group,
          coordinator: command.coordinator,
          epoch: 0,
          members: [],
        };
        const member = { id: command.consumer, streams: [...command.streams] };
        const existing = group.members.findIndex((m) => m.id === command.consumer);
        if (existing >= 0) group.members[existing] = member;
        else group.members.push(member);
        group.epoch++;
        this.groups.set(group.id, group);
        return { ok: true };
      }
      case "leaveGroup": {
        const group = this.groups.get(command.group);
        if (!group?.members.some((m) => m.id === command.consumer)) {
          return { ok: false, reason: "not_found" };
        }
        group.members = group.members.filter((m) => m.id !== command.consumer);
        group.epoch++;
        if (group.members.length === 0) this.groups.delete(group.id);
        return { ok: true };
      }
      case "deleteStream": {
        const stream = this.streams.get(command.name);
        if (!stream) return { ok: false, reason: "not_found" };
        this.streams.delete(command.name);
        for (const group of this.groups.values()) {
          if (!group.members.some((m) => m.streams.includes(command.name))) continue;
          for (const member of group.members) {
            member.streams = member.streams.filter((s) => s !== command.name);
          }
          group.epoch++;
        }
        this.emit({ type: "streamDeleted", stream });
        return { ok: true };
      }
    }
  }

  private applyPartitionFlags(
    command: Extract<MetadataCommand, { op: "pauseStream" | "resumeStream" | "setReadonly" }>,
  ): ApplyResult {
    const stream = this.streams.get(command.stream);
    if (!stream) return { ok: false, reason: "not_found" };
    const ids = command.partitions.length ? command.partitions : stream.partitions.map((p) => p.id);
    if (ids.some((id) => !stream.partitions[id])) return { ok: false, reason: "not_found" };
    const changed: PartitionInfo[] = [];
    for (const id of ids) {
      const partition = stream.partitions[id]!;
      if (command.op === "setReadonly") {
        if (partition.readonly === command.readonly) continue;
        partition.readonly = command.readonly;
        partition.readonlyTimestamps = stamp(partition.readonlyTimestamps, command.timestamp);
      } else {
        const paused = command.op === "pauseStream";
        if (partition.paused === paused) continue;
        partition.paused = paused;
        partition.pauseTimestamps = stamp(partition.pauseTimestamps, command.timestamp);
      }
      changed.push(partition);
    }
    if (command.op === "pauseStream") stream.resumeAll = command.resumeAll;
    if (command.op === "resumeStream" && stream.partitions.every((p) => !p.paused)) {
      stream.resumeAll = false;
    }
    if (changed.length) this.emit({ type: "partitionsChanged", stream, partitions: changed });
    return { ok: true };
  }

  /**
   * A broker that stopped leaves every ISR and hands each partition it led to another live
   * ISR member. A partition with no such member keeps its leader (and is offline until the
   * broker returns): electing a replica outside the ISR could lose acknowledged records.
   */
  private applyBrokerDown(id: string): ApplyResult {
    const broker = this.brokers.get(id);
    if (!broker) return { ok: false, reason: "not_found" };
    broker.alive = false;
    for (const stream of this.streams.values()) {
      for (const partition of stream.partitions) {
        if (!partition.isr.includes(id)) continue;
        if (partition.leader !== id) {
          partition.isr = partition.isr.filter((r) => r !== id);
          partition.epoch++;
          this.emit({ type: "isrChanged", stream, partition });
          continue;
        }
        const successor = this.pickLeader(partition.isr.filter((r) => r !== id));
        if (!successor) continue;
        this.moveLeadership(stream, partition, successor);
      }
    }
    return { ok: true };
  }

  private applyReplicaChange(
    command: Extract<MetadataCommand, { op: "changeLeader" | "shrinkIsr" | "expandIsr" }>,
  ): ApplyResult {
    const stream = this.streams.get(command.stream);
    const partition = stream?.partitions[command.partition];
    if (!stream || !partition) return { ok: false, reason: "not_found" };
    if (partition.leaderEpoch !== command.leaderEpoch) return { ok: false, reason: "stale" };
    if (command.op === "changeLeader") {
      if (!partition.isr.includes(command.leader) || command.leader === partition.leader) {
        return { ok: false, reason: "not_in_isr" };
      }
      this.moveLeadership(stream, partition, command.leader);
      return { ok: true };
    }
    const replica = command.replica;
    if (command.op === "shrinkIsr") {
      if (replica === partition.leader || !partition.isr.includes(replica)) {
        return { ok: false, reason: "not_in_isr" };
      }
      partition.isr = partition.isr.filter((r) => r !== replica);
    } else {
      if (!partition.replicas.includes(replica)) return { ok: false, reason: "not_found" };
      if (partition.isr.includes(replica)) return { ok: true };
      partition.isr = [...partition.isr, replica];
    }
    partition.epoch++;
    this.emit({ type: "isrChanged", stream, partition });
    return { ok: true };
  }

  /** The old leader leaves the ISR: it may hold records the new leader never had. */
  private moveLeadership(stream: StreamInfo, partition: PartitionInfo, leader: string): void {
    partition.isr = partition.isr.filter((r) => r !== partition.leader);
    partition.leader = leader;
    partition.leaderEpoch++;
    partition.epoch++;
    this.emit({ type: "leaderChanged", stream, partition });
  }

  /** Among live candidates, the one leading the fewest partitions (ties: list order). */
  pickLeader(candidates: string[]): string | undefined {
    const live = candidates.filter((id) => this.brokers.get(id)?.alive !== false);
    let best: string | undefined;
    let bestCount = Number.POSITIVE_INFINITY;
    for (const id of live) {
      const count = this.leaderCount(id);
      if (count < bestCount) {
        best = id;
        bestCount = count;
      }
    }
    return best;
  }

  leaderCount(id: string): number {
    let count = 0;
    for (const stream of this.streams.values()) {
      for (const partition of stream.partitions) if (partition.leader === id) count++;
    }
    return count;
  }

  replicaCount(id: string): number {
    let count = 0;
    for (const stream of this.streams.values()) {
      for (const partition of stream.partitions) if (partition.replicas.includes(id)) count++;
    }
    return count;
  }

  /** Live brokers with their load, for placing new partitions. */
  placementLoad(): BrokerLoad[] {
    return this.listBrokers()
      .filter((b) => b.alive !== false)
      .map((b) => ({
        id: b.id,
        replicas: this.replicaCount(b.id),
        leaders: this.leaderCount(b.id),
      }));
  }

  snapshot(): Uint8Array {
    const data: StateSnapshot = {
      brokers: [...this.brokers.values()],
      streams: [...this.streams.values()],
      groups: [...this.groups.values()],
    };
    return Buffer.from(JSON.stringify(data), "utf8");
  }

  /** Replaces the whole state with a snapshot's; an empty snapshot means the empty state. */
  restore(bytes: Uint8Array): void {
    const data: StateSnapshot =
      bytes.length === 0
        ? { brokers: [], streams: [], groups: [] }
        : JSON.parse(Buffer.from(bytes).toString("utf8"));
    this.brokers.clear();
    this.streams.clear();
    this.groups.clear();
    for (const broker of data.brokers) this.brokers.set(broker.id, broker);
    for (const stream of data.streams) this.streams.set(stream.name, stream);
    for (const group of data.groups) this.groups.set(group.id, group);
    this.emit({ type: "restored" });
  }

  getGroup(id: string): GroupInfo | undefined {
    return this.groups.get(id);
  }

  listGroups(): GroupInfo[] {
    return [...this.groups.values()];
  }

  getStream(name: string): StreamInfo | undefined {
    return this.streams.get(name);
  }

  getPartition(stream: string, partition: number): PartitionInfo | undefined {
    return this.streams.get(stream)?.partitions[partition];
  }

  listStreams(): StreamInfo[] {
    return [...this.streams.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  listBrokers(): BrokerInfo[] {
    return [...this.brokers.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** A listener's failure is its own: the state and the other listeners carry on. */
  private emit(event: MetadataEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger?.error("a metadata listener failed", { event: event.type, error: err });
      }
    }
  }
}
