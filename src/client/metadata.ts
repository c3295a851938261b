import type { Broker, FetchMetadataResponse, PartitionMetadata } from "../wire/api.js";
import { StreamMetadataError } from "../wire/api.js";
import { formatAddress } from "./address.js";

export interface BrokerInfo extends Broker {
  /** "host:port" as advertised by the broker: what the client dials. */
  address: string;
}

export interface StreamInfo {
  name: string;
  subject: string;
  /** Nanoseconds since the epoch. */
  creationTimestamp: bigint;
  /** Ordered by partition id. */
  partitions: PartitionMetadata[];
}

/** An immutable view of the cluster as one FetchMetadata call (or several, merged) saw it. */
export class Metadata {
  private readonly brokersById: ReadonlyMap<string, BrokerInfo>;
  private readonly streamsByName: ReadonlyMap<string, StreamInfo>;

  constructor(
    readonly brokers: readonly BrokerInfo[],
    readonly streams: readonly StreamInfo[],
    /** Streams asked for by name that the cluster does not know. */
    readonly unknownStreams: readonly string[] = [],
    readonly fetchedAt: Date = new Date(),
  ) {
    this.brokersById = new Map(brokers.map((broker) => [broker.id, broker]));
    this.streamsByName = new Map(streams.map((stream) => [stream.name, stream]));
  }

  static empty(): Metadata {
    return new Metadata([], []);
  }

  static fromResponse(response: FetchMetadataResponse): Metadata {
    const brokers = response.brokers
      .map((broker) => ({ ...broker, address: formatAddress(broker) }))
      .sort((a, b) => a.id.localeCompare(b.id));
    const streams: StreamInfo[] = [];
    const unknownStreams: string[] = [];
    for (const stream of response.streamMetadata) {
      if (stream.error === StreamMetadataError.UNKNOWN_STREAM) {
        unknownStreams.push(stream.name);
        continue;
      }
      streams.push({
        name: stream.name,
        subject: stream.subject,
        creationTimestamp: stream.creationTimestamp,
        partitions: Object.values(stream.partitions).sort((a, b) => a.id - b.id),
      });
    }
    streams.sort((a, b) => a.name.localeCompare(b.name));
    return new Metadata(brokers, streams, unknownStreams);
  }

  /**
   * This metadata updated by a newer answer. When the newer answer was for some streams only,
   * the other streams are kept as they were.
   */
  updatedWith(newer: Metadata, requestedStreams: readonly string[]): Metadata {
    if (requestedStreams.length === 0) return newer;
    const requested = new Set(requestedStreams);
    const kept = this.streams.filter((stream) => !requested.has(stream.name));
    const streams = [...kept, ...newer.streams].sort((a, b) => a.name.localeCompare(b.name));
    return new Metadata(newer.brokers, streams, newer.unknownStreams, newer.fetchedAt);
  }

  broker(id: string): BrokerInfo | undefined {
    return this.brokersById.get(id);
  }

  stream(name: string): StreamInfo | undefined {
    return this.streamsByName.get(name);
  }

  partition(stream: string, partition: number): PartitionMetadata | undefined {
    return this.streamsByName.get(stream)?.partitions.find((p) => p.id === partition);
  }

  /** 0 when the stream is unknown. */
  partitionCount(stream: string): number {
    return this.streamsByName.get(stream)?.partitions.length ?? 0;
  }

  addresses(): string[] {
    return this.brokers.map((broker) => broker.address);
  }
}
