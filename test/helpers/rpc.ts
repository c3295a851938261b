import { credentials, type ServiceError } from "@grpc/grpc-js";
import type { ExecutionContext } from "ava";
import type * as api from "../../src/wire/api.js";
import { ApiClient } from "../../src/wire/service.js";

type Unary<Req, Res> = (
  req: api.MessageInit<Req>,
  options: { deadline?: number },
  callback: (err: ServiceError | null, res?: Res) => void,
) => unknown;

/** A raw upstream-shaped `proto.API` client, for asserting exact wire behaviour and codes. */
export function rawClient(t: ExecutionContext, address: string): ApiClient {
  const client = new ApiClient(address, credentials.createInsecure());
  t.teardown(() => client.close());
  return client;
}

/** Calls a unary RPC and resolves with its response (rejects with the ServiceError). */
export function call<Req, Res>(
  client: ApiClient,
  method: keyof ApiClient,
  req: api.MessageInit<Req>,
  timeoutMs = 10_000,
): Promise<Res> {
  const fn = (client[method] as unknown as Unary<Req, Res>).bind(client);
  return new Promise((resolve, reject) => {
    fn(req, { deadline: Date.now() + timeoutMs }, (err, res) =>
      err ? reject(err) : resolve(res!),
    );
  });
}

/** The gRPC status code of a rejected call. */
export async function codeOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (err) {
    return (err as ServiceError).code;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** The ServiceError of a call that must fail. */
export async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error("expected the call to fail, but it succeeded");
}
