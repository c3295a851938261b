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
  internal,
  invalidArgument,
  notFound,
  unavailable,
} from "./status.js";
import {
  checkStreamName,
  LIMITS,
  RESERVED_STREAMS,
  validateGroup,
  validateRange,
  validateStreamName,
  validateSubject,
} from "./validate.js";

export async function createStream(
  ctx: ApiContext,
  req: CreateStreamRequest,
  options: { syncPolicy?: string } = {},
): Promise<void> {
  const stream = checkedStream(ctx, req, options);
  if (stream.settings.encryption ?? ctx.config.streams.encryption) {
    try {
      masterKeyFromEnv();
    } catch (err) {
      throw failedPrecondition(
        `Failed on preconditions for stream's encryption handler: ${(err as Error).message}`,
      );
    }
  }
  const result = await ctx.replicatedLog.propose({ op: "createStream", stream });
  if (!result.ok && result.reason === "invalid") {
    throw internal(`Stream ${req.name} was refused by the metadata state machine (see the log)`);
  }
  if (!result.ok) throw alreadyExists(`Stream already exists: ${req.name}`);
  await ctx.partitions.whenSettled(req.name);
}

/**
 * The stream a CreateStream asks for, every field checked: what is proposed must open on
 * every broker, so anything a replica could not serve is refused here, before the log.
 */
export function checkedStream(
  ctx: Pick<ApiContext, "metadata" | "config">,
  req: CreateStreamRequest,
  options: { syncPolicy?: string },
): StreamInfo {
  if (options.syncPolicy && !SYNC_POLICIES.includes(options.syncPolicy as SyncPolicy)) {
    throw invalidArgument(
      `Invalid syncPolicy ${JSON.stringify(options.syncPolicy)}: expected always, interval or none`,
    );
  }
  validateStreamName(req.name);
  validateSubject(req.subject);
  validateGroup(req.group);
  const maxPartitions = ctx.config.streams.maxPartitions;
  if (req.partitions < 0 || req.partitions > maxPartitions) {
    throw invalidArgument(
      `Invalid partitions ${req.partitions}: expected 0 (meaning 1) to ${maxPartitions} (streams.max.partitions)`,
    );
  }
  const partitionCount = req.partitions === 0 ? 1 : req.partitions;
  const brokers = ctx.metadata.placementLoad();
  const replicationFactor =
    req.replicationFactor === -1 ? brokers.length : req.replicationFactor || 1;
  if (replicationFactor <= 0) {
    throw invalidArgument(
      `Invalid replicationFactor ${req.replicationFactor}: expected -1 (all brokers), 0 (meaning 1) or 1 to the cluster size ${brokers.length}`,
    );
  }
  if (replicationFactor > brokers.length) {
    throw invalidArgument(
      `Invalid replicationFactor ${replicationFactor}, cluster size ${brokers.length}`,
    );
  }
  const settings = streamSettings(req, replicationFactor);
  if (options.syncPolicy) settings.syncPolicy = options.syncPolicy as SyncPolicy;
  return {
    name: req.name,
    subject: req.subject,
    group: req.group,
    replicationFactor,
    partitions: placePartitions(brokers, partitionCount, replicationFactor),
    settings,
    creationTimestamp: nowNanos().toString(),
  };
}

/** The ranges of CreateStream's optional settings (durations in milliseconds). */
function settingRanges(replicationFactor: number) {
  const { segmentMinBytes, segmentMaxBytes, segmentMinAgeMs } = LIMITS;
  return {
    retentionMaxBytes: { min: 0 },
    retentionMaxMessages: { min: 0 },
    retentionMaxAge: { min: segmentMinAgeMs, orZero: true, unit: "ms" },
    cleanerInterval: { min: 1, unit: "ms" },
    segmentMaxBytes: { min: segmentMinBytes, max: segmentMaxBytes, orZero: true },
    segmentMaxAge: { min: segmentMinAgeMs, orZero: true, unit: "ms" },
    compactMaxGoroutines: { min: 1 },
    autoPauseTime: { min: 0, unit: "ms" },
    minIsr: { min: 1, max: replicationFactor },
  } satisfies Partial<Record<keyof StreamSettings, Parameters<typeof validateRange>[2]>>;
}

function streamSettings(req: CreateStreamRequest, replicationFactor: number): StreamSettings {
  const settings: StreamSettings = {};
  for (const key of STREAM_SETTING_KEYS) {
    const value = req[key];
    if (value !== undefined) (settings as Record<string, unknown>)[key] = value;
  }
  const ranges = settingRanges(replicationFactor);
  for (const [key, range] of Object.entries(ranges)) {
    const value = settings[key as keyof typeof ranges];
    if (value === undefined) continue;
    if (key === "minIsr" && value > replicationFactor) {
      throw invalidArgument(
        `Invalid minIsr ${value}: it cannot exceed the replicationFactor ${replicationFactor}`,
      );
    }
    validateRange(key, value, range);
  }
  return settings;
}

export async function deleteStream(ctx: ApiContext, req: DeleteStreamRequest): Promise<void> {
  if (req.name === "") throw invalidArgument("Name cannot be empty");
  // A stream created before today's limits keeps a name they refuse: it can still be deleted.
  if (!ctx.metadata.getStream(req.name)) checkStreamName(req.name);
  if (RESERVED_STREAMS.has(req.name)) throw invalidArgument(`Stream is reserved: ${req.name}`);
  const result = await ctx.replicatedLog.propose({ op: "deleteStream", name: req.name });
  if (!result.ok) throw notFound(`No such stream: ${req.name}`);
  await ctx.partitions.whenSettled(req.name);
}

export async function fetchMetadata(
  ctx: ApiContext,
  req: FetchMetadataRequest,
): Promise<FetchMetadataResponse> {
  if (req.streams.length > ctx.config.metadataMaxNames) {
    throw invalidArgument(
      `FetchMetadata lists ${req.streams.length} stream names; the limit is ${ctx.config.metadataMaxNames} (metadata.max.names)`,
    );
  }
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
  // The leader's replica, or a follower's (its high watermark trails the leader's a little).
  const local = ctx.partitions.replica(stream.name, info.id);
  const timestamps = local ? await local.messageTimestamps() : undefined;
  // A paused partition keeps no log open: what its log recorded when it closed.
  const progress = local
    ? { highWatermark: local.highWatermark, newestOffset: local.newestOffset }
    : info.paused && info.replicas.includes(ctx.serverId)
      ? await ctx.partitions.pausedProgress(stream.name, info.id)
      : { highWatermark: -1, newestOffset: -1 };
  return {
    id: info.id,
    leader: info.leader,
    replicas: [...info.replicas],
    isr: [...info.isr],
    highWatermark: progress.highWatermark,
    newestOffset: progress.newestOffset,
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
