import type { NatsConnection } from "nats";
import type { ClusterView } from "../cluster/status.js";
import type { BrokerConfig } from "../config/index.js";
import type { Logger } from "../logger.js";
import type { ReplicatedLog } from "../metadata/replicated-log.js";
import type { MetadataState } from "../metadata/state.js";
import type { Partition } from "../partition/partition.js";
import type { PartitionReader } from "../partition/reader-view.js";
import type { AckRouter } from "./ack-router.js";

/** Finds the partitions this broker leads. */
export interface PartitionRegistry {
  get(stream: string, partition: number): Partition | undefined;
  /** This broker's replica (leader or follower) of the partition, if open here. */
  replica(stream: string, partition: number): PartitionReader | undefined;
  /**
   * Resolves once the latest change to the stream is done here: its partitions open and
   * recording after a create, closed and their data removed after a delete.
   */
  whenSettled(stream: string): Promise<void>;
  /** A paused partition's high watermark and newest offset, as its log recorded them at close. */
  pausedProgress(
    stream: string,
    partition: number,
  ): Promise<{ highWatermark: number; newestOffset: number }>;
}

/** Everything the gRPC handlers need from the broker, and nothing more. */
export interface ApiContext {
  serverId: string;
  config: BrokerConfig;
  logger: Logger;
  nc: NatsConnection;
  metadata: MetadataState;
  replicatedLog: ReplicatedLog;
  partitions: PartitionRegistry;
  /** The metadata Raft group and broker liveness, for lb describe. */
  cluster: ClusterView;
  acks: AckRouter;
  /** Aborted when the broker begins shutting down; long-lived calls end then. */
  shutdown: AbortSignal;
}
