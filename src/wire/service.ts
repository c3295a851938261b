/**
 * grpc-js service definitions for `proto.API`, serialised with the hand-written codecs of api.ts.
 * Method keys are the proto names (`CreateStream`); `originalName` is the lowerCamel form, so
 * generated clients expose both and servers accept handlers under either.
 */
import * as grpc from "@grpc/grpc-js";
import * as api from "./api.js";
import { encodePublishResponseFast } from "./publish-response-codec.js";

type Encode<T> = (m: api.MessageInit<T>) => Uint8Array;
type Decode<T> = (b: Uint8Array) => T;

/** A Buffer over the same memory: grpc-js wants Buffers, the codecs produce Uint8Arrays. */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function method<Req, Res>(
  name: string,
  requestStream: boolean,
  responseStream: boolean,
  encodeRequest: Encode<Req>,
  decodeRequest: Decode<Req>,
  encodeResponse: Encode<Res>,
  decodeResponse: Decode<Res>,
): grpc.MethodDefinition<Req, Res> {
  return {
    path: `/proto.API/${name}`,
    requestStream,
    responseStream,
    requestSerialize: (m: Req) => toBuffer(encodeRequest(m as api.MessageInit<Req>)),
    requestDeserialize: decodeRequest,
    responseSerialize: (m: Res) => toBuffer(encodeResponse(m as api.MessageInit<Res>)),
    responseDeserialize: decodeResponse,
    originalName: name[0].toLowerCase() + name.slice(1),
  };
}

export const API_SERVICE_NAME = "proto.API";

/** Every RPC of `proto.API`, keyed by its proto method name. */
export const apiServiceDefinition = {
  CreateStream: method(
    "CreateStream",
    false,
    false,
    api.encodeCreateStreamRequest,
    api.decodeCreateStreamRequest,
    api.encodeCreateStreamResponse,
    api.decodeCreateStreamResponse,
  ),
  DeleteStream: method(
    "DeleteStream",
    false,
    false,
    api.encodeDeleteStreamRequest,
    api.decodeDeleteStreamRequest,
    api.encodeDeleteStreamResponse,
    api.decodeDeleteStreamResponse,
  ),
  PauseStream: method(
    "PauseStream",
    false,
    false,
    api.encodePauseStreamRequest,
    api.decodePauseStreamRequest,
    api.encodePauseStreamResponse,
    api.decodePauseStreamResponse,
  ),
  SetStreamReadonly: method(
    "SetStreamReadonly",
    false,
    false,
    api.encodeSetStreamReadonlyRequest,
    api.decodeSetStreamReadonlyRequest,
    api.encodeSetStreamReadonlyResponse,
    api.decodeSetStreamReadonlyResponse,
  ),
  Subscribe: method(
    "Subscribe",
    false,
    true,
    api.encodeSubscribeRequest,
    api.decodeSubscribeRequest,
    api.encodeMessage,
    api.decodeMessage,
  ),
  FetchMetadata: method(
    "FetchMetadata",
    false,
    false,
    api.encodeFetchMetadataRequest,
    api.decodeFetchMetadataRequest,
    api.encodeFetchMetadataResponse,
    api.decodeFetchMetadataResponse,
  ),
  FetchPartitionMetadata: method(
    "FetchPartitionMetadata",
    false,
    false,
    api.encodeFetchPartitionMetadataRequest,
    api.decodeFetchPartitionMetadataRequest,
    api.encodeFetchPartitionMetadataResponse,
    api.decodeFetchPartitionMetadataResponse,
  ),
  Publish: method(
    "Publish",
    false,
    false,
    api.encodePublishRequest,
    api.decodePublishRequest,
    api.encodePublishResponse,
    api.decodePublishResponse,
  ),
  PublishAsync: method(
    "PublishAsync",
    true,
    true,
    api.encodePublishRequest,
    api.decodePublishRequest,
    api.encodePublishResponse,
    api.decodePublishResponse,
  ),
  PublishToSubject: method(
    "PublishToSubject",
    false,
    false,
    api.encodePublishToSubjectRequest,
    api.decodePublishToSubjectRequest,
    api.encodePublishToSubjectResponse,
    api.decodePublishToSubjectResponse,
  ),
  SetCursor: method(
    "SetCursor",
    false,
    false,
    api.encodeSetCursorRequest,
    api.decodeSetCursorRequest,
    api.encodeSetCursorResponse,
    api.decodeSetCursorResponse,
  ),
  FetchCursor: method(
    "FetchCursor",
    false,
    false,
    api.encodeFetchCursorRequest,
    api.decodeFetchCursorRequest,
    api.encodeFetchCursorResponse,
    api.decodeFetchCursorResponse,
  ),
  JoinConsumerGroup: method(
    "JoinConsumerGroup",
    false,
    false,
    api.encodeJoinConsumerGroupRequest,
    api.decodeJoinConsumerGroupRequest,
    api.encodeJoinConsumerGroupResponse,
    api.decodeJoinConsumerGroupResponse,
  ),
  LeaveConsumerGroup: method(
    "LeaveConsumerGroup",
    false,
    false,
    api.encodeLeaveConsumerGroupRequest,
    api.decodeLeaveConsumerGroupRequest,
    api.encodeLeaveConsumerGroupResponse,
    api.decodeLeaveConsumerGroupResponse,
  ),
  FetchConsumerGroupAssignments: method(
    "FetchConsumerGroupAssignments",
    false,
    false,
    api.encodeFetchConsumerGroupAssignmentsRequest,
    api.decodeFetchConsumerGroupAssignmentsRequest,
    api.encodeFetchConsumerGroupAssignmentsResponse,
    api.decodeFetchConsumerGroupAssignmentsResponse,
  ),
  ReportConsumerGroupCoordinator: method(
    "ReportConsumerGroupCoordinator",
    false,
    false,
    api.encodeReportConsumerGroupCoordinatorRequest,
    api.decodeReportConsumerGroupCoordinatorRequest,
    api.encodeReportConsumerGroupCoordinatorResponse,
    api.decodeReportConsumerGroupCoordinatorResponse,
  ),
} satisfies grpc.ServiceDefinition;

