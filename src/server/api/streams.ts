import type {
  Broker,
  CreateStreamRequest,
  DeleteStreamRequest,
  FetchMetadataRequest,
  FetchMetadataResponse,
  FetchPartitionMetadataRequest,
  FetchPartitionMetadataResponse,
  PartitionMetadata,
  StreamMetadata,
} from "../../wire/api.js";
import { ConsumerGroupMetadataError, StreamMetadataError } from "../../wire/api.js";
import { nowNanos } from "../clock.js";
import { masterKeyFromEnv } from "../encryption.js";
import { placePartitions } from "../metadata/placement.js";
import type { PartitionInfo, StreamInfo, StreamSettings } from "../metadata/types.js";
import { STREAM_SETTING_KEYS, SYNC_POLICIES, type SyncPolicy } from "../metadata/types.js";
import type { ApiContext } from "./context.js";
import {
  alreadyExists,
  failedPrecondition,
  invalidArgument,
  notFound,
  unavailable,
} from "./status.js";
import { RESERVED_STREAMS, validateStreamName, validateSubject } from "./validate.js";

export async function createStream(
  ctx: ApiContext,
  req: CreateStreamRequest,
  options: { syncPolicy?: string } = {},
): Promise<void> {
  if (options.syncPolicy && !SYNC_POLICIES.includes(options.syncPolicy as SyncPolicy)) {
    throw invalidArgument(
      `Invalid syncPolicy ${JSON.stringify(options.syncPolicy)}: expected always, interval or none`,
    );
  }
  validateStreamName(req.name);
  validateSubject(req.subject);
  if (req.partitions < 0) {
    throw invalidArgument(`Invalid partitions ${req.partitions}: expected 0 (meaning 1) or more`);
  }
  const partitionCount = req.partitions === 0 ? 1 : req.partitions;
  const brokers = ctx.metadata.placementLoad();
  const replicationFactor =
    req.replicationFactor === -1 ? brokers.length : req.replicationFactor || 1;
  if (replicationFactor <= 0) {
    throw invalidArgument(`Invalid replicationFactor ${req.replicationFactor}`);
  }
  if (replicationFactor > brokers.length) {
    throw invalidArgument(
      `Invalid replicationFactor ${replicationFactor}, cluster size ${brokers.length}`,
    );
  }
  const settings = streamSettings(req);
  if (options.syncPolicy) settings.syncPolicy = options.syncPolicy as SyncPolicy;
  if (settings.minIsr !== undefined && settings.minIsr > replicationFactor) {
    throw invalidArgument(
      `Invalid minIsr ${settings.minIsr}: it cannot exceed the replicationFactor ${replicationFactor}`,
    );
  }
  if (settings.encryption ?? ctx.config.streams.encryption) {
    try {
      masterKeyFromEnv();
    } catch (err) {
      throw failedPrecondition(
        `Failed on preconditions for stream's encryption handler: ${(err as Error).message}`,
      );
    }
  }
  const partitions = placePartitions(brokers, partitionCount, replicationFactor);
  const stream: StreamInfo = {
    name: req.name,
    subject: req.subject,
    group: req.group,
    replicationFactor,
    partitions,
    settings,
    creationTimestamp: nowNanos().toString(),
  };
  const result = await ctx.replicatedLog.propose({ op: "createStream", stream });
  if (!result.ok) throw alreadyExists(`Stream already exists: ${req.name}`);
  await ctx.partitions.whenSettled(req.name);
}

function streamSettings(req: CreateStreamRequest): StreamSettings {
  const settings: StreamSettings = {};
  for (const key of STREAM_SETTING_KEYS) {
    const value = req[key];
    if (value !== undefined) (settings as Record<string, unknown>)[key] = value;
  }
  for (const key of ["retentionMaxBytes", "retentionMaxMessages", "segmentMaxBytes"] as const) {
    const value = settings[key];
    if (value !== undefined && value < 0) {
      throw invalidArgument(`Invalid ${key} ${value}: expected 0 (no limit) or more`);
    }
  }
  return settings;
}

export async function deleteStream(ctx: ApiContext, req: DeleteStreamRequest): Promise<void> {
  if (req.name === "") throw invalidArgument("Name cannot be empty");
  if (RESERVED_STREAMS.has(req.name)) throw invalidArgument(`Stream is reserved: ${req.name}`);
  const result = await ctx.replicatedLog.propose({ op: "deleteStream", name: req.name });
  if (!result.ok) throw notFound(`No such stream: ${req.name}`);
  await ctx.partitions.whenSettled(req.name);
}

