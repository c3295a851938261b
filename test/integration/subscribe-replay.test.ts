import type { ServiceError } from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";
import test from "ava";
import type { LogFile, LogFileSystem } from "../../src/server/log/file-system.js";
import { nodeFileSystem } from "../../src/server/log/file-system.js";
import {
  AckPolicy,
  type Message,
  type PublishResponse,
  StartPosition,
  StopPosition,
} from "../../src/wire/api.js";
import type { ApiClient } from "../../src/wire/service.js";
import { startBroker } from "../helpers/broker.js";
import { startNats } from "../helpers/nats.js";
import { publishOnNats, replayValue } from "../helpers/replay.js";
import { call, rawClient } from "../helpers/rpc.js";
import { collect } from "../helpers/subscribe.js";
import { waitFor } from "../helpers/wait.js";

const text = (b: Uint8Array) => Buffer.from(b).toString();

/** Replays partition `partition` of `stream` from the earliest offset to `count - 1`. */
function replay(client: ApiClient, stream: string, partition: number, count: number) {
  return collect(
    client,
    {
      stream,
      partition,
      startPosition: StartPosition.EARLIEST,
      stopPosition: StopPosition.STOP_OFFSET,
      stopOffset: count - 1,
    },
    Number.POSITIVE_INFINITY,
    60_000,
  );
}

test("a replay of 20,000 stored messages reaches grpc-js's raw client whole, once each, in order", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url);
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "r", subject: "r", partitions: 2 });
  const fromNats = 20_000;
  await publishOnNats(client, nats.url, { stream: "r", partition: 1, subject: "r.1" }, fromNats);
  // A few through Publish, whose acks carry the timestamps the replay must show.
  const acks: PublishResponse[] = [];
  for (let i = fromNats; i < fromNats + 3; i++) {
    acks.push(
      await call(client, "publish", {
        stream: "r",
        partition: 1,
        value: Buffer.from(replayValue(i)),
        ackPolicy: AckPolicy.LEADER,
      }),
    );
  }
  const count = fromNats + acks.length;
  const r = await replay(client, "r", 1, count);
  t.true(r.handshake);
  t.is(r.code, status.RESOURCE_EXHAUSTED);
  t.is(r.messages.length, count);
  const wrong = r.messages.findIndex(
    (m: Message, i) =>
      m.offset !== i ||
      text(m.value) !== replayValue(i) ||
      m.stream !== "r" ||
      m.partition !== 1 ||
      (i < fromNats && (m.subject !== "r.1" || text(m.headers.subject!) !== "r.1")),
  );
  t.is(wrong, -1, `message ${wrong} is not the one stored at that offset`);
  t.deepEqual(
    r.messages.slice(fromNats).map((m) => m.timestamp),
    acks.map((a) => a.ack!.receptionTimestamp),
  );
  const timestamps = r.messages.map((m) => m.timestamp);
  t.true(timestamps.every((ts, i) => ts > 0n && (i === 0 || ts >= timestamps[i - 1]!)));
});

/** The node file system, counting the bytes read from segment (.log) files. */
function countingFileSystem(): { fs: LogFileSystem; logBytesRead: () => number } {
  let read = 0;
  const fs: LogFileSystem = {
    ...nodeFileSystem,
    open: async (path, mode) => {
      const file = await nodeFileSystem.open(path, mode);
      if (!path.endsWith(".log")) return file;
      const counted: LogFile = Object.create(file);
      counted.read = async (target, at, length, position) => {
        const n = await file.read(target, at, length, position);
        read += n;
        return n;
      };
      return counted;
    },
  };
  return { fs, logBytesRead: () => read };
}

test("a subscriber that stops reading holds the broker back: it reads a bounded part of the log, then the rest once the client reads again", async (t) => {
  const nats = await startNats(t);
  const counting = countingFileSystem();
  const { address } = await startBroker(t, nats.url, { logFileSystem: counting.fs });
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "big", subject: "big" });
  const count = 400;
  const valueBytes = 50_000; // 20 MB in all
  const value = (i: number) => `${i}:`.padEnd(valueBytes, "v");
  await publishOnNats(
    client,
    nats.url,
    { stream: "big", partition: 0, subject: "big" },
    count,
    value,
  );
  const before = counting.logBytesRead();

  const stream = client.subscribe({
    stream: "big",
    startPosition: StartPosition.EARLIEST,
    stopPosition: StopPosition.STOP_OFFSET,
    stopOffset: count - 1,
  });
  const received: Message[] = [];
  stream.on("data", (m: Message) => {
    received.push(m);
    if (received.length === 1) stream.pause(); // just after the handshake
  });
  const ended = new Promise<ServiceError>((resolve) => stream.on("error", resolve));
  // The broker stops when the client's window, its own 1 MiB of unsent bytes and one read
  // ahead are full. Wait for it to stop reading, then check where it stopped.
  let last = -1;
  await waitFor(
    () => {
      const read = counting.logBytesRead();
      const stalled = read === last && read > before;
      last = read;
      return stalled;
    },
    { intervalMs: 300, timeoutMs: 20_000, message: "the broker to stop reading the log" },
  );
  const readWhilePaused = counting.logBytesRead() - before;
  t.true(readWhilePaused < 8 * 1024 * 1024, `read ${readWhilePaused} bytes for a paused client`);
  t.true(received.length < count / 2, `${received.length} messages arrived while paused`);

  stream.resume();
  const end = await ended;
  t.is(end.code, status.RESOURCE_EXHAUSTED);
  const messages = received.slice(1);
  t.is(messages.length, count);
  t.deepEqual(
    messages.map((m) => m.offset),
    Array.from({ length: count }, (_, i) => i),
  );
  t.true(messages.every((m, i) => text(m.value) === value(i)));
});

test("a stored message over grpc.max.message.bytes ends the replay with RESOURCE_EXHAUSTED after the messages before it", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url, {
    flags: { "grpc.max.message.bytes": 4096 },
  });
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "m", subject: "m" });
  // Plain NATS messages are not held to the gRPC limit when recorded, only when sent.
  const value = (i: number) => (i === 300 ? "L".repeat(8000) : `small ${i}`);
  await publishOnNats(client, nats.url, { stream: "m", partition: 0, subject: "m" }, 400, value);
  const r = await replay(client, "m", 0, 400);
  t.is(r.code, status.RESOURCE_EXHAUSTED);
  t.regex(r.details ?? "", /^Sent message larger than max \(\d+ vs 4096\)$/);
  t.deepEqual(
    r.messages.map((m) => text(m.value)),
    Array.from({ length: 300 }, (_, i) => `small ${i}`),
  );
});
