import test from "ava";
import { isLbError, LiftbridgeClient } from "../../src/client/index.js";
import { startBroker } from "../helpers/broker.js";
import { freePort, startNats } from "../helpers/nats.js";

// LiftbridgeClient against real brokers, through whichever transport LB_GRPC_CLIENT selects
// (node:http2 by default).

const text = (b: Uint8Array) => new TextDecoder().decode(b);

test("connect waits for a broker that starts later", async (t) => {
  const nats = await startNats(t);
  const port = await freePort();
  const connecting = LiftbridgeClient.connect([`127.0.0.1:${port}`], { connectTimeoutMs: 30_000 });
  const broker = await startBroker(t, nats.url, { port });
  const client = await connecting;
  t.teardown(() => client.close());
  const metadata = await client.fetchMetadata();
  t.deepEqual(metadata.addresses(), [broker.address]);
});

test("connect to a closed port fails at its timeout and says why", async (t) => {
  const port = await freePort();
  const started = Date.now();
  const error = await t.throwsAsync(
    LiftbridgeClient.connect([`127.0.0.1:${port}`], { connectTimeoutMs: 1000 }),
  );
  t.true(isLbError(error, "unavailable"));
  t.regex(error!.message, /ECONNREFUSED/);
  t.true(Date.now() - started < 5000);
});

test("many publishes in flight are acked in order and read back in one subscription", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url, {
    flags: { "streams.sync.policy": "none" },
  });
  const client = await LiftbridgeClient.connect([address]);
  t.teardown(() => client.close());
  await client.createStream("orders", "orders");
  const publisher = client.publisher();
  const total = 5000;
  const acks = await Promise.all(
    Array.from({ length: total }, (_, i) => publisher.publish("orders", `m${i}`)),
  );
  await publisher.close();
  t.deepEqual(
    acks.map((ack) => ack?.offset),
    Array.from({ length: total }, (_, i) => i),
  );
  const subscription = await client.subscribe("orders", {
    start: { kind: "earliest" },
    stop: { kind: "offset", offset: total - 1 },
  });
  const values: string[] = [];
  for await (const message of subscription) values.push(text(message.value));
  t.deepEqual(
    values,
    Array.from({ length: total }, (_, i) => `m${i}`),
  );
});

// Under LB_GRPC_CLIENT=grpc-js the publish right after the restart fails: grpc-js's channel is
// still in its reconnect backoff and the publisher does not retry UNAVAILABLE.
test("after a broker restart, calls reconnect and a live subscription resumes", async (t) => {
  const nats = await startNats(t);
  const broker = await startBroker(t, nats.url);
  const client = await LiftbridgeClient.connect([broker.address]);
  t.teardown(() => client.close());
  await client.createStream("events", "events");
  await client.publish("events", "before");
  const subscription = await client.subscribe("events", {
    start: { kind: "earliest" },
    resubscribeWaitMs: 30_000,
  });
  const iterator = subscription[Symbol.asyncIterator]();
  t.is(text((await iterator.next()).value!.value), "before");

  await broker.restart();
  const ack = await client.publish("events", "after");
  t.is(ack?.offset, 1);
  t.is(text((await iterator.next()).value!.value), "after");
  subscription.cancel();
  t.true((await iterator.next()).done);
  t.is((await client.fetchPartitionMetadata("events", 0)).newestOffset, 1);
});
