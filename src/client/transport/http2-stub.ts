import type * as api from "../../wire/api.js";
import { apiServiceDefinition } from "../../wire/service.js";
import type { PublishAsyncCall, SubscribeCall } from "../broker-stub.js";
import { BidiStreamCall } from "./bidi-stream.js";
import type { CallOptions } from "./call.js";
import { Http2Connection } from "./connection.js";
import { ServerStreamCall } from "./server-stream.js";
import { TypedBrokerStub, type UnaryMethod } from "./typed-stub.js";
import { unaryCall } from "./unary.js";

/** Calls on one broker address over node:http2 with lb's own gRPC framing. */
export class Http2BrokerStub extends TypedBrokerStub {
  private readonly connection: Http2Connection;

  constructor(address: string) {
    super(address);
    this.connection = new Http2Connection(address);
  }

  protected call(method: UnaryMethod, request: unknown, options: CallOptions): Promise<unknown> {
    const serialize = method.requestSerialize as (message: unknown) => Buffer;
    return unaryCall(
      this.connection,
      method.path,
      () => serialize(request),
      method.responseDeserialize,
      options,
    );
  }

  subscribe(request: api.MessageInit<api.SubscribeRequest>): SubscribeCall {
    const definition = apiServiceDefinition.Subscribe;
    return new ServerStreamCall(
      this.connection,
      definition.path,
      definition.requestSerialize(request as api.SubscribeRequest),
      definition.responseDeserialize,
    );
  }

  publishAsync(): PublishAsyncCall {
    const definition = apiServiceDefinition.PublishAsync;
    return new BidiStreamCall(
      this.connection,
      definition.path,
      definition.requestSerialize as (request: api.MessageInit<api.PublishRequest>) => Buffer,
      definition.responseDeserialize,
    );
  }

  close(): void {
    this.connection.close();
  }
}
