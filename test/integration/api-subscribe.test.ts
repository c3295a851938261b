import { status } from "@grpc/grpc-js";
import test, { type ExecutionContext } from "ava";
import {
  AckPolicy,
  type PublishResponse,
  StartPosition,
  StopPosition,
} from "../../src/wire/api.js";
import { startBroker } from "../helpers/broker.js";
import { startNats } from "../helpers/nats.js";
import { call, rawClient } from "../helpers/rpc.js";
import { collect, open } from "../helpers/subscribe.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function setup(t: ExecutionContext, count: number) {
  const nats = await startNats(t);
  const { address, broker } = await startBroker(t, nats.url);
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "s", subject: "s.sub", partitions: 2 });
  const acks: PublishResponse[] = [];
  for (let i = 0; i < count; i++) {
    acks.push(
      await call<unknown, PublishResponse>(client, "publish", {
        stream: "s",
        partition: 1,
        key: bytes(`k${i}`),
        value: bytes(`v${i}`),
        headers: { Trace: bytes(`t${i}`) },
      }),
    );
  }
  return { client, acks, broker };
}

test("Subscribe sends the handshake then messages with every field", async (t) => {
  const { client, acks, broker } = await setup(t, 3);
  const r = await collect(
    client,
    { stream: "s", partition: 1, startPosition: StartPosition.EARLIEST },
    3,
  );
  t.true(r.handshake);
  t.deepEqual(
    r.messages.map((m) => m.offset),
    [0, 1, 2],
  );
  const m = r.messages[1]!;
  t.is(m.stream, "s");
  t.is(m.partition, 1);
  t.is(text(m.key), "k1");
  t.is(text(m.value), "v1");
  t.is(m.subject, "s.sub.1");
  t.is(text(m.headers.Trace!), "t1", "user header keeps its case");
  t.is(text(m.headers.subject!), "s.sub.1");
  t.is(m.timestamp, acks[1]!.ack!.receptionTimestamp);
  t.is(m.ackPolicy, AckPolicy.LEADER);
  t.truthy(broker);
});

test("Subscribe start positions: OFFSET, LATEST, TIMESTAMP, NEW_ONLY", async (t) => {
  const { client, acks } = await setup(t, 5);
  const from = async (req: object, n: number) =>
    (await collect(client, { stream: "s", partition: 1, ...req }, n)).messages.map((m) => m.offset);

  t.deepEqual(await from({ startPosition: StartPosition.OFFSET, startOffset: 3 }, 2), [3, 4]);
  t.deepEqual(await from({ startPosition: StartPosition.LATEST }, 1), [4]);
  t.deepEqual(
    await from(
      { startPosition: StartPosition.TIMESTAMP, startTimestamp: acks[2]!.ack!.receptionTimestamp },
      3,
    ),
    [2, 3, 4],
  );

  // NEW_ONLY sees nothing stored, only what is published after it started.
  const pending = open(
    client,
    { stream: "s", partition: 1, startPosition: StartPosition.NEW_ONLY },
    1,
  );
  await pending.ready;
  await call(client, "publish", { stream: "s", partition: 1, value: bytes("fresh") });
  const fresh = await pending.done;
  t.deepEqual(
    fresh.messages.map((m) => [m.offset, text(m.value)]),
    [[5, "fresh"]],
  );
});

test("Subscribe stop positions end the call with RESOURCE_EXHAUSTED", async (t) => {
  const { client, acks } = await setup(t, 5);
  const stopAt = (req: object) =>
    collect(client, { stream: "s", partition: 1, startPosition: StartPosition.EARLIEST, ...req });

  const byOffset = await stopAt({ stopPosition: StopPosition.STOP_OFFSET, stopOffset: 2 });
  t.deepEqual(
    byOffset.messages.map((m) => m.offset),
    [0, 1, 2],
  );
  t.is(byOffset.code, status.RESOURCE_EXHAUSTED);

  const latest = await stopAt({ stopPosition: StopPosition.STOP_LATEST });
  t.deepEqual(
    latest.messages.map((m) => m.offset),
    [0, 1, 2, 3, 4],
  );
  t.is(latest.code, status.RESOURCE_EXHAUSTED);

  const byTime = await stopAt({
    stopPosition: StopPosition.STOP_TIMESTAMP,
    stopTimestamp: acks[1]!.ack!.receptionTimestamp,
  });
  t.deepEqual(
    byTime.messages.map((m) => m.offset),
    [0, 1],
  );
  t.is(byTime.code, status.RESOURCE_EXHAUSTED);

  // An empty partition with a stop position ends at once.
  const empty = await collect(client, {
    stream: "s",
    partition: 0,
    startPosition: StartPosition.EARLIEST,
    stopPosition: StopPosition.STOP_LATEST,
  });
  t.is(empty.messages.length, 0);
  t.is(empty.code, status.RESOURCE_EXHAUSTED);

  // A stop offset beyond the end waits for the messages to arrive.
  const waiting = stopAt({ stopPosition: StopPosition.STOP_OFFSET, stopOffset: 6 });
  await call(client, "publish", { stream: "s", partition: 1, value: bytes("a") });
  await call(client, "publish", { stream: "s", partition: 1, value: bytes("b") });
  await call(client, "publish", { stream: "s", partition: 1, value: bytes("c") });
  const waited = await waiting;
  t.deepEqual(
    waited.messages.map((m) => m.offset),
    [0, 1, 2, 3, 4, 5, 6],
  );
});

test("Subscribe to an unknown stream or partition is NOT_FOUND", async (t) => {
  const { client } = await setup(t, 0);
  t.is((await collect(client, { stream: "nope" })).code, status.NOT_FOUND);
  t.is((await collect(client, { stream: "s", partition: 9 })).code, status.NOT_FOUND);
});

test("a subscriber that is caught up receives new messages as they commit", async (t) => {
  const { client } = await setup(t, 2);
  const pending = collect(
    client,
    { stream: "s", partition: 1, startPosition: StartPosition.EARLIEST },
    12,
  );
  for (let i = 0; i < 10; i++) {
    await call(client, "publish", { stream: "s", partition: 1, value: bytes(`live${i}`) });
  }
  const r = await pending;
  t.deepEqual(
    r.messages.map((m) => m.offset),
    [...Array(12).keys()],
  );
  t.is(text(r.messages[11]!.value), "live9");
});

test("deleting a stream ends its subscriptions with NOT_FOUND", async (t) => {
  const { client } = await setup(t, 1);
  const pending = open(
    client,
    { stream: "s", partition: 1, startPosition: StartPosition.EARLIEST },
    5,
  );
  await pending.ready;
  await call(client, "deleteStream", { name: "s" });
  const r = await pending.done;
  t.is(r.messages.length, 1);
  t.is(r.code, status.NOT_FOUND);
});
