import * as grpc from "@grpc/grpc-js";
import { adminServiceDefinition } from "../../wire/admin.js";
import type * as api from "../../wire/api.js";
import { ApiClient, apiServiceDefinition } from "../../wire/service.js";
import type {
  AdminRpc,
  AdminRpcs,
  BrokerStub,
  PublishAsyncCall,
  SubscribeCall,
  UnaryRpc,
  UnaryRpcs,
} from "../broker-stub.js";
import type { CallOptions } from "./call.js";

/** The codecs behind the service definition accept any subset of a message's fields. */
type Serialize = (message: unknown) => Buffer;

const CHANNEL_OPTIONS: Partial<grpc.ChannelOptions> = {
  // Subscribe batches and large messages must not be cut off by grpc-js's 4 MB default.
  "grpc.max_receive_message_length": -1,
  "grpc.max_send_message_length": -1,
};

/** The grpc-js client of one broker address (LB_GRPC_CLIENT=grpc-js). */
export class GrpcJsBrokerStub implements BrokerStub {
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

  admin<M extends AdminRpc>(
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

  subscribe(request: api.MessageInit<api.SubscribeRequest>): SubscribeCall {
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

  publishAsync(): PublishAsyncCall {
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
