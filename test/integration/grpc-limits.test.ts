import { once } from "node:events";
import http2 from "node:http2";
import { status } from "@grpc/grpc-js";
import test, { type ExecutionContext } from "ava";
import { AckPolicy, encodePublishRequest } from "../../src/wire/api.js";
import { frameHeader } from "../../src/wire/grpc-frames.js";
import { startBroker } from "../helpers/broker.js";
import { grpcCall, h2Connect } from "../helpers/h2-grpc.js";
import { startNats } from "../helpers/nats.js";
import { FrameType, MAX_CONCURRENT_STREAMS, RawH2Client } from "../helpers/raw-h2.js";
import { call, failure, rawClient } from "../helpers/rpc.js";

const MIB = 1024 * 1024;

async function broker(t: ExecutionContext, flags: Record<string, unknown> = {}) {
  const nats = await startNats(t);
  const started = await startBroker(t, nats.url, { flags });
  await call(rawClient(t, started.address), "createStream", { name: "l", subject: "l" });
  return started;
}

/** Resolves once the server has processed everything sent on the session before it. */
async function roundTrip(session: http2.ClientHttp2Session): Promise<void> {
  if (session.connecting) await once(session, "connect");
  await new Promise<void>((resolve, reject) => {
    session.ping((err) => (err ? reject(err) : resolve()));
  });
}

/** Opens a stream that sends a message prefix announcing `length` bytes, then `sent` of them. */
function unfinishedMessage(
  session: http2.ClientHttp2Session,
  length: number,
  sent: number,
): { stream: http2.ClientHttp2Stream; status: Promise<{ code: number; message: string }> } {
  const stream = session.request({
    ":method": "POST",
    ":path": "/proto.API/Publish",
    "content-type": "application/grpc",
    te: "trailers",
  });
  stream.on("error", () => undefined);
  const statusPromise = new Promise<{ code: number; message: string }>((resolve) => {
    const onStatus = (h: http2.IncomingHttpHeaders) => {
      if (h["grpc-status"] === undefined) return;
      resolve({
        code: Number(h["grpc-status"]),
        message: decodeURIComponent(String(h["grpc-message"] ?? "")),
      });
    };
    stream.on("response", onStatus);
    stream.on("trailers", onStatus);
    stream.on("close", () => resolve({ code: -1, message: "closed without a status" }));
  });
  stream.write(frameHeader(length));
  if (sent > 0) stream.write(Buffer.alloc(sent, 1));
  return { stream, status: statusPromise };
}

const published = (value: Uint8Array) =>
  encodePublishRequest({ stream: "l", value, ackPolicy: AckPolicy.LEADER });

test("a request over grpc.max.message.bytes is ResourceExhausted naming its size and the limit", async (t) => {
  const { address } = await broker(t, { "grpc.max.message.bytes": 2048 });
  const client = rawClient(t, address);
  await call(client, "publish", {
    stream: "l",
    value: new Uint8Array(1900),
    ackPolicy: AckPolicy.LEADER,
  });
  const err = await failure(
    call(client, "publish", {
      stream: "l",
      value: new Uint8Array(4000),
      ackPolicy: AckPolicy.LEADER,
    }),
  );
  t.is(err.code, status.RESOURCE_EXHAUSTED);
  t.is(
    err.details,
    `Received message larger than max (${published(new Uint8Array(4000)).length} vs 2048)`,
  );
});

test("grpc.max.concurrent.streams is advertised: a client queues calls beyond it, and one that does not loses its connection", async (t) => {
  const { address } = await broker(t, { "grpc.max.concurrent.streams": 3 });
  const session = h2Connect(t, address);
  await roundTrip(session);
  t.is(session.remoteSettings.maxConcurrentStreams, 3);
  // Three calls whose request bodies never end hold all three slots; a fourth waits its turn.
  const held = [1, 2, 3].map(() => unfinishedMessage(session, 100, 10));
  const fourth = grpcCall(session, "/proto.API/FetchMetadata", {}, [new Uint8Array(0)]);
  await roundTrip(session);
  t.true(held.every(({ stream }) => !stream.pending && !stream.closed));
  held[0]!.stream.close(http2.constants.NGHTTP2_CANCEL);
  t.is((await fourth).code, status.OK);

  const raw = await RawH2Client.connect(Number(address.split(":")[1]));
  t.teardown(() => raw.close());
  t.is(raw.serverSettings.get(MAX_CONCURRENT_STREAMS), 3);
  for (const id of [1, 3, 5, 7]) raw.openGrpcStream(id, "/proto.API/Publish");
  await raw.waitFor((f) => f.type === FrameType.GOAWAY);
});

