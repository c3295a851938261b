import type {
  ApplyResult,
  BrokerInfo,
  MetadataCommand,
  PartitionInfo,
  StreamInfo,
} from "./types.js";

export type MetadataEvent =
  | { type: "streamCreated"; stream: StreamInfo }
  | { type: "streamDeleted"; stream: StreamInfo };

/**
 * The replicated metadata: every broker applies the same committed commands in the same
 * order, so `apply` must be deterministic and must not look at clocks or local state.
 */
export class MetadataState {
  private readonly brokers = new Map<string, BrokerInfo>();
  private readonly streams = new Map<string, StreamInfo>();
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
      case "deleteStream": {
        const stream = this.streams.get(command.name);
        if (!stream) return { ok: false, reason: "not_found" };
        this.streams.delete(command.name);
        this.emit({ type: "streamDeleted", stream });
        return { ok: true };
      }
    }
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
