/**
 * Benchmark driver: lb's own TypeScript client (LiftbridgeClient), the same protocol as the
 * independent clients' drivers, so its rows are measured the same way.
 *
 *   node dist/bench/drivers/lb-client-driver.js lb-publish-async --address H:P --stream S ...
 */
import { type AsyncPublisher, LiftbridgeClient } from "../../src/client/index.js";
import { driverMain, type LbClientImpl, type LbDriverArgs, payload } from "./protocol.js";

function lbClient(): LbClientImpl {
  let client: LiftbridgeClient;
  let args: LbDriverArgs;
  let value: Uint8Array;
  let publisher: AsyncPublisher | undefined;
  const acked = (promise: Promise<unknown>) => promise.then(() => true);
  return {
    client: "lb TS client (node:http2, one write per event-loop turn)",
    connect: async (parsed) => {
      args = parsed;
      value = payload(args.size);
      client = await LiftbridgeClient.connect([args.address]);
    },
    publishAsync: () => {
      publisher = client.publisher();
      const p = publisher;
      return () => acked(p.publish(args.stream, value, { ackPolicy: args.ack }));
    },
    publish: () => () => acked(client.publish(args.stream, value, { ackPolicy: args.ack })),
    subscribe: async (count) => {
      const subscription = await client.subscribe(args.stream, { start: { kind: "earliest" } });
      let received = 0;
      for await (const _ of subscription) {
        if (++received === count) break;
      }
    },
    close: async () => {
      client.close();
    },
  };
}

await driverMain(process.argv.slice(2), lbClient());