test("an unfinished message holds only the bytes received: 40 streams announcing 60 MiB each take little memory", async (t) => {
  const { address } = await broker(t);
  const session = h2Connect(t, address);
  await roundTrip(session);
  const before = process.memoryUsage().arrayBuffers;
  const calls = Array.from({ length: 40 }, () => unfinishedMessage(session, 60 * MIB, 64 * 1024));
  await roundTrip(session);
  await roundTrip(session);
  const grown = process.memoryUsage().arrayBuffers - before;
  // Preallocating the announced sizes would take 2.4 GB; what arrived is 2.5 MiB.
  t.true(grown < 64 * MIB, `grew ${(grown / MIB).toFixed(1)} MiB`);
  for (const { stream } of calls) t.false(stream.closed);
});

test("partly received messages beyond grpc.max.session.memory end the call that goes over with ResourceExhausted", async (t) => {
  const { address } = await broker(t, {
    "grpc.max.message.bytes": MIB,
    "grpc.max.session.memory": MIB,
  });
  const session = h2Connect(t, address);
  const first = unfinishedMessage(session, MIB, 400 * 1024);
  const second = unfinishedMessage(session, MIB, 400 * 1024);
  await roundTrip(session);
  const third = unfinishedMessage(session, MIB, 400 * 1024);
  t.deepEqual(await third.status, {
    code: status.RESOURCE_EXHAUSTED,
    message: `Partly received messages on this connection exceed the session memory limit of ${MIB} bytes`,
  });
  t.false(first.stream.closed);
  t.false(second.stream.closed);
  // Cancelling a call gives its bytes back: a whole message fits again and is published.
  first.stream.close(http2.constants.NGHTTP2_CANCEL);
  await once(first.stream, "close");
  await roundTrip(session);
  const result = await grpcCall(session, "/proto.API/Publish", {}, [
    published(new Uint8Array(500 * 1024)),
  ]);
  t.is(result.code, status.OK, result.message);
});

test("FetchMetadata with more names than metadata.max.names is InvalidArgument naming the count and the limit", async (t) => {
  const { address } = await broker(t, { "metadata.max.names": 3 });
  const client = rawClient(t, address);
  const ok = await call<unknown, { streamMetadata: unknown[] }>(client, "fetchMetadata", {
    streams: ["l", "a", "b"],
  });
  t.is(ok.streamMetadata.length, 3);
  const err = await failure(call(client, "fetchMetadata", { streams: ["l", "a", "b", "c"] }));
  t.is(err.code, status.INVALID_ARGUMENT);
  t.is(err.details, "FetchMetadata lists 4 stream names; the limit is 3 (metadata.max.names)");
});

test.serial(
  "with LB_GRPC_SERVER=grpc-js the message size and stream limits apply too",
  async (t) => {
    const previous = process.env.LB_GRPC_SERVER;
    process.env.LB_GRPC_SERVER = "grpc-js";
    let address: string;
    try {
      ({ address } = await broker(t, {
        "grpc.max.message.bytes": 2048,
        "grpc.max.concurrent.streams": 3,
      }));
    } finally {
      if (previous === undefined) delete process.env.LB_GRPC_SERVER;
      else process.env.LB_GRPC_SERVER = previous;
    }
    const err = await failure(
      call(rawClient(t, address), "publish", { stream: "l", value: new Uint8Array(4000) }),
    );
    t.is(err.code, status.RESOURCE_EXHAUSTED);
    t.regex(err.details, /^Received message larger than max \(\d+ vs 2048\)$/);
    const session = h2Connect(t, address);
    await roundTrip(session);
    t.is(session.remoteSettings.maxConcurrentStreams, 3);
  },
);