export type ApiMethodName = keyof typeof apiServiceDefinition;

/** All 16 proto method names, in api.proto order. */
export const API_METHOD_NAMES = Object.keys(apiServiceDefinition) as ApiMethodName[];

/**
 * Server side: Subscribe writes already-encoded Message bytes (stored records framed once); the
 * publish acks use the hand-rolled PublishResponse encoder (one per message published).
 */
export const apiServerDefinition = {
  ...apiServiceDefinition,
  Subscribe: { ...apiServiceDefinition.Subscribe, responseSerialize: toBuffer },
  Publish: { ...apiServiceDefinition.Publish, responseSerialize: encodePublishResponseFast },
  PublishAsync: {
    ...apiServiceDefinition.PublishAsync,
    responseSerialize: encodePublishResponseFast,
  },
} satisfies grpc.ServiceDefinition;

// ---------------------------------------------------------------------------------------------
// Typed client

type Callback<Res> = grpc.requestCallback<Res>;
type CallOptions = Partial<grpc.CallOptions>;

export interface UnaryRpc<Req, Res> {
  (request: api.MessageInit<Req>, callback: Callback<Res>): grpc.ClientUnaryCall;
  (
    request: api.MessageInit<Req>,
    metadata: grpc.Metadata,
    callback: Callback<Res>,
  ): grpc.ClientUnaryCall;
  (
    request: api.MessageInit<Req>,
    options: CallOptions,
    callback: Callback<Res>,
  ): grpc.ClientUnaryCall;
  (
    request: api.MessageInit<Req>,
    metadata: grpc.Metadata,
    options: CallOptions,
    callback: Callback<Res>,
  ): grpc.ClientUnaryCall;
}

export interface ServerStreamingRpc<Req, Res> {
  (request: api.MessageInit<Req>, options?: CallOptions): grpc.ClientReadableStream<Res>;
  (
    request: api.MessageInit<Req>,
    metadata?: grpc.Metadata,
    options?: CallOptions,
  ): grpc.ClientReadableStream<Res>;
}

export interface BidiStreamingRpc<Req, Res> {
  (options?: CallOptions): grpc.ClientDuplexStream<api.MessageInit<Req>, Res>;
  (
    metadata?: grpc.Metadata,
    options?: CallOptions,
  ): grpc.ClientDuplexStream<api.MessageInit<Req>, Res>;
}

