import { randomBytes } from "node:crypto";
import test, { type ExecutionContext } from "ava";
import { connect, type NatsConnection } from "nats";
import { RaftTransport } from "../../src/server/cluster/raft-transport.js";
import { clusterSubjects } from "../../src/server/cluster/subjects.js";
import type { Logger } from "../../src/server/logger.js";
import {
  encodeChunk,
  encodeMessage,
  type Message,
  splitIntoChunks,
} from "../../src/server/raft/index.js";
import { startNats } from "../helpers/nats.js";
import { waitFor } from "../helpers/wait.js";

const MAX_PAYLOAD = 8192;
const NS = "lbtransport";
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

interface Peer {
  transport: RaftTransport;
  received: Message[];
  snapshotsSent: [string, boolean][];
  unreachable: string[];
}

async function connectTo(t: ExecutionContext, url: string): Promise<NatsConnection> {
  const nc = await connect({ servers: url });
  t.teardown(() => nc.close());
  return nc;
}

async function peer(t: ExecutionContext, url: string, id: string): Promise<Peer> {
  const nc = await connectTo(t, url);
  const p: Peer = { received: [], snapshotsSent: [], unreachable: [] } as unknown as Peer;
  p.transport = new RaftTransport(nc, NS, id, quiet, {
    deliver: (m) => p.received.push(m),
    unreachable: (to) => p.unreachable.push(to),
    snapshotSent: (to, delivered) => p.snapshotsSent.push([to, delivered]),
  });
  p.transport.start();
  await nc.flush();
  t.teardown(() => p.transport.close());
  return p;
}

function snapshotMessage(bytes: number): Message {
  return {
    type: "snapshot",
    from: "a",
    to: "b",
    term: 3,
    snapshot: {
      metadata: { index: 40, term: 3, confState: { voters: ["a", "b"], learners: [] } },
      data: new Uint8Array(randomBytes(bytes)),
    },
  };
}

function appendMessage(dataBytes: number): Message {
  return {
    type: "append",
    from: "a",
    to: "b",
    term: 3,
    prevLogIndex: 9,
    prevLogTerm: 3,
    commit: 9,
    entries: [{ index: 10, term: 3, kind: "normal", data: new Uint8Array(randomBytes(dataBytes)) }],
  };
}

/** A message as bytes, so that Buffers and Uint8Arrays of the same bytes compare equal. */
const wire = (m: Message) => Buffer.from(encodeMessage(m));

/** Counts the chunk requests addressed to broker b. */
async function chunkCounter(t: ExecutionContext, url: string): Promise<() => number> {
  const nc = await connectTo(t, url);
  let n = 0;
  nc.subscribe(clusterSubjects(NS).chunk("b"), { callback: () => n++ });
  await nc.flush();
  return () => n;
}

test("the limits follow the NATS server's max_payload", async (t) => {
  const nats = await startNats(t, { maxPayload: MAX_PAYLOAD });
  const a = await peer(t, nats.url, "a");
  t.deepEqual(a.transport.limits, {
    maxPayload: MAX_PAYLOAD,
    maxMessageBytes: MAX_PAYLOAD - 1024,
    maxEntryBytes: MAX_PAYLOAD - 1048,
  });
});

test("an append carrying one entry at the limit goes as one NATS message", async (t) => {
  const nats = await startNats(t, { maxPayload: MAX_PAYLOAD });
  const chunks = await chunkCounter(t, nats.url);
  const [a, b] = [await peer(t, nats.url, "a"), await peer(t, nats.url, "b")];
  const message = appendMessage(a.transport.limits.maxEntryBytes);
  t.true(encodeMessage(message).length <= MAX_PAYLOAD);
  a.transport.send([message]);
  await waitFor(() => b.received.length === 1, { message: "the append to arrive" });
  t.deepEqual(wire(b.received[0]!), wire(message));
  t.is(chunks(), 0);
  t.deepEqual(a.unreachable, []);
});

test("a snapshot many times max_payload arrives whole, in chunks, and is reported delivered", async (t) => {
  const nats = await startNats(t, { maxPayload: MAX_PAYLOAD });
  const chunks = await chunkCounter(t, nats.url);
  const [a, b] = [await peer(t, nats.url, "a"), await peer(t, nats.url, "b")];
  const message = snapshotMessage(100_000);
  a.transport.send([message]);
  await waitFor(() => a.snapshotsSent.length === 1, { message: "the transfer to finish" });
  t.deepEqual(a.snapshotsSent, [["b", true]]);
  t.deepEqual(b.received.map(wire), [wire(message)]);
  t.true(chunks() >= Math.ceil(100_000 / MAX_PAYLOAD), `${chunks()} chunks`);
});

test("an oversized append (an older version's entry) is chunked too", async (t) => {
  const nats = await startNats(t, { maxPayload: MAX_PAYLOAD });
  const [a, b] = [await peer(t, nats.url, "a"), await peer(t, nats.url, "b")];
  const message = appendMessage(3 * MAX_PAYLOAD);
  a.transport.send([message]);
  await waitFor(() => b.received.length === 1, { message: "the append to arrive" });
  t.deepEqual(wire(b.received[0]!), wire(message));
  t.deepEqual(a.unreachable, []);
});

test("a transfer nobody takes is reported failed, so Raft sends it again", async (t) => {
  const nats = await startNats(t, { maxPayload: MAX_PAYLOAD });
  const a = await peer(t, nats.url, "a");
  a.transport.send([snapshotMessage(50_000)]);
  await waitFor(() => a.snapshotsSent.length === 1, { message: "the transfer to fail" });
  t.deepEqual(a.snapshotsSent, [["b", false]]);
});

test("the receiver refuses chunks out of sequence or that fail their checksum, and delivers nothing", async (t) => {
  const nats = await startNats(t, { maxPayload: MAX_PAYLOAD });
  const b = await peer(t, nats.url, "b");
  const nc = await connectTo(t, nats.url);
  const subject = clusterSubjects(NS).chunk("b");
  const ask = async (bytes: Uint8Array) =>
    JSON.parse(Buffer.from((await nc.request(subject, bytes)).data).toString()) as {
      ok: boolean;
      error?: string;
    };
  const payload = encodeMessage(snapshotMessage(20_000));
  const chunks = splitIntoChunks(payload, 7000, "a", "t1");
  t.like(await ask(encodeChunk(chunks[0]!)), { ok: true });
  const outOfSequence = await ask(encodeChunk(chunks[2]!));
  t.false(outOfSequence.ok);
  t.regex(outOfSequence.error!, /expected chunk 1/);
  const refused = await ask(encodeChunk(chunks[1]!));
  t.false(refused.ok);
  t.regex(refused.error!, /no such transfer in progress/);

  const damaged = chunks.map((c, i) =>
    i === 1 ? { ...c, data: Buffer.from(c.data).fill(0, 0, 10) } : c,
  );
  const answers = [];
  for (const c of damaged) answers.push(await ask(encodeChunk(c)));
  t.deepEqual(
    answers.slice(0, 2).map((r) => r.ok),
    [true, true],
  );
  t.false(answers[2]!.ok);
  t.regex(answers[2]!.error!, /CRC-32C/);
  t.deepEqual(b.received, []);

  for (const c of chunks) t.like(await ask(encodeChunk(c)), { ok: true });
  t.is(b.received.length, 1, "the intact transfer sent again is delivered");
});
