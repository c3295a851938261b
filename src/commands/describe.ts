import { Args } from "@oclif/core";
import {
  BROKER_TABLE_HEADERS,
  brokerTableRow,
  clusterLine,
  type DescribedBroker,
  type DescribedPartition,
  describeBrokers,
  describePartition,
  LOCAL_FAILURE_TABLE_HEADERS,
  localFailureRows,
  PARTITION_TABLE_HEADERS,
  partitionTableRow,
  REPLICA_TABLE_HEADERS,
  replicaTableRows,
} from "../cli/cluster-view.js";
import { LbCommand } from "../cli/lb-command.js";
import { settingsLine, streamSettings } from "../cli/stream-settings.js";
import {
  describeStreamSettings,
  STREAM_TABLE_HEADERS,
  streamTableRow,
  summarizeStream,
} from "../cli/stream-summary.js";
import { formatTimestampNanos } from "../cli/time.js";
import {
  type DescribeClusterResponse,
  isLbError,
  LbError,
  type LiftbridgeClient,
  type StreamInfo,
} from "../client/index.js";

export default class Describe extends LbCommand<typeof Describe> {
  static override summary =
    "Show the cluster, brokers and streams, or one stream's partitions and replicas.";
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
    const stream = name ? metadata.stream(name) : undefined;
    if (name && !stream) {
      throw new LbError("not_found", `stream "${name}" not found`, { hint: "see: lb stream list" });
    }
    const [cluster, partitions, descriptions] = await Promise.all([
      this.clusterStatus(client),
      stream ? this.partitionsFromLeaders(client, stream) : [],
      describeStreamSettings(client, name ? [name] : []),
    ]);
    const brokers = describeBrokers(metadata.brokers, cluster);
    if (!stream) {
      if (this.flags.json) {
        this.output.json({
          cluster: cluster ?? null,
          brokers,
          streams: metadata.streams.map((s) => ({
            ...s,
            settings: summarizeStream(s, descriptions.get(s.name)).settings,
          })),
        });
        return;
      }
      if (cluster) {
        this.output.line(clusterLine(cluster));
        this.output.line("");
      }
      this.printBrokers(brokers);
      this.output.line("");
      this.output.table(
        STREAM_TABLE_HEADERS,
        metadata.streams.map((s) => streamTableRow(summarizeStream(s, descriptions.get(s.name)))),
      );
      return;
    }
    const description = descriptions.get(stream.name);
    const settings = description ? streamSettings(description) : null;
    if (this.flags.json) {
      this.output.json({
        cluster: cluster ?? null,
        brokers,
        stream: { ...stream, settings, partitions },
      });
      return;
    }
    this.printBrokers(brokers);
    this.output.line("");
    this.output.line(
      `stream ${stream.name}  subject ${stream.subject}  created ${formatTimestampNanos(stream.creationTimestamp)}`,
    );
    if (settings) this.output.line(settingsLine(settings));
    this.output.table(PARTITION_TABLE_HEADERS, partitions.map(partitionTableRow));
    const replicas = replicaTableRows(partitions);
    if (replicas.length === 0) return;
    this.output.line("");
    this.output.table(REPLICA_TABLE_HEADERS, replicas);
  }

  private printBrokers(brokers: readonly DescribedBroker[]): void {
    this.output.table(BROKER_TABLE_HEADERS, brokers.map(brokerTableRow));
    const failures = localFailureRows(brokers);
    if (failures.length === 0) return;
    this.output.line("");
    this.output.table(LOCAL_FAILURE_TABLE_HEADERS, failures);
  }

  /** The cluster as the broker answering sees it; unknown to brokers without lb.admin (upstream). */
  private async clusterStatus(
    client: LiftbridgeClient,
  ): Promise<DescribeClusterResponse | undefined> {
    try {
      return await client.describeCluster();
    } catch (err) {
      if (isLbError(err, "unimplemented")) return undefined;
      throw err;
    }
  }

  /**
   * Only a partition's leader knows its current high watermark, newest offset and how its
   * replicas are doing; a partition whose leader cannot be asked keeps what FetchMetadata said.
   */
  private partitionsFromLeaders(
    client: LiftbridgeClient,
    stream: StreamInfo,
  ): Promise<DescribedPartition[]> {
    return Promise.all(
      stream.partitions.map(async (partition) => {
        const [latest, progress] = await Promise.all([
          client.fetchPartitionMetadata(stream.name, partition.id).catch(() => partition),
          client
            .describePartitions(stream.name, [partition.id])
            .then(([only]) => only)
            .catch(() => undefined),
        ]);
        return describePartition(latest, progress);
      }),
    );
  }
}