/** A `proto.API` client; methods are also reachable under their PascalCase proto names. */
export interface ApiClient extends grpc.Client {
  createStream: UnaryRpc<api.CreateStreamRequest, api.CreateStreamResponse>;
  deleteStream: UnaryRpc<api.DeleteStreamRequest, api.DeleteStreamResponse>;
  pauseStream: UnaryRpc<api.PauseStreamRequest, api.PauseStreamResponse>;
  setStreamReadonly: UnaryRpc<api.SetStreamReadonlyRequest, api.SetStreamReadonlyResponse>;
  subscribe: ServerStreamingRpc<api.SubscribeRequest, api.Message>;
  fetchMetadata: UnaryRpc<api.FetchMetadataRequest, api.FetchMetadataResponse>;
  fetchPartitionMetadata: UnaryRpc<
    api.FetchPartitionMetadataRequest,
    api.FetchPartitionMetadataResponse
  >;
  publish: UnaryRpc<api.PublishRequest, api.PublishResponse>;
  publishAsync: BidiStreamingRpc<api.PublishRequest, api.PublishResponse>;
  publishToSubject: UnaryRpc<api.PublishToSubjectRequest, api.PublishToSubjectResponse>;
  setCursor: UnaryRpc<api.SetCursorRequest, api.SetCursorResponse>;
  fetchCursor: UnaryRpc<api.FetchCursorRequest, api.FetchCursorResponse>;
  joinConsumerGroup: UnaryRpc<api.JoinConsumerGroupRequest, api.JoinConsumerGroupResponse>;
  leaveConsumerGroup: UnaryRpc<api.LeaveConsumerGroupRequest, api.LeaveConsumerGroupResponse>;
  fetchConsumerGroupAssignments: UnaryRpc<
    api.FetchConsumerGroupAssignmentsRequest,
    api.FetchConsumerGroupAssignmentsResponse
  >;
  reportConsumerGroupCoordinator: UnaryRpc<
    api.ReportConsumerGroupCoordinatorRequest,
    api.ReportConsumerGroupCoordinatorResponse
  >;
}

export interface ApiClientConstructor {
  new (
    address: string,
    credentials: grpc.ChannelCredentials,
    options?: Partial<grpc.ChannelOptions>,
  ): ApiClient;
  service: grpc.ServiceDefinition;
  serviceName: string;
}

export const ApiClient = grpc.makeGenericClientConstructor(
  apiServiceDefinition,
  "API",
) as unknown as ApiClientConstructor;

// ---------------------------------------------------------------------------------------------
// Typed server handlers

type Unary<Req, Res> = grpc.handleUnaryCall<Req, api.MessageInit<Res>>;

/** Handlers for `apiServerDefinition` (Subscribe writes pre-encoded Message bytes). */
export type ApiServerHandlers = {
  CreateStream: Unary<api.CreateStreamRequest, api.CreateStreamResponse>;
  DeleteStream: Unary<api.DeleteStreamRequest, api.DeleteStreamResponse>;
  PauseStream: Unary<api.PauseStreamRequest, api.PauseStreamResponse>;
  SetStreamReadonly: Unary<api.SetStreamReadonlyRequest, api.SetStreamReadonlyResponse>;
  Subscribe: grpc.handleServerStreamingCall<api.SubscribeRequest, Uint8Array>;
  FetchMetadata: Unary<api.FetchMetadataRequest, api.FetchMetadataResponse>;
  FetchPartitionMetadata: Unary<
    api.FetchPartitionMetadataRequest,
    api.FetchPartitionMetadataResponse
  >;
  Publish: Unary<api.PublishRequest, api.PublishResponse>;
  PublishAsync: grpc.handleBidiStreamingCall<
    api.PublishRequest,
    api.MessageInit<api.PublishResponse>
  >;
  PublishToSubject: Unary<api.PublishToSubjectRequest, api.PublishToSubjectResponse>;
  SetCursor: Unary<api.SetCursorRequest, api.SetCursorResponse>;
  FetchCursor: Unary<api.FetchCursorRequest, api.FetchCursorResponse>;
  JoinConsumerGroup: Unary<api.JoinConsumerGroupRequest, api.JoinConsumerGroupResponse>;
  LeaveConsumerGroup: Unary<api.LeaveConsumerGroupRequest, api.LeaveConsumerGroupResponse>;
  FetchConsumerGroupAssignments: Unary<
    api.FetchConsumerGroupAssignmentsRequest,
    api.FetchConsumerGroupAssignmentsResponse
  >;
  ReportConsumerGroupCoordinator: Unary<
    api.ReportConsumerGroupCoordinatorRequest,
    api.ReportConsumerGroupCoordinatorResponse
  >;
};
