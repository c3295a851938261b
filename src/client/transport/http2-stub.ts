import { adminServiceDefinition } from "../../wire/admin.js";
import type * as api from "../../wire/api.js";
import { apiServiceDefinition } from "../../wire/service.js";
import type {
  AdminRpc,
  AdminRpcs,
  BrokerStub,
  PublishAsyncCall,
  SubscribeCall,
  UnaryRpc,
  UnaryRpcs,
} from "../broker-stub.js";
import { BidiStreamCall } from "./bidi-stream.js";
import type { CallOptions } from "./call.js";
import { Http2Connection } from "./connection.js";
import { ServerStreamCall } from "./server-stream.js";
import { unaryCall } from "./unary.js";

/** The codecs behind the service definitions accept any subset of a message's fields. */
interface Codec {
  path: string;
  requestSerialize: (message: never) => Buffer;
  responseDeserialize: (bytes: Buffer) => unknown;
}

/** Calls on one broker address over node:http2 with lb's own gRPC framing. */
export class Http2BrokerStub implements BrokerStub {
  private readonly connection: Http2Connection;

  constructor(readonly address: string) {
    this.connection = new Http2Connection(address);
  }

  unary<M extends UnaryRpc>(
    method: M,
    request: api.MessageInit<UnaryRpcs[M][0]>,
    options: CallOptions = {},
  ): Promise<UnaryRpcs[M][1]> {
    return this.call(apiServiceDefinition[method], request, options) as Promise<UnaryRpcs[M][1]>;
  }

  admin<M extends AdminRpc>(
    method: M,
    request: api.MessageInit<AdminRpcs[M][0]>,
    options: CallOptions = {},
  ): Promise<AdminRpcs[M][1]> {
    return this.call(adminServiceDefinition[method], request, options) as Promise<AdminRpcs[M][1]>;
  }

  private call(definition: Codec, request: unknown, options: CallOptions): Promise<unknown> {
    const serialize = definition.requestSerialize as (message: unknown) => Buffer;
    return unaryCall(
      this.connection,
      definition.path,
      () => serialize(request),
      definition.responseDeserialize,
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
