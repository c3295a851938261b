import { status } from "@grpc/grpc-js";
import test from "ava";
import { connect } from "nats";
import { decodeAckEnvelope } from "../../src/server/api/ack-router.js";
import {
  type Ack,
  AckPolicy,
  encodeMessage,
  PublishAsyncErrorCode,
  type PublishResponse,
  StartPosition,
} from "../../src/wire/api.js";
import { encodeEnvelope, MsgType } from "../../src/wire/envelope.js";
import { startBroker } from "../helpers/broker.js";
import { startNats } from "../helpers/nats.js";
import { call, codeOf, failure, rawClient } from "../helpers/rpc.js";
import { collect } from "../helpers/subscribe.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

test("Publish acks with the offset, subjects, correlationId and timestamps", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url);
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "orders", subject: "orders.*", partitions: 3 });

  const first = await call<unknown, PublishResponse>(client, "publish", {
    stream: "orders",
    partition: 2,
    key: bytes("k"),
    value: bytes("v0"),
    correlationId: "c-1",
    ackPolicy: AckPolicy.ALL,
  });
  const ack = first.ack as Ack;
  t.is(ack.stream, "orders");
  t.is(ack.partitionSubject, "orders.*");
  t.is(ack.msgSubject, "orders.*.2");
  t.is(ack.offset, 0);
  t.is(ack.correlationId, "c-1");
  t.is(ack.ackPolicy, AckPolicy.ALL);
  t.true(ack.ackInbox.length > 0);
  t.true(ack.receptionTimestamp > 0n);
  t.true(ack.commitTimestamp >= ack.receptionTimestamp);

  const second = await call<unknown, PublishResponse>(client, "publish", {
    stream: "orders",
    partition: 2,
    value: bytes("v1"),
  });
  t.is(second.ack?.offset, 1);
  t.is(second.ack?.ackPolicy, AckPolicy.LEADER);

  // NONE: no ack, but the message is recorded.
  const none = await call<unknown, PublishResponse>(client, "publish", {
    stream: "orders",
    partition: 2,
    value: bytes("v2"),
    ackPolicy: AckPolicy.NONE,
  });
  t.is(none.ack, undefined);
  const read = await collect(client, { stream: "orders", partition: 2, startPosition: 2 }, 3);
  t.deepEqual(
    read.messages.map((m) => [m.offset, text(m.value)]),
    [
      [0, "v0"],
      [1, "v1"],
      [2, "v2"],
    ],
  );
});

test("Publish with the client's own ackInbox also delivers the ack there over NATS", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url);
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "s", subject: "s" });
  const nc = await connect({ servers: nats.url });
  t.teardown(() => nc.close());
  const inbox = "my.acks.1";
  const sub = nc.subscribe(inbox, { max: 1 });
  await nc.flush();
  const viaNats = (async () => {
    for await (const m of sub) return decodeAckEnvelope(m.data);
  })();
  const res = await call<unknown, PublishResponse>(client, "publish", {
    stream: "s",
    value: bytes("x"),
    ackInbox: inbox,
    correlationId: "abc",
  });
  t.is(res.ack?.ackInbox, inbox);
  t.is(res.ack?.correlationId, "abc");
  const natsAck = await viaNats;
  t.is(natsAck?.offset, 0);
  t.is(natsAck?.correlationId, "abc");
});

test("Publish errors: unknown stream or partition, no stream, too large, deadline", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url);
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "s", subject: "s", partitions: 2 });

  t.is(
    await codeOf(call(client, "publish", { stream: "nope", value: bytes("x") })),
    status.NOT_FOUND,
  );
  t.is(
    await codeOf(call(client, "publish", { stream: "s", partition: 2, value: bytes("x") })),
    status.NOT_FOUND,
  );
  t.is(await codeOf(call(client, "publish", { value: bytes("x") })), status.INVALID_ARGUMENT);

  const tooBig = await failure(
    call(client, "publish", {
      stream: "s",
      value: new Uint8Array(1024 * 1024 + 1),
    }),
  );
  t.is(tooBig.code, status.RESOURCE_EXHAUSTED);
  t.regex(tooBig.details, /max_payload of 1048576/);

  // Nobody records this subject, so no ack can come: the deadline bounds the wait.
  t.is(
    await codeOf(
      call(client, "publishToSubject", { subject: "nobody.listens", value: bytes("x") }, 300),
    ),
    status.DEADLINE_EXCEEDED,
  );
  // The broker is still healthy and the partition unharmed.
  const ok = await call<unknown, PublishResponse>(client, "publish", {
    stream: "s",
    value: bytes("y"),
  });
  t.is(ok.ack?.offset, 0);
});

test("PublishToSubject records on every stream attached to the subject", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url);
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "a", subject: "shared.subject" });
  await call(client, "createStream", { name: "b", subject: "shared.*" });
  const res = await call<unknown, { ack?: Ack }>(client, "publishToSubject", {
    subject: "shared.subject",
    value: bytes("hello"),
    headers: { h: bytes("1") },
  });
  t.is(res.ack?.offset, 0);
  for (const stream of ["a", "b"]) {
    const { messages } = await collect(client, { stream, startPosition: 2 }, 1);
    t.is(text(messages[0]!.value), "hello", stream);
    t.is(messages[0]!.subject, "shared.subject", stream);
    t.is(text(messages[0]!.headers.h!), "1", stream);
  }
  t.is(
    await codeOf(call(client, "publishToSubject", { subject: "bad subject", value: bytes("x") })),
    status.INVALID_ARGUMENT,
  );
});

