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
import type { CallOptions } from "./call.js";

/** A unary method's path and codecs; the codecs accept any subset of a message's fields. */
export interface UnaryMethod {
  path: string;
  requestSerialize: (message: never) => Buffer;
  responseDeserialize: (bytes: Buffer) => unknown;
}

/**
 * The typed unary calls of `proto.API` and `lb.admin.Admin`, shared by both transports: each
 * supplies how one unary call is made, and its streaming calls.
 */
export abstract class TypedBrokerStub implements BrokerStub {
  constructor(readonly address: string) {}

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

  protected abstract call(
    method: UnaryMethod,
    request: unknown,
    options: CallOptions,
  ): Promise<unknown>;
  abstract subscribe(request: api.MessageInit<api.SubscribeRequest>): SubscribeCall;
  abstract publishAsync(): PublishAsyncCall;
  abstract close(): void;
}
