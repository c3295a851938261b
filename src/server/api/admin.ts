import type {
  AdminCreateStreamRequest,
  CompactRequest,
  CompactResponse,
  DescribeClusterResponse,
  DescribeGroupsRequest,
  DescribeGroupsResponse,
  DescribePartitionsRequest,
  DescribePartitionsResponse,
  DescribeStreamsRequest,
  DescribeStreamsResponse,
} from "../../wire/admin.js";
import type { ServiceImplementation, UnaryCall, UnaryCallback } from "../grpc/calls.js";
import { assignPartitions } from "../metadata/group-assignment.js";
import { STREAM_SETTING_KEYS, type StreamSettings } from "../metadata/types.js";
import type { ApiContext } from "./context.js";
import { partitionProgress, pausedPartitionProgress } from "./partition-progress.js";
import {
  failedPrecondition,
  invalidArgument,
  notFound,
  toApiError,
  unavailable,
} from "./status.js";
import { createStream } from "./streams.js";

function unary<Req, Res>(
  handler: (req: Req) => Promise<Res> | Res,
): (call: UnaryCall<Req>, callback: UnaryCallback<Res>) => void {
  return (call, callback) => {
    Promise.resolve()
      .then(() => handler(call.request))
      .then(
        (res) => callback(null, res),
        (err) => callback(toApiError(err).toServiceError()),
      );
  };
}

/** lb's own `lb.admin.Admin` service. */
export function adminImplementation(ctx: ApiContext): ServiceImplementation {
  return {
    DescribeStreams: unary((req: DescribeStreamsRequest) => describeStreams(ctx, req)),
    CreateStream: unary(async (req: AdminCreateStreamRequest) => {
      await createStream(ctx, req.request, { syncPolicy: req.syncPolicy });
      return {};
    }),
    Compact: unary((req: CompactRequest) => compact(ctx, req)),
    DescribeCluster: unary(() => describeCluster(ctx)),
    DescribePartitions: unary((req: DescribePartitionsRequest) => describePartitions(ctx, req)),
    DescribeGroups: unary((req: DescribeGroupsRequest) => describeGroups(ctx, req)),
  };
}

function describeStreams(ctx: ApiContext, req: DescribeStreamsRequest): DescribeStreamsResponse {
  const streams = req.streams.length
    ? req.streams.map((name) => {
        const stream = ctx.metadata.getStream(name);
        if (!stream) throw notFound(`No such stream: ${name}`);
        return stream;
      })
    : ctx.metadata.listStreams();
  return {
    streams: streams.map((s) => {
      const settings: Record<string, unknown> = {};
      for (const key of STREAM_SETTING_KEYS) settings[key] = s.settings[key];
      const base = {
        name: s.name,
        subject: s.subject,
        group: s.group,
        replicationFactor: s.replicationFactor,
        partitions: s.partitions.length,
      };
      return {
        config: { ...base, ...settings },
        creationTimestamp: BigInt(s.creationTimestamp),
        syncPolicy: s.settings.syncPolicy ?? "",
        effective: { ...base, ...effectiveSettings(ctx, s.settings) },
        effectiveSyncPolicy: s.settings.syncPolicy ?? ctx.config.streams.syncPolicy,
      };
    }),
  };
}

function describeGroups(ctx: ApiContext, req: DescribeGroupsRequest): DescribeGroupsResponse {
  const groups = req.groups.length
    ? req.groups.map((id) => {
        const group = ctx.metadata.getGroup(id);
        if (!group) throw notFound(`No such consumer group: ${id}`);
        return group;
      })
    : ctx.metadata.listGroups();
  return {
    groups: groups.map((group) => {
      const assigned = assignPartitions(
        group,
        (s) => ctx.metadata.getStream(s)?.partitions.length ?? 0,
      );
      return {
        groupId: group.id,
        coordinator: group.coordinator,
        epoch: group.epoch,
        members: group.members.map((member) => ({
          consumerId: member.id,
          streams: [...member.streams],
          assignments: [...(assigned.get(member.id) ?? new Map<string, number[]>())].map(
            ([stream, partitions]) => ({ stream, partitions: [...partitions] }),
          ),
        })),
      };
    }),
  };
}

type StreamSettingValues = Omit<StreamSettings, "syncPolicy">;

