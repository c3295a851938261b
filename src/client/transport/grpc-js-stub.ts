import * as grpc from "@grpc/grpc-js";
import type * as api from "../../wire/api.js";
import { ApiClient, apiServiceDefinition } from "../../wire/service.js";
import type { PublishAsyncCall, SubscribeCall } from "../broker-stub.js";
import type { CallOptions } from "./call.js";
import { TypedBrokerStub, type UnaryMethod } from "./typed-stub.js";

/** The codecs behind the service definition accept any subset of a message's fields. */
type Serialize = (message: unknown) => Buffer;

const CHANNEL_OPTIONS: Partial<grpc.ChannelOptions> = {
  // Subscribe batches and large messages must not be cut off by grpc-js's 4 MB default.
  "grpc.max_receive_message_length": -1,
  "grpc.max_send_message_length": -1,
};

/** The grpc-js client of one broker address (LB_GRPC_CLIENT=grpc-js). */
export class GrpcJsBrokerStub extends TypedBrokerStub {
  private readonly client: grpc.Client;

  constructor(address: string) {
    super(address);
    this.client = new ApiClient(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  }

  protected call(method: UnaryMethod, request: unknown, options: CallOptions): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        method.path,
        method.requestSerialize as Serialize,
        method.responseDeserialize,
        request,
        new grpc.Metadata({ waitForReady: options.waitForReady ?? false }),
        options.deadline ? { deadline: options.deadline } : {},
        (err, response) => (err ? reject(err) : resolve(response)),
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
