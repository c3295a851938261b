/**
 * Benchmark driver: grpc-js's own generic client (`ApiClient`, made by
 * makeGenericClientConstructor from src/wire/service.ts) talking to a Liftbridge API. grpc-js
 * writes each client-stream request as its own HTTP/2 DATA frame, as grpc-go does.
 *
 *   node dist/bench/drivers/grpc-js-driver.js lb-publish-async --address H:P --stream S ...
 */
import { createRequire } from "node:module";
import { type ClientDuplexStream, credentials, type ServiceError } from "@grpc/grpc-js";
import {
  AckError,
  AckPolicy,
  type PublishRequest,
  type PublishResponse,
  StartPosition,
} from "../../src/wire/api.js";
import { ApiClient } from "../../src/wire/service.js";
import { driverMain, type LbClientImpl, type LbDriverArgs, payload } from "./protocol.js";

const GRPC_JS_VERSION = (
  createRequire(import.meta.url)("@grpc/grpc-js/package.json") as {
    version: string;
  }
).version;

const ACK_POLICIES = { leader: AckPolicy.LEADER, all: AckPolicy.ALL, none: AckPolicy.NONE };

function grpcJsClient(): LbClientImpl {
  let api: ApiClient;
  let args: LbDriverArgs;
  let value: Uint8Array;
  let duplex: ClientDuplexStream<unknown, PublishResponse> | undefined;
  let counter = 0;
  const request = (): Partial<PublishRequest> => ({
    stream: args.stream,
    partition: 0,
    value,
    correlationId: (++counter).toString(36),
    ackPolicy: ACK_POLICIES[args.ack],
  });
  return {
    client: `grpc-js ${GRPC_JS_VERSION} generic client (one request per DATA frame)`,
    connect: async (parsed) => {
      args = parsed;
      value = payload(args.size);
      api = new ApiClient(args.address, credentials.createInsecure(), {
        "grpc.max_receive_message_length": -1,
      });
      await new Promise<void>((resolve, reject) =>
        api.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())),
      );
    },
    publishAsync: () => {
      const pending = new Map<string, (ok: boolean) => void>();
      const call = api.publishAsync();
      duplex = call as ClientDuplexStream<unknown, PublishResponse>;
      let failure: Error | undefined;
      call.on("data", (response: PublishResponse) => {
        const settle = pending.get(response.correlationId);
        if (!settle) return;
        pending.delete(response.correlationId);
        settle(!response.asyncError && response.ack?.ackError === AckError.OK);
      });
      call.on("error", (err: ServiceError) => {
        failure = new Error(`PublishAsync ended: ${err.message}`);
        for (const settle of pending.values()) settle(false);
        pending.clear();
      });
      return () => {
        if (failure) return Promise.reject(failure);
        const req = request();
        return new Promise<boolean>((resolve) => {
          pending.set(req.correlationId!, resolve);
          call.write(req);
        });
      };
    },
    publish: () => () =>
      new Promise<boolean>((resolve, reject) =>
        api.publish(request(), (err, response) => {
          if (err) reject(new Error(`Publish failed: ${err.message}`));
          else resolve(response?.ack?.ackError === AckError.OK);
        }),
      ),
    subscribe: (count) =>
      new Promise<void>((resolve, reject) => {
        const call = api.subscribe({
          stream: args.stream,
          partition: 0,
          startPosition: StartPosition.EARLIEST,
        });
        let received = -1; // the first message is the empty handshake
        call.on("data", () => {
          if (++received === count) {
            call.cancel();
            resolve();
          }
        });
        call.on("error", (err: ServiceError) => {
          if (received < count) {
            reject(new Error(`Subscribe ended after ${received} of ${count}: ${err.message}`));
          }
        });
      }),
    close: async () => {
      duplex?.end();
      api.close();
    },
  };
}

await driverMain(process.argv.slice(2), grpcJsClient());
