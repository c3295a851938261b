import * as grpc from "@grpc/grpc-js";
import type * as admin from "../wire/admin.js";
import { adminServiceDefinition } from "../wire/admin.js";
import type * as api from "../wire/api.js";
import { ApiClient, apiServiceDefinition } from "../wire/service.js";

/** Request and response types of the unary RPCs the client makes. */
interface UnaryRpcs {
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

interface AdminRpcs {
  DescribeStreams: [admin.DescribeStreamsRequest, admin.DescribeStreamsResponse];
  CreateStream: [admin.AdminCreateStreamRequest, object];
  Compact: [admin.CompactRequest, admin.CompactResponse];
  DescribeCluster: [admin.DescribeClusterRequest, admin.DescribeClusterResponse];
  DescribePartitions: [admin.DescribePartitionsRequest, admin.DescribePartitionsResponse];
}

/** The codecs behind the service definition accept any subset of a message's fields. */
type Serialize = (message: unknown) => Buffer;

export interface CallOptions {
  /** Absolute deadline. */
  deadline?: Date;
  /** Wait for the connection to come up instead of failing at once when it is down. */
  waitForReady?: boolean;
}

const CHANNEL_OPTIONS: Partial<grpc.ChannelOptions> = {
  // Subscribe batches and large messages must not be cut off by grpc-js's 4 MB default.
  "grpc.max_receive_message_length": -1,
  "grpc.max_send_message_length": -1,
};

/** One gRPC channel to one broker address, with typed calls of `proto.API`. */
export class BrokerStub {
  private readonly client: grpc.Client;

  constructor(readonly address: string) {
    this.client = new ApiClient(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  }

  unary<M extends UnaryRpc>(
    method: M,
    request: api.MessageInit<UnaryRpcs[M][0]>,
    options: CallOptions = {},
  ): Promise<UnaryRpcs[M][1]> {
    return this.call(apiServiceDefinition[method], request, options);
  }

  /** A call of lb's own `lb.admin.Admin` service, on the same channel. */
  admin<M extends keyof AdminRpcs>(
    method: M,
    request: api.MessageInit<AdminRpcs[M][0]>,
    options: CallOptions = {},
  ): Promise<AdminRpcs[M][1]> {
    return this.call(adminServiceDefinition[method], request, options);
  }

  private call<Res>(
    definition: { path: string; requestSerialize: unknown; responseDeserialize: unknown },
    request: unknown,
    options: CallOptions,
  ): Promise<Res> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        definition.path,
        definition.requestSerialize as Serialize,
        definition.responseDeserialize as (bytes: Buffer) => Res,
        request,
        new grpc.Metadata({ waitForReady: options.waitForReady ?? false }),
        options.deadline ? { deadline: options.deadline } : {},
        (err, response) => (err ? reject(err) : resolve(response as Res)),
      );
    });
  }

  subscribe(
    request: api.MessageInit<api.SubscribeRequest>,
  ): grpc.ClientReadableStream<api.Message> {
    const definition = apiServiceDefinition.Subscribe;
    return this.client.makeServerStreamRequest(
      definition.path,
      definition.requestSerialize as Serialize,
      definition.responseDeserialize,
      request,
      new grpc.Metadata(),
      {},
    );
  }

  publishAsync(): grpc.ClientDuplexStream<
    api.MessageInit<api.PublishRequest>,
    api.PublishResponse
  > {
    const definition = apiServiceDefinition.PublishAsync;
    return this.client.makeBidiStreamRequest(
      definition.path,
      definition.requestSerialize as Serialize,
      definition.responseDeserialize,
      new grpc.Metadata(),
      {},
    );
  }

  close(): void {
    this.client.close();
  }
}

/** One stub per broker address, created on first use and kept until close. */
export class BrokerStubs {
  private readonly stubs = new Map<string, BrokerStub>();

  get(address: string): BrokerStub {
    let stub = this.stubs.get(address);
    if (!stub) {
      stub = new BrokerStub(address);
      this.stubs.set(address, stub);
    }
    return stub;
  }

  closeAll(): void {
    for (const stub of this.stubs.values()) stub.close();
    this.stubs.clear();
  }
}
