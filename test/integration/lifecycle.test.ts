import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import test from "ava";
import { connect } from "nats";
import {
  type FetchMetadataResponse,
  PublishAsyncErrorCode,
  type PublishResponse,
  StartPosition,
} from "../../src/wire/api.js";
import { startBroker } from "../helpers/broker.js";
import { startNats } from "../helpers/nats.js";
import { call, codeOf, rawClient } from "../helpers/rpc.js";
import { collect, open } from "../helpers/subscribe.js";
import { waitFor } from "../helpers/wait.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function partitionFlags(client: ReturnType<typeof rawClient>, stream: string) {
  const md = await call<unknown, FetchMetadataResponse>(client, "fetchMetadata", {
    streams: [stream],
  });
  return Object.values(md.streamMetadata[0]!.partitions).map((p) => ({
    id: p.id,
    paused: p.paused,
    readonly: p.readonly,
    highWatermark: p.highWatermark,
    newestOffset: p.newestOffset,
    pausedAt: p.pauseTimestamps?.latestTimestamp,
    readonlyAt: p.readonlyTimestamps?.latestTimestamp,
  }));
}

test("PauseStream closes partitions; a publish through the API resumes them; the state survives restarts", async (t) => {
  const nats = await startNats(t);
  const first = await startBroker(t, nats.url);
  let client = rawClient(t, first.address);
  await call(client, "createStream", { name: "p", subject: "p", partitions: 3 });
  await call(client, "publish", { stream: "p", partition: 1, value: bytes("before") });

  await call(client, "pauseStream", { name: "p", partitions: [1, 2] });
  let flags = await partitionFlags(client, "p");
  t.deepEqual(
    flags.map((f) => f.paused),
    [false, true, true],
  );
  t.true((flags[1]!.pausedAt ?? 0n) > 0n);
  // A paused partition still tells how far its log goes (from what it recorded at close).
  t.deepEqual(
    flags.map((f) => [f.highWatermark, f.newestOffset]),
    [
      [-1, -1],
      [0, 0],
      [-1, -1],
    ],
  );
  t.is(await codeOf(call(client, "pauseStream", { name: "nope" })), status.NOT_FOUND);
  t.is(await codeOf(call(client, "pauseStream", { name: "p", partitions: [7] })), status.NOT_FOUND);

  // A paused partition does not record plain NATS messages and refuses plain subscriptions.
  const nc = await connect({ servers: nats.url });
  t.teardown(() => nc.close());
  nc.publish("p.2", bytes("lost while paused"));
  await nc.flush();
  const refused = await collect(client, {
    stream: "p",
    partition: 2,
    startPosition: StartPosition.EARLIEST,
  });
  t.is(refused.code, status.FAILED_PRECONDITION);
  t.regex(refused.details ?? "", /paused/);

  // The state is kept across a restart.
  const second = await first.restart();
  client = rawClient(t, second.address);
  flags = await partitionFlags(client, "p");
  t.deepEqual(
    flags.map((f) => f.paused),
    [false, true, true],
  );
  t.deepEqual(
    flags.map((f) => f.newestOffset),
    [-1, 0, -1],
  );

  // Publishing through the API resumes just that partition.
  const res = await call<unknown, PublishResponse>(client, "publish", {
    stream: "p",
    partition: 1,
    value: bytes("after"),
  });
  t.is(res.ack?.offset, 1);
  flags = await partitionFlags(client, "p");
  t.deepEqual(
    flags.map((f) => f.paused),
    [false, false, true],
  );
  const read = await collect(
    client,
    { stream: "p", partition: 1, startPosition: StartPosition.EARLIEST },
    2,
  );
  t.deepEqual(
    read.messages.map((m) => text(m.value)),
    ["before", "after"],
  );

  // Subscribe with resume resumes partition 2, which never recorded the paused-time message.
  const resumed = open(
    client,
    { stream: "p", partition: 2, startPosition: StartPosition.EARLIEST, resume: true },
    1,
  );
  await resumed.ready;
  t.false((await partitionFlags(client, "p"))[2]!.paused);
  nc.publish("p.2", bytes("recorded again"));
  t.deepEqual(
    (await resumed.done).messages.map((m) => text(m.value)),
    ["recorded again"],
  );
});