/** A stream's settings with every unset one filled in from this broker's defaults. */
function effectiveSettings(ctx: ApiContext, own: StreamSettings): Required<StreamSettingValues> {
  const d = ctx.config.streams;
  return {
    retentionMaxBytes: own.retentionMaxBytes ?? d.retentionMaxBytes,
    retentionMaxMessages: own.retentionMaxMessages ?? d.retentionMaxMessages,
    retentionMaxAge: own.retentionMaxAge ?? d.retentionMaxAgeMs,
    cleanerInterval: own.cleanerInterval ?? d.cleanerIntervalMs,
    segmentMaxBytes: own.segmentMaxBytes ?? d.segmentMaxBytes,
    segmentMaxAge: own.segmentMaxAge ?? d.segmentMaxAgeMs,
    compactMaxGoroutines: own.compactMaxGoroutines ?? d.compactMaxGoroutines,
    compactEnabled: own.compactEnabled ?? d.compactEnabled,
    autoPauseTime: own.autoPauseTime ?? d.autoPauseTimeMs,
    autoPauseDisableIfSubscribers:
      own.autoPauseDisableIfSubscribers ?? d.autoPauseDisableIfSubscribers,
    minIsr: own.minIsr ?? ctx.config.clustering.minInsyncReplicas,
    optimisticConcurrencyControl: own.optimisticConcurrencyControl ?? d.concurrencyControl,
    encryption: own.encryption ?? d.encryption,
  };
}

async function compact(ctx: ApiContext, req: CompactRequest): Promise<CompactResponse> {
  if (req.stream === "") throw invalidArgument("No stream provided");
  const stream = ctx.metadata.getStream(req.stream);
  if (!stream) throw notFound(`No such stream: ${req.stream}`);
  const ids = req.partitions.length ? req.partitions : stream.partitions.map((p) => p.id);
  const results: CompactResponse["partitions"] = [];
  for (const id of ids) {
    const info = stream.partitions[id];
    if (!info)
      throw notFound(
        `No such partition: ${id} (stream ${req.stream} has ${stream.partitions.length})`,
      );
    if (info.leader !== ctx.serverId) throw failedPrecondition("Server not partition leader");
    const partition = ctx.partitions.get(req.stream, id);
    if (!partition) {
      throw failedPrecondition(`partition ${req.stream}/${id} is paused: resume it to compact it`);
    }
    results.push({ partition: id, ...(await partition.log.compact()) });
  }
  return { partitions: results };
}

function describeCluster(ctx: ApiContext): DescribeClusterResponse {
  const status = ctx.cluster.status();
  return {
    serverId: status.serverId,
    controller: status.controller,
    role: status.role,
    term: status.term,
    commitIndex: status.commitIndex,
    appliedIndex: status.appliedIndex,
    brokers: status.brokers.map((b) => ({
      id: b.id,
      host: b.host,
      port: b.port,
      alive: b.alive,
      membership: b.membership,
      localFailures: b.localFailures,
    })),
  };
}

async function describePartitions(
  ctx: ApiContext,
  req: DescribePartitionsRequest,
): Promise<DescribePartitionsResponse> {
  if (req.stream === "") throw invalidArgument("No stream provided");
  const stream = ctx.metadata.getStream(req.stream);
  if (!stream) throw notFound(`No such stream: ${req.stream}`);
  const ids = req.partitions.length ? req.partitions : stream.partitions.map((p) => p.id);
  const infos = ids.map((id) => {
    const info = stream.partitions[id];
    if (!info)
      throw notFound(
        `No such partition: ${id} (stream ${req.stream} has ${stream.partitions.length})`,
      );
    if (info.leader !== ctx.serverId) throw failedPrecondition("Server not partition leader");
    return info;
  });
  // A partition just created, resumed or led here is still opening: report it once it is open.
  await ctx.partitions.whenSettled(req.stream);
  return {
    partitions: infos.map((info) => {
      if (info.paused) return { partition: info.id, ...pausedPartitionProgress(info) };
      const partition = ctx.partitions.get(req.stream, info.id);
      if (!partition) {
        throw unavailable(`partition ${req.stream}/${info.id} is not open on its leader yet`);
      }
      return { partition: info.id, ...partitionProgress(partition, ctx.serverId) };
    }),
  };
}
