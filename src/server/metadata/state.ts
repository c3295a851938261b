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
  | { type: "partitionsChanged"; stream: StreamInfo; partitions: PartitionInfo[] };

/**
 * The replicated metadata: every broker applies the same committed commands in the same
 * order, so `apply` must be deterministic and must not look at clocks or local state.
 */
export class MetadataState {
  private readonly brokers = new Map<string, BrokerInfo>();
  private readonly streams = new Map<string, StreamInfo>();
  private readonly groups = new Map<string, GroupInfo>();
  private readonly listeners: ((event: MetadataEvent) => void)[] = [];

  onEvent(listener: (event: MetadataEvent) => void): void {
    this.listeners.push(listener);
  }

  apply(command: MetadataCommand): ApplyResult {
    switch (command.op) {
      case "upsertBroker":
        this.brokers.set(command.broker.id, { ...command.broker });
        return { ok: true };
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

  private emit(event: MetadataEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