test("a pause with resumeAll is undone for every partition by one publish", async (t) => {
  const nats = await startNats(t);
  const { address, dataDir } = await startBroker(t, nats.url);
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "all", subject: "all", partitions: 2 });
  await call(client, "pauseStream", { name: "all", resumeAll: true });
  t.deepEqual(
    (await partitionFlags(client, "all")).map((f) => f.paused),
    [true, true],
  );
  // A paused partition holds no open files: its log directory still exists, nothing else changes.
  t.true(existsSync(join(dataDir, "streams", "all", "1")));

  const stream = client.publishAsync();
  const responses: PublishResponse[] = [];
  const ended = new Promise<void>((resolve) => {
    stream.on("data", (r: PublishResponse) => responses.push(r));
    stream.on("end", () => resolve());
    stream.on("error", () => resolve());
  });
  stream.write({ stream: "all", partition: 0, value: bytes("x"), correlationId: "1" });
  stream.write({ stream: "all", partition: 0, value: bytes("y"), correlationId: "2" });
  stream.end();
  await ended;
  t.deepEqual(
    responses.map((r) => [r.correlationId, r.ack?.offset]),
    [
      ["1", 0],
      ["2", 1],
    ],
  );
  t.deepEqual(
    (await partitionFlags(client, "all")).map((f) => f.paused),
    [false, false],
  );
  t.true((await readdir(join(dataDir, "streams", "all", "1"))).length > 0);
});

test("SetStreamReadonly refuses publishes, ends subscribers at the end, and can be undone", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url);
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "ro", subject: "ro" });
  for (const v of ["a", "b"]) await call(client, "publish", { stream: "ro", value: bytes(v) });

  const live = open(client, { stream: "ro", startPosition: StartPosition.EARLIEST });
  await live.ready;
  await call(client, "setStreamReadonly", { name: "ro", readonly: true });
  const ended = await live.done;
  t.deepEqual(
    ended.messages.map((m) => text(m.value)),
    ["a", "b"],
  );
  t.is(ended.code, status.RESOURCE_EXHAUSTED);
  t.regex(ended.details ?? "", /readonly/);
  t.true((await partitionFlags(client, "ro"))[0]!.readonly);

  t.is(
    await codeOf(call(client, "publish", { stream: "ro", value: bytes("c") })),
    status.FAILED_PRECONDITION,
  );
  const asyncStream = client.publishAsync();
  const asyncRefusal = new Promise<PublishResponse>((resolve) => asyncStream.on("data", resolve));
  asyncStream.write({ stream: "ro", value: bytes("c"), correlationId: "ro-1" });
  const response = await asyncRefusal;
  asyncStream.end();
  t.is(response.asyncError?.code, PublishAsyncErrorCode.READONLY);
  t.is(response.correlationId, "ro-1");

  // New subscribers read to the end and are told the partition is read-only.
  const later = await collect(client, { stream: "ro", startPosition: StartPosition.EARLIEST });
  t.is(later.messages.length, 2);
  t.is(later.code, status.RESOURCE_EXHAUSTED);

  await call(client, "setStreamReadonly", { name: "ro", readonly: false });
  const ok = await call<unknown, PublishResponse>(client, "publish", {
    stream: "ro",
    value: bytes("c"),
  });
  t.is(ok.ack?.offset, 2);
  t.is(
    await codeOf(call(client, "setStreamReadonly", { name: "nope", readonly: true })),
    status.NOT_FOUND,
  );
});

test("idle partitions pause themselves after autoPauseTime, unless subscribed when told so", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url);
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "idle", subject: "idle", autoPauseTime: 300 });
  await call(client, "createStream", {
    name: "watched",
    subject: "watched",
    autoPauseTime: 300,
    autoPauseDisableIfSubscribers: true,
  });
  await call(client, "createStream", { name: "never", subject: "never" });
  const watcher = open(client, { stream: "watched", startPosition: StartPosition.NEW_ONLY });
  await watcher.ready;

  await waitFor(async () => (await partitionFlags(client, "idle"))[0]!.paused, {
    timeoutMs: 10_000,
    message: "the idle partition paused itself",
  });
  // The idle one paused; the subscribed one and the one without auto-pause did not.
  t.false((await partitionFlags(client, "watched"))[0]!.paused);
  t.false((await partitionFlags(client, "never"))[0]!.paused);

  // A publish resumes it, and the data it had is intact.
  const res = await call<unknown, PublishResponse>(client, "publish", {
    stream: "idle",
    value: bytes("wake"),
  });
  t.is(res.ack?.offset, 0);
  t.false((await partitionFlags(client, "idle"))[0]!.paused);
});