test("PublishAsync pipelines, answers by correlationId, reports errors in-band, and ends OK", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url);
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "s", subject: "s" });

  const stream = client.publishAsync();
  const responses: PublishResponse[] = [];
  const ended = new Promise<number>((resolve) => {
    stream.on("data", (r: PublishResponse) => responses.push(r));
    stream.on("error", (e: { code: number }) => resolve(e.code));
    stream.on("end", () => resolve(0));
  });
  const total = 500;
  for (let i = 0; i < total; i++) {
    stream.write({ stream: "s", value: bytes(`m${i}`), correlationId: `c${i}` });
    if (i === 250) stream.write({ stream: "missing", value: bytes("x"), correlationId: "bad" });
    if (i === 260) stream.write({ stream: "s", value: bytes("quiet"), ackPolicy: AckPolicy.NONE });
  }
  stream.end();
  t.is(await ended, 0);

  const errors = responses.filter((r) => r.asyncError);
  t.is(errors.length, 1);
  t.is(errors[0]!.correlationId, "bad");
  t.is(errors[0]!.asyncError?.code, PublishAsyncErrorCode.NOT_FOUND);
  t.regex(errors[0]!.asyncError?.message ?? "", /missing/);

  const acks = responses.filter((r) => !r.asyncError);
  t.is(acks.length, total);
  const offsets = new Map(acks.map((r) => [r.correlationId, r.ack!.offset]));
  // The NONE message took offset 261 silently; every acked one has its own offset.
  t.is(new Set(offsets.values()).size, total);
  t.is(offsets.get("c0"), 0);
  t.is(offsets.get("c260"), 260);
  t.is(offsets.get("c261"), 262);
  t.is(offsets.get(`c${total - 1}`), total);
});

test("keys and headers round-trip through Publish, PublishAsync, PublishToSubject and a NATS envelope", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url);
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "rt", subject: "rt" });
  const headers = (via: string) => ({ Via: bytes(via), bin: Uint8Array.of(0, 255, 1) });
  await call(client, "publish", {
    stream: "rt",
    key: bytes("k-publish"),
    value: bytes("1"),
    headers: headers("publish"),
  });
  const asyncStream = client.publishAsync();
  const acked = new Promise((resolve) => asyncStream.on("data", resolve));
  asyncStream.write({
    stream: "rt",
    key: bytes("k-async"),
    value: bytes("2"),
    headers: headers("async"),
    correlationId: "a",
  });
  await acked;
  asyncStream.end();
  await call(client, "publishToSubject", {
    subject: "rt",
    key: bytes("k-subject"),
    value: bytes("3"),
    headers: headers("subject"),
  });
  const nc = await connect({ servers: nats.url });
  t.teardown(() => nc.close());
  nc.publish(
    "rt",
    encodeEnvelope(
      MsgType.Publish,
      encodeMessage({ key: bytes("k-envelope"), value: bytes("4"), headers: headers("envelope") }),
    ),
  );
  const { messages } = await collect(
    client,
    { stream: "rt", startPosition: StartPosition.EARLIEST },
    4,
  );
  t.deepEqual(
    messages.map((m) => [text(m.key), text(m.headers.Via!), [...m.headers.bin!], m.timestamp > 0n]),
    [
      ["k-publish", "publish", [0, 255, 1], true],
      ["k-async", "async", [0, 255, 1], true],
      ["k-subject", "subject", [0, 255, 1], true],
      ["k-envelope", "envelope", [0, 255, 1], true],
    ],
  );
});

test("Publish and PublishAsync answer with the ack of the stream published to, not of a wildcard stream recording the same subject", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url);
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "everything", subject: "orders.>" });
  await call(client, "createStream", { name: "eu", subject: "orders.eu" });

  for (let i = 0; i < 20; i++) {
    const { ack } = await call<unknown, PublishResponse>(client, "publish", {
      stream: "eu",
      value: bytes(`u${i}`),
      ackPolicy: AckPolicy.ALL,
    });
    t.is(ack?.stream, "eu");
    t.is(ack?.offset, i);
  }

  const session = client.publishAsync();
  const responses: PublishResponse[] = [];
  const ended = new Promise<void>((resolve) => {
    session.on("data", (r: PublishResponse) => responses.push(r));
    session.on("end", () => resolve());
  });
  const total = 50;
  for (let i = 0; i < total; i++) {
    session.write({ stream: "eu", value: bytes(`a${i}`), correlationId: `c${i}` });
  }
  session.end();
  await ended;
  t.is(responses.length, total, "one response per request");
  t.true(responses.every((r) => r.ack?.stream === "eu" && !r.asyncError));
  t.deepEqual(
    responses.map((r) => r.ack!.offset).sort((a, b) => a - b),
    Array.from({ length: total }, (_, i) => 20 + i),
  );
  // The other stream recorded every message too, as upstream's streams on one subject do.
  const all = await collect(
    client,
    { stream: "everything", startPosition: StartPosition.EARLIEST },
    20 + total,
  );
  t.is(all.messages.length, 20 + total);
});
