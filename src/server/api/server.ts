import { adminServiceDefinition } from "../../wire/admin.js";
import type {
  FetchConsumerGroupAssignmentsRequest,
  FetchCursorRequest,
  JoinConsumerGroupRequest,
  LeaveConsumerGroupRequest,
  ReportConsumerGroupCoordinatorRequest,
  SetCursorRequest,
} from "../../wire/api.js";
import { apiServerDefinition } from "../../wire/service.js";
import type { CursorManager } from "../cursors.js";
import type { GroupCoordinator } from "../groups.js";
import type {
  CallDeadline,
  ServiceImplementation,
  UnaryCall,
  UnaryCallback,
} from "../grpc/calls.js";
import { Http2GrpcServer } from "../grpc/http2-server.js";
import { GrpcJsServer, type RpcServer } from "../grpc/rpc-server.js";
import { adminImplementation } from "./admin.js";
import type { ApiContext } from "./context.js";
import { pauseStream, setStreamReadonly } from "./lifecycle.js";
import { publish, publishToSubject } from "./publish.js";
import { publishAsync } from "./publish-async.js";
import { toApiError } from "./status.js";
import { createStream, deleteStream, fetchMetadata, fetchPartitionMetadata } from "./streams.js";
import { subscribe } from "./subscribe.js";

function unary<Req, Res>(
  ctx: ApiContext,
  name: string,
  handler: (req: Req, deadline: number) => Promise<Res>,
): (call: UnaryCall<Req>, callback: UnaryCallback<Res>) => void {
  return (call, callback) => {
    handler(call.request, deadlineMs(call.getDeadline())).then(
      (response) => callback(null, response),
      (err) => {
        const apiError = toApiError(err);
        ctx.logger.debug(`${name} failed`, { code: apiError.code, error: apiError.message });
        callback(apiError.toServiceError());
      },
    );
  };
}

function deadlineMs(deadline: CallDeadline): number {
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

/** The `proto.API` service: upstream Liftbridge's client API. */
export function apiImplementation(
  ctx: ApiContext,
  cursors: CursorManager,
  groups: GroupCoordinator,
): ServiceImplementation {
  return {
    CreateStream: unary(ctx, "CreateStream", async (req) => {
      await createStream(ctx, req as Parameters<typeof createStream>[1]);
      return {};
    }),
    DeleteStream: unary(ctx, "DeleteStream", async (req) => {
      await deleteStream(ctx, req as Parameters<typeof deleteStream>[1]);
      return {};
    }),
    PauseStream: unary(ctx, "PauseStream", async (req) => {
      await pauseStream(ctx, req as Parameters<typeof pauseStream>[1]);
      return {};
    }),
    SetStreamReadonly: unary(ctx, "SetStreamReadonly", async (req) => {
      await setStreamReadonly(ctx, req as Parameters<typeof setStreamReadonly>[1]);
      return {};
    }),
    Subscribe: (call: Parameters<typeof subscribe>[1]) => {
      void subscribe(ctx, call);
    },
    FetchMetadata: unary(ctx, "FetchMetadata", (req) =>
      fetchMetadata(ctx, req as Parameters<typeof fetchMetadata>[1]),
    ),
    FetchPartitionMetadata: unary(ctx, "FetchPartitionMetadata", (req) =>
      fetchPartitionMetadata(ctx, req as Parameters<typeof fetchPartitionMetadata>[1]),
    ),
    Publish: unary(ctx, "Publish", (req, deadline) =>
      publish(ctx, req as Parameters<typeof publish>[1], deadline),
    ),
    PublishAsync: (call: Parameters<typeof publishAsync>[1]) => publishAsync(ctx, call),
    PublishToSubject: unary(ctx, "PublishToSubject", (req, deadline) =>
      publishToSubject(ctx, req as Parameters<typeof publishToSubject>[1], deadline),
    ),
    SetCursor: unary(ctx, "SetCursor", async (req) => {
      const { stream, partition, cursorId, offset } = req as SetCursorRequest;
      await cursors.set(stream, partition, cursorId, offset);
      return {};
    }),
    FetchCursor: unary(ctx, "FetchCursor", async (req) => {
      const { stream, partition, cursorId } = req as FetchCursorRequest;
      return { offset: await cursors.fetch(stream, partition, cursorId) };
    }),
    JoinConsumerGroup: unary(ctx, "JoinConsumerGroup", (req) =>
      groups.join(req as JoinConsumerGroupRequest),
    ),
    LeaveConsumerGroup: unary(ctx, "LeaveConsumerGroup", async (req) => {
      await groups.leave(req as LeaveConsumerGroupRequest);
      return {};
    }),
    FetchConsumerGroupAssignments: unary(ctx, "FetchConsumerGroupAssignments", async (req) =>
      groups.fetchAssignments(req as FetchConsumerGroupAssignmentsRequest),
    ),
    ReportConsumerGroupCoordinator: unary(ctx, "ReportConsumerGroupCoordinator", async (req) => {
      groups.report(req as ReportConsumerGroupCoordinatorRequest);
      return {};
    }),
  };
}

/**
 * The gRPC server for `proto.API` and `lb.admin.Admin`: our node:http2 server, or grpc-js's
 * with LB_GRPC_SERVER=grpc-js (same wire; grpc-js writes each streamed message on its own).
 */
export function createRpcServer(
  ctx: ApiContext,
  cursors: CursorManager,
  groups: GroupCoordinator,
): RpcServer {
  const limits = ctx.config.grpc;
  const server: RpcServer =
    process.env.LB_GRPC_SERVER === "grpc-js"
      ? new GrpcJsServer(limits)
      : new Http2GrpcServer({
          maxReceiveMessageBytes: limits.maxMessageBytes,
          maxSendMessageBytes: limits.maxMessageBytes,
          maxConcurrentStreams: limits.maxConcurrentStreams,
          maxSessionMemoryBytes: limits.maxSessionMemoryBytes,
        });
  server.addService(apiServerDefinition, apiImplementation(ctx, cursors, groups));
  server.addService(adminServiceDefinition, adminImplementation(ctx));
  return server;
}
