import test, { type ExecutionContext } from "ava";
import { connect, headers as natsHeaders } from "nats";
import { decodeAckEnvelope } from "../../src/server/api/ack-router.js";
import { AckPolicy, encodeMessage, StartPosition } from "../../src/wire/api.js";
import { encodeEnvelope, MsgType } from "../../src/wire/envelope.js";
import { startBroker } from "../helpers/broker.js";
import { startNats } from "../helpers/nats.js";
import { call, rawClient } from "../helpers/rpc.js";
import { collect } from "../helpers/subscribe.js";
import { waitFor } from "../helpers/wait.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function setup(t: ExecutionContext) {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url);
  const client = rawClient(t, address);
  const nc = await connect({ servers: nats.url });
  t.teardown(() => nc.close());
  return { client, nc };
}

const earliest = (stream: string, partition = 0) => ({
  stream,
  partition,
  startPosition: StartPosition.EARLIEST,
});

test("plain NATS publishes are recorded with subject, reply and headers", async (t) => {
  const { client, nc } = await setup(t);
  await call(client, "createStream", { name: "events", subject: "events" });
  const h = natsHeaders();
  h.set("Origin", "sensor-7");
  nc.publish("events", bytes("plain one"), { reply: "reply.here", headers: h });
  nc.publish("events", bytes("plain two"));
  const { messages } = await collect(client, earliest("events"), 2);
  t.deepEqual(
    messages.map((m) => [m.offset, text(m.value), m.subject]),
    [
      [0, "plain one", "events"],
      [1, "plain two", "events"],
    ],
  );
  t.is(messages[0]!.replySubject, "reply.here");
  t.is(text(messages[0]!.headers.reply!), "reply.here");
  t.is(text(messages[0]!.headers.Origin!), "sensor-7");
  t.is(messages[0]!.key.length, 0);
});

test("an envelope with an ackInbox gets an envelope Ack on that inbox", async (t) => {
  const { client, nc } = await setup(t);
  await call(client, "createStream", { name: "orders", subject: "orders" });
  const acks = nc.subscribe("acks.for.me", { max: 2 });
  await nc.flush();
  for (const [i, policy] of [AckPolicy.LEADER, AckPolicy.ALL].entries()) {
    const msg = encodeMessage({
      key: bytes(`key${i}`),
      value: bytes(`enveloped ${i}`),
      ackInbox: "acks.for.me",
      correlationId: `corr-${i}`,
      ackPolicy: policy,
      headers: { a: bytes("b") },
    });
    nc.publish("orders", encodeEnvelope(MsgType.Publish, msg));
  }
  // NONE: recorded, never acked.
  nc.publish(
    "orders",
    encodeEnvelope(
      MsgType.Publish,
      encodeMessage({ value: bytes("quiet"), ackInbox: "acks.for.me", ackPolicy: AckPolicy.NONE }),
    ),
  );
  const received = [];
  for await (const m of acks) received.push(decodeAckEnvelope(m.data));
  t.deepEqual(
    received.map((a) => [a?.offset, a?.correlationId, a?.stream, a?.msgSubject, a?.ackPolicy]),
    [
      [0, "corr-0", "orders", "orders", AckPolicy.LEADER],
      [1, "corr-1", "orders", "orders", AckPolicy.ALL],
    ],
  );
  const { messages } = await collect(client, earliest("orders"), 3);
  t.is(text(messages[1]!.key), "key1");
  t.is(text(messages[1]!.value), "enveloped 1");
  t.is(text(messages[1]!.headers.a!), "b");
  t.is(text(messages[2]!.value), "quiet");
});

test("malformed envelopes are stored as plain messages and harm nothing", async (t) => {
  const { client, nc } = await setup(t);
  await call(client, "createStream", { name: "raw", subject: "raw" });
  const magic = [0xb9, 0x0e, 0x43, 0xb4];
  const payloads = [
    Uint8Array.from([...magic]), // magic only
    Uint8Array.from([...magic, 0x00, 0x08, 0x00, 0x00, 0xff, 0xff, 0xff]), // publish, garbage body
    Uint8Array.from([...magic, 0x00, 0x0c, 0x01, 0x00, 1, 2, 3, 4, 0x0a, 0x01, 0x41]), // bad CRC
    Uint8Array.from([...magic, 0x07, 0x08, 0x00, 0x00]), // unknown version
    Uint8Array.from([...magic, 0x00, 0xff, 0x00, 0x00]), // header length past the end
    new Uint8Array(0), // empty
  ];
  for (const p of payloads) nc.publish("raw", p);
  const { messages } = await collect(client, earliest("raw"), payloads.length);
  t.deepEqual(
    messages.map((m) => Buffer.from(m.value).toString("hex")),
    payloads.map((p) => Buffer.from(p).toString("hex")),
  );
  // Still healthy.
  const res = await call<unknown, { ack?: { offset: number } }>(client, "publish", {
    stream: "raw",
    value: bytes("after"),
  });
  t.is(res.ack?.offset, payloads.length);
});

test("two streams on one subject each get every message; wildcards route by partition", async (t) => {
  const { client, nc } = await setup(t);
  await call(client, "createStream", { name: "one", subject: "orders.*", partitions: 3 });
  await call(client, "createStream", { name: "two", subject: "orders.*", partitions: 3 });
  nc.publish("orders.eu", bytes("to p0"));
  nc.publish("orders.us", bytes("also p0"));
  nc.publish("orders.eu.1", bytes("to p1"));
  nc.publish("orders.eu.2", bytes("to p2"));
  for (const stream of ["one", "two"]) {
    const p0 = await collect(client, earliest(stream, 0), 2);
    t.deepEqual(
      p0.messages.map((m) => [text(m.value), m.subject]),
      [
        ["to p0", "orders.eu"],
        ["also p0", "orders.us"],
      ],
    );
    const p1 = await collect(client, earliest(stream, 1), 1);
    t.is(text(p1.messages[0]!.value), "to p1");
    const p2 = await collect(client, earliest(stream, 2), 1);
    t.is(text(p2.messages[0]!.value), "to p2");
  }
});

test("streams in a load-balance group share the subject; a stream outside it gets everything", async (t) => {
  const { client, nc } = await setup(t);
  await call(client, "createStream", { name: "worker-a", subject: "jobs", group: "workers" });
  await call(client, "createStream", { name: "worker-b", subject: "jobs", group: "workers" });
  await call(client, "createStream", { name: "audit", subject: "jobs" });
  const total = 200;
  for (let i = 0; i < total; i++) nc.publish("jobs", bytes(`job-${i}`));
  const audit = await collect(client, earliest("audit"), total);
  t.is(audit.messages.length, total);
  const hw = async (stream: string) =>
    (
      await call<unknown, { metadata?: { highWatermark: number } }>(
        client,
        "fetchPartitionMetadata",
        {
          stream,
          partition: 0,
        },
      )
    ).metadata!.highWatermark + 1;
  // Both members have recorded their share once the audit stream has everything.
  await waitFor(async () => (await hw("worker-a")) + (await hw("worker-b")) === total, {
    timeoutMs: 10_000,
    message: "group members recorded every message between them",
  });
  const a = await hw("worker-a");
  const b = await hw("worker-b");
  t.is(a + b, total);
  t.true(a > 0 && b > 0, `split ${a}/${b}`);
  const seen = new Set<string>();
  for (const stream of ["worker-a", "worker-b"]) {
    const n = await hw(stream);
    const { messages } = await collect(client, earliest(stream), n);
    for (const m of messages) seen.add(text(m.value));
  }
  t.is(seen.size, total, "no message went to both members");
});
