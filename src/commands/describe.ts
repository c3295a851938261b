import { Args } from "@oclif/core";
import { LbCommand } from "../cli/lb-command.js";
import { STREAM_TABLE_HEADERS, streamTableRow, summarizeStream } from "../cli/stream-summary.js";
import { formatTimestampNanos } from "../cli/time.js";
import {
  type BrokerInfo,
  LbError,
  type LiftbridgeClient,
  type PartitionMetadata,
  type StreamInfo,
} from "../client/index.js";

export default class Describe extends LbCommand<typeof Describe> {
  static override summary = "Show brokers and streams, or one stream's partitions.";
  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> orders",
    "<%= config.bin %> <%= command.id %> orders --json",
  ];

  static override args = {
    stream: Args.string({ description: "Stream whose partitions to show.", ignoreStdin: true }),
  };

  async run(): Promise<void> {
    const client = await this.connect();
    const name = this.args.stream;
    const metadata = await client.fetchMetadata(name ? [name] : []);
    if (!name) {
      if (this.flags.json) {
        this.output.json({ brokers: metadata.brokers, streams: metadata.streams });
        return;
      }
      this.printBrokers(metadata.brokers);
      this.output.line("");
      this.output.table(
        STREAM_TABLE_HEADERS,
        metadata.streams.map(summarizeStream).map(streamTableRow),
      );
      return;
    }
    const stream = metadata.stream(name);
    if (!stream) {
      throw new LbError("not_found", `stream "${name}" not found`, { hint: "see: lb stream list" });
    }
    const partitions = await this.partitionsFromLeaders(client, stream);
    if (this.flags.json) {
      this.output.json({ brokers: metadata.brokers, stream: { ...stream, partitions } });
      return;
    }
    this.printBrokers(metadata.brokers);
    this.output.line("");
    this.output.line(
      `stream ${stream.name}  subject ${stream.subject}  created ${formatTimestampNanos(stream.creationTimestamp)}`,
    );
    this.output.table(
      ["ID", "LEADER", "REPLICAS", "ISR", "HW", "NEWEST", "PAUSED", "READONLY"],
      partitions.map((p) => [
        String(p.id),
        p.leader || "-",
        p.replicas.join(","),
        p.isr.join(","),
        String(p.highWatermark),
        String(p.newestOffset),
        p.paused ? "yes" : "no",
        p.readonly ? "yes" : "no",
      ]),
    );
  }

  private printBrokers(brokers: readonly BrokerInfo[]): void {
    this.output.table(
      ["ID", "HOST", "PORT", "PARTITIONS", "LEADERS"],
      brokers.map((b) => [
        b.id,
        b.host,
        String(b.port),
        String(b.partitionCount),
        String(b.leaderCount),
      ]),
    );
  }

  /**
   * Only a partition's leader knows its current high watermark and newest offset; a partition
   * whose leader cannot be asked keeps what FetchMetadata said.
   */
  private partitionsFromLeaders(
    client: LiftbridgeClient,
    stream: StreamInfo,
  ): Promise<PartitionMetadata[]> {
    return Promise.all(
      stream.partitions.map((partition) =>
        client.fetchPartitionMetadata(stream.name, partition.id).catch(() => partition),
      ),
    );
  }
}