export async function fetchMetadata(
  ctx: ApiContext,
  req: FetchMetadataRequest,
): Promise<FetchMetadataResponse> {
  const streams =
    req.streams.length > 0
      ? req.streams.map((name) => ({ name, stream: ctx.metadata.getStream(name) }))
      : ctx.metadata.listStreams().map((stream) => ({ name: stream.name, stream }));
  const streamMetadata: StreamMetadata[] = [];
  for (const { name, stream } of streams) {
    if (!stream) {
      streamMetadata.push({
        name,
        subject: "",
        error: StreamMetadataError.UNKNOWN_STREAM,
        partitions: {},
        creationTimestamp: 0n,
      });
      continue;
    }
    const partitions: Record<number, PartitionMetadata> = {};
    for (const partition of stream.partitions) {
      partitions[partition.id] = await partitionMetadata(ctx, stream, partition);
    }
    streamMetadata.push({
      name: stream.name,
      subject: stream.subject,
      error: StreamMetadataError.OK,
      partitions,
      creationTimestamp: BigInt(stream.creationTimestamp),
    });
  }
  const groupMetadata = req.groups.map((groupId) => {
    const group = ctx.metadata.getGroup(groupId);
    return group
      ? {
          groupId,
          error: ConsumerGroupMetadataError.OK,
          coordinator: group.coordinator,
          epoch: group.epoch,
        }
      : { groupId, error: ConsumerGroupMetadataError.UNKNOWN_GROUP, coordinator: "", epoch: 0 };
  });
  return { brokers: brokerList(ctx), streamMetadata, groupMetadata };
}

function brokerList(ctx: ApiContext): Broker[] {
  const streams = ctx.metadata.listStreams();
  const live = ctx.metadata.listBrokers().filter((b) => b.alive !== false);
  return live.map((broker) => {
    let partitionCount = 0;
    let leaderCount = 0;
    for (const stream of streams) {
      for (const partition of stream.partitions) {
        if (partition.replicas.includes(broker.id)) partitionCount++;
        if (partition.leader === broker.id) leaderCount++;
      }
    }
    return { id: broker.id, host: broker.host, port: broker.port, partitionCount, leaderCount };
  });
}

async function partitionMetadata(
  ctx: ApiContext,
  stream: StreamInfo,
  info: PartitionInfo,
): Promise<PartitionMetadata> {
  const local = ctx.partitions.get(stream.name, info.id);
  const timestamps = local ? await local.messageTimestamps() : undefined;
  return {
    id: info.id,
    leader: info.leader,
    replicas: [...info.replicas],
    isr: [...info.isr],
    highWatermark: local ? local.highWatermark : -1,
    newestOffset: local ? local.newestOffset : -1,
    paused: info.paused,
    readonly: info.readonly,
    messagesReceivedTimestamps: timestamps
      ? { firstTimestamp: timestamps.first, latestTimestamp: timestamps.latest }
      : undefined,
    pauseTimestamps: eventTimestamps(info.pauseTimestamps),
    readonlyTimestamps: eventTimestamps(info.readonlyTimestamps),
  };
}

export async function fetchPartitionMetadata(
  ctx: ApiContext,
  req: FetchPartitionMetadataRequest,
): Promise<FetchPartitionMetadataResponse> {
  const stream = ctx.metadata.getStream(req.stream);
  if (!stream) throw notFound(`No such stream: ${req.stream}`);
  const info = stream.partitions[req.partition];
  if (!info)
    throw notFound(
      `No such partition: ${req.partition} (stream ${req.stream} has ${stream.partitions.length})`,
    );
  if (info.leader !== ctx.serverId) throw failedPrecondition("Server not partition leader");
  // Just elected, still opening its log: a -1 high watermark now would look like one that
  // moved backwards.
  if (!info.paused && !ctx.partitions.get(stream.name, info.id)) {
    throw unavailable(`partition ${stream.name}/${info.id} is opening on its new leader; retry`);
  }
  return { metadata: await partitionMetadata(ctx, stream, info) };
}

function eventTimestamps(stamps: PartitionInfo["pauseTimestamps"]) {
  return stamps
    ? { firstTimestamp: BigInt(stamps.first), latestTimestamp: BigInt(stamps.latest) }
    : undefined;
}
