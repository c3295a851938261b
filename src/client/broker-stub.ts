import type { EventEmitter } from "node:events";
import type * as admin from "../wire/admin.js";
import type * as api from "../wire/api.js";
import type { CallOptions } from "./transport/call.js";
import { GrpcJsBrokerStub } from "./transport/grpc-js-stub.js";
import { Http2BrokerStub } from "./transport/http2-stub.js";

export type { CallOptions } from "./transport/call.js";

/** Request and response types of the unary RPCs the client makes. */
export interface UnaryRpcs {
  CreateStream: [api.CreateStreamRequest, api.CreateStreamResponse];
  DeleteStream: [api.DeleteStreamRequest, api.DeleteStreamResponse];
  PauseStream: [api.PauseStreamRequest, api.PauseStreamResponse];
  SetStreamReadonly: [api.SetStreamReadonlyRequest, api.SetStreamReadonlyResponse];
  FetchMetadata: [api.FetchMetadataRequest, api.FetchMetadataResponse];
  FetchPartitionMetadata: [api.FetchPartitionMetadataRequest, api.FetchPartitionMetadataResponse];
  Publish: [api.PublishRequest, api.PublishResponse];
  PublishToSubject: [api.PublishToSubjectRequest, api.PublishToSubjectResponse];
  SetCursor: [api.SetCursorRequest, api.SetCursorResponse];
  FetchCursor: [api.FetchCursorRequest, api.FetchCursorResponse];
}
export type UnaryRpc = keyof UnaryRpcs;

export interface AdminRpcs {
  DescribeStreams: [admin.DescribeStreamsRequest, admin.DescribeStreamsResponse];
  CreateStream: [admin.AdminCreateStreamRequest, object];
  Compact: [admin.CompactRequest, admin.CompactResponse];
  DescribeCluster: [admin.DescribeClusterRequest, admin.DescribeClusterResponse];
  DescribePartitions: [admin.DescribePartitionsRequest, admin.DescribePartitionsResponse];
  DescribeGroups: [admin.DescribeGroupsRequest, admin.DescribeGroupsResponse];
}
export type AdminRpc = keyof AdminRpcs;

/**
 * A PublishAsync call, as both transports provide it: 'data' (PublishResponse), 'error' (an
 * Error with a gRPC `code` and `details`), 'status' ({code, details}, on every end), 'drain'.
 */
export interface PublishAsyncCall extends EventEmitter {
  /** False when the transport's buffer is full: wait for 'drain'. */
  write(request: api.MessageInit<api.PublishRequest>): boolean;
  /**
   * Sends what write() batched now instead of at the end of the event-loop turn, when the
   * transport batches (for a lone request, whose latency the batching would only add to).
   */
  flush?(): void;
  /** Half-closes the call; the broker ends it once in-flight acks are sent. */
  end(): void;
  cancel(): void;
}

/** A Subscribe call: messages for `for await` (a failure status is thrown), and cancel(). */
export interface SubscribeCall extends AsyncIterable<api.Message> {
  cancel(): void;
}

/** Typed calls of `proto.API` and `lb.admin.Admin` on one broker address. */
export interface BrokerStub {
  readonly address: string;
  unary<M extends UnaryRpc>(
    method: M,
    request: api.MessageInit<UnaryRpcs[M][0]>,
    options?: CallOptions,
  ): Promise<UnaryRpcs[M][1]>;
  admin<M extends AdminRpc>(
    method: M,
    request: api.MessageInit<AdminRpcs[M][0]>,
    options?: CallOptions,
  ): Promise<AdminRpcs[M][1]>;
  subscribe(request: api.MessageInit<api.SubscribeRequest>): SubscribeCall;
  publishAsync(): PublishAsyncCall;
  close(): void;
}

/**
 * The transport: our own gRPC framing over node:http2 unless LB_GRPC_CLIENT=grpc-js asks for the
 * grpc-js client (kept for comparison in the benchmark).
 */
function createStub(address: string): BrokerStub {
  return process.env.LB_GRPC_CLIENT === "grpc-js"
    ? new GrpcJsBrokerStub(address)
    : new Http2BrokerStub(address);
}

/** One stub per broker address, created on first use and kept until close. */
export class BrokerStubs {
  private readonly stubs = new Map<string, BrokerStub>();

  get(address: string): BrokerStub {
    let stub = this.stubs.get(address);
    if (!stub) {
      stub = createStub(address);
      this.stubs.set(address, stub);
    }
    return stub;
  }

  closeAll(): void {
    for (const stub of this.stubs.values()) stub.close();
    this.stubs.clear();
  }
}
