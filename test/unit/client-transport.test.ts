import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import type { AddressInfo } from "node:net";
import * as grpc from "@grpc/grpc-js";
import test, { type ExecutionContext } from "ava";
import { toLbError } from "../../src/client/errors.js";
import { BidiStreamCall } from "../../src/client/transport/bidi-stream.js";
import { Http2Connection } from "../../src/client/transport/connection.js";
import { Http2BrokerStub } from "../../src/client/transport/http2-stub.js";
import { ServerStreamCall } from "../../src/client/transport/server-stream.js";
import { CallError, Code } from "../../src/client/transport/status.js";
import * as api from "../../src/wire/api.js";
import { FrameDecoder, encodeFrame as frame } from "../../src/wire/grpc-frames.js";
import { type ApiServerHandlers, apiServerDefinition } from "../../src/wire/service.js";
import { freePort } from "../helpers/nats.js";
import { waitFor } from "../helpers/wait.js";

const text = (s: string) => new TextEncoder().encode(s);
const SUBSCRIBE = "/proto.API/Subscribe";
const PUBLISH_ASYNC = "/proto.API/PublishAsync";

// ---------------------------------------------------------------------------------------------
// Peers: a grpc-js server of proto.API, and a raw node:http2 server for exact control of frames

async function grpcServer(
  t: ExecutionContext,
  handlers: Partial<ApiServerHandlers>,
  port = 0,
): Promise<{ address: string; server: grpc.Server }> {
  const server = new grpc.Server();
  server.addService(apiServerDefinition, handlers as grpc.UntypedServiceImplementation);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  t.teardown(() => server.forceShutdown());
  return { address: `127.0.0.1:${bound}`, server };
}

async function rawServer(
  t: ExecutionContext,
  onStream: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void,
): Promise<string> {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("error", () => {});
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    onStream(stream, headers);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => {
    for (const session of sessions) session.destroy();
    server.close();
  });
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const GRPC_HEADERS = { ":status": 200, "content-type": "application/grpc" };

function messageBytes(offset: number, value: Uint8Array): Uint8Array {
  return api.encodeMessage({ offset, value, stream: "s" });
}

function stub(t: ExecutionContext, address: string): Http2BrokerStub {
  const s = new Http2BrokerStub(address);
  t.teardown(() => s.close());
  return s;
}

async function rejection(promise: Promise<unknown>): Promise<CallError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof CallError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

// ---------------------------------------------------------------------------------------------
// Framing

// ---------------------------------------------------------------------------------------------
// Unary calls against grpc-js

test("unary calls return the response and map error statuses with their exact message", async (t) => {
  const details = 'stream "ü/%20 100%" is not here: «ok?» \t done';
  const { address } = await grpcServer(t, {
    FetchMetadata: (call, callback) => {
      if (call.request.streams[0] === "missing") {
        callback({ code: grpc.status.NOT_FOUND, details });
      } else {
        callback(null, { brokers: [{ id: "b1", host: "127.0.0.1", port: 7 }] });
      }
    },
  });
  const client = stub(t, address);
  const ok = await client.unary("FetchMetadata", {});
  t.deepEqual(
    ok.brokers.map((b) => [b.id, b.port]),
    [["b1", 7]],
  );
  const error = await rejection(client.unary("FetchMetadata", { streams: ["missing"] }));
  t.is(error.code, Code.NOT_FOUND);
  t.is(error.details, details);
  t.true(error instanceof Error);
  const mapped = toLbError(error, "fetch");
  t.is(mapped.kind, "not_found");
  t.is(mapped.message, `fetch: ${details}`);
});

test("an unimplemented method is UNIMPLEMENTED", async (t) => {
  const { address } = await grpcServer(t, {});
  const error = await rejection(stub(t, address).unary("FetchCursor", {}));
  t.is(error.code, Code.UNIMPLEMENTED);
});

test("a deadline is sent as grpc-timeout and enforced locally", async (t) => {
  let seenTimeout: string | undefined;
  const address = await rawServer(t, (_stream, headers) => {
    seenTimeout = headers["grpc-timeout"] as string;
    // never answers: only the client's own timer can end the call
  });
  const error = await rejection(
    stub(t, address).unary("FetchMetadata", {}, { deadline: new Date(Date.now() + 2000) }),
  );
  t.is(error.code, Code.DEADLINE_EXCEEDED);
  t.regex(seenTimeout ?? "", /^\d{1,8}m$/);
  t.true(Number(seenTimeout!.slice(0, -1)) <= 2000);
});

test("a deadline beyond a timer's range is sent in seconds and does not fire early", async (t) => {
  let seenTimeout: string | undefined;
  const address = await rawServer(t, (stream, headers) => {
    seenTimeout = headers["grpc-timeout"] as string;
    // Answers a moment later: a timer that overflowed would have fired after 1 ms.
    setTimeout(
      () => stream.respond({ ...GRPC_HEADERS, "grpc-status": "5" }, { endStream: true }),
      100,
    );
  });
  const days = 40 * 24 * 3600 * 1000;
  const error = await rejection(
    stub(t, address).unary("FetchMetadata", {}, { deadline: new Date(Date.now() + days) }),
  );
  t.is(error.code, Code.NOT_FOUND);
  // 40 days in seconds, less what connecting took.
  t.regex(seenTimeout ?? "", /^\d{1,8}S$/);
  t.true(Number(seenTimeout!.slice(0, -1)) > 3_455_000, seenTimeout);
  t.true(Number(seenTimeout!.slice(0, -1)) <= 3_456_000, seenTimeout);
});

test("requests carry the gRPC headers", async (t) => {
  let seen: IncomingHttpHeaders = {};
  const address = await rawServer(t, (stream, headers) => {
    seen = headers;
    stream.respond({ ...GRPC_HEADERS, "grpc-status": "0" }, { endStream: true });
  });
  await rejection(stub(t, address).unary("FetchMetadata", {}));
  t.is(seen[":method"], "POST");
  t.is(seen[":path"], "/proto.API/FetchMetadata");
  t.is(seen["content-type"], "application/grpc");
  t.is(seen.te, "trailers");
  t.is(seen["grpc-accept-encoding"], "identity");
  t.regex(seen["user-agent"] ?? "", /lb-client/);
  t.is(seen["grpc-timeout"], undefined);
});

test("status from trailers-only headers, from trailers, from HTTP status, and without any", async (t) => {
  const address = await rawServer(t, (stream, headers) => {
    const path = headers[":path"];
    if (path === "/proto.API/DeleteStream") {
      stream.respond(
        { ...GRPC_HEADERS, "grpc-status": "9", "grpc-message": "not%20the%20leader%3A%20%C3%BC" },
        { endStream: true },
      );
    } else if (path === "/proto.API/PauseStream") {
      stream.respond(GRPC_HEADERS, { waitForTrailers: true });
      stream.on("wantTrailers", () =>
        stream.sendTrailers({ "grpc-status": "6", "grpc-message": "exists 100%25" }),
      );
      stream.end(frame(new Uint8Array(0)));
    } else if (path === "/proto.API/SetStreamReadonly") {
      stream.respond({ ":status": 503 }, { endStream: true });
    } else {
      stream.respond(GRPC_HEADERS);
      stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    }
  });
  const client = stub(t, address);
  const trailersOnly = await rejection(client.unary("DeleteStream", { name: "x" }));
  t.deepEqual([trailersOnly.code, trailersOnly.details], [9, "not the leader: ü"]);
  const inTrailers = await rejection(client.unary("PauseStream", { name: "x" }));
  t.deepEqual([inTrailers.code, inTrailers.details], [6, "exists 100%"]);
  const http = await rejection(client.unary("SetStreamReadonly", { name: "x" }));
  t.is(http.code, Code.UNAVAILABLE);
  const reset = await rejection(client.unary("FetchMetadata", {}));
  t.is(reset.code, Code.UNAVAILABLE);
});

// ---------------------------------------------------------------------------------------------
// Connecting

test("without waitForReady a call to a closed port fails fast with UNAVAILABLE", async (t) => {
  const port = await freePort();
  const started = Date.now();
  const error = await rejection(
    stub(t, `127.0.0.1:${port}`).unary(
      "FetchMetadata",
      {},
      {
        deadline: new Date(Date.now() + 10_000),
      },
    ),
  );
  t.is(error.code, Code.UNAVAILABLE);
  t.regex(error.details, /ECONNREFUSED/);
  t.true(Date.now() - started < 2000);
});

test("with waitForReady a call waits for a server that starts later", async (t) => {
  const port = await freePort();
  const client = stub(t, `127.0.0.1:${port}`);
  const down = await rejection(client.unary("FetchMetadata", {}));
  t.is(down.code, Code.UNAVAILABLE, "nothing listens yet");
  const waiting = client.unary(
    "FetchMetadata",
    {},
    { waitForReady: true, deadline: new Date(Date.now() + 15_000) },
  );
  await grpcServer(t, { FetchMetadata: (_call, callback) => callback(null, {}) }, port);
  t.deepEqual((await waiting).brokers, []);
});

test("with waitForReady and nothing listening the call ends at its deadline", async (t) => {
  const port = await freePort();
  const error = await rejection(
    stub(t, `127.0.0.1:${port}`).unary(
      "FetchMetadata",
      {},
      { waitForReady: true, deadline: new Date(Date.now() + 500) },
    ),
  );
  t.is(error.code, Code.DEADLINE_EXCEEDED);
});

test("after the server restarts, calls reconnect", async (t) => {
  const handlers: Partial<ApiServerHandlers> = {
    FetchMetadata: (_call, callback) => callback(null, {}),
  };
  const first = await grpcServer(t, handlers);
  const client = stub(t, first.address);
  await client.unary("FetchMetadata", {});
  first.server.forceShutdown();
  await waitFor(
    async () => {
      try {
        await client.unary("FetchMetadata", {});
        return false;
      } catch (err) {
        return (err as CallError).code === Code.UNAVAILABLE;
      }
    },
    { message: "calls to fail while the server is down" },
  );
  await grpcServer(t, handlers, Number(first.address.split(":")[1]));
  const response = await client.unary(
    "FetchMetadata",
    {},
    { waitForReady: true, deadline: new Date(Date.now() + 10_000) },
  );
  t.deepEqual(response.brokers, []);
  t.deepEqual((await client.unary("FetchMetadata", {})).brokers, []);
});

// ---------------------------------------------------------------------------------------------
// Subscribe

async function collect(call: ServerStreamCall<api.Message> | AsyncIterable<api.Message>) {
  const got: api.Message[] = [];
  for await (const m of call) got.push(m);
  return got;
}

test("subscribe decodes many messages from one chunk and a message split across chunks", async (t) => {
  const big = new Uint8Array(40_000).map((_, i) => i % 251);
  const address = await rawServer(t, async (stream) => {
    stream.respond(GRPC_HEADERS, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    const many = Buffer.concat(
      Array.from({ length: 1000 }, (_, i) => frame(messageBytes(i, text(`m${i}`)))),
    );
    const split = frame(messageBytes(1000, big));
    // Whole frames in one write; then one frame in three writes, cut inside its header.
    const parts = [many, split.subarray(0, 3), split.subarray(3, 20_000), split.subarray(20_000)];
    for (const part of parts) await new Promise((resolve) => stream.write(part, resolve));
    stream.end();
  });
  const call = new ServerStreamCall(
    new Http2Connection(address),
    SUBSCRIBE,
    api.encodeSubscribeRequest({ stream: "s" }),
    api.decodeMessage,
  );
  const got = await collect(call);
  t.is(got.length, 1001);
  t.deepEqual(
    got.slice(0, 1000).map((m) => [m.offset, new TextDecoder().decode(m.value)]),
    Array.from({ length: 1000 }, (_, i) => [i, `m${i}`]),
  );
  t.is(got[1000]!.offset, 1000);
  t.deepEqual(Buffer.from(got[1000]!.value), Buffer.from(big));
});

test("subscribe from grpc-js: large messages, then the end status is thrown once", async (t) => {
  const big = new Uint8Array(300_000).fill(42);
  const { address } = await grpcServer(t, {
    Subscribe: (call) => {
      call.write(new Uint8Array(0));
      call.write(messageBytes(0, big));
      for (let i = 1; i <= 500; i++) call.write(messageBytes(i, text("x")));
      call.emit("error", { code: grpc.status.RESOURCE_EXHAUSTED, details: "end" });
    },
  });
  const iterator = stub(t, address).subscribe({ stream: "s" })[Symbol.asyncIterator]();
  const got: api.Message[] = [];
  let thrown: unknown;
  try {
    for (;;) {
      const step = await iterator.next();
      if (step.done) break;
      got.push(step.value);
    }
  } catch (err) {
    thrown = err;
  }
  t.is(got.length, 502);
  t.is(got[1]!.value.length, 300_000);
  t.is(got[501]!.offset, 500);
  t.is((thrown as CallError).code, Code.RESOURCE_EXHAUSTED);
  t.true((await iterator.next()).done);
});

test("cancel ends the subscription's iteration and resets the stream at the server", async (t) => {
  let serverSawCancel = false;
  const { address } = await grpcServer(t, {
    Subscribe: (call) => {
      call.write(new Uint8Array(0));
      call.on("cancelled", () => {
        serverSawCancel = true;
      });
    },
  });
  const call = stub(t, address).subscribe({ stream: "s" });
  const iterator = call[Symbol.asyncIterator]();
  t.false((await iterator.next()).done, "handshake");
  const pending = iterator.next();
  call.cancel();
  t.true((await pending).done);
  t.true((await iterator.next()).done);
  await waitFor(() => serverSawCancel, { message: "the server to see the cancel" });
  t.pass();
});

test("losing the connection mid-stream ends the subscription with UNAVAILABLE", async (t) => {
  const address = await rawServer(t, (stream) => {
    stream.respond(GRPC_HEADERS);
    stream.write(frame(messageBytes(0, text("one"))), () => stream.session?.destroy());
  });
  const call = stub(t, address).subscribe({ stream: "s" });
  const got: number[] = [];
  let thrown: unknown;
  try {
    for await (const m of call) got.push(m.offset);
  } catch (err) {
    thrown = err;
  }
  t.deepEqual(got, [0]);
  t.is((thrown as CallError).code, Code.UNAVAILABLE);
});

test("a slow consumer pauses reading: the server is held back by flow control", async (t) => {
  const value = new Uint8Array(1000);
  let written = 0;
  let finished = false;
  const address = await rawServer(t, async (stream) => {
    stream.respond(GRPC_HEADERS, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    const batch = Buffer.concat(
      Array.from({ length: 100 }, (_, i) => frame(messageBytes(i, value))),
    );
    // 100 MB, if nothing holds the server back.
    for (let i = 0; i < 1000 && !stream.destroyed; i++) {
      written += batch.length;
      if (!stream.write(batch)) await new Promise((resolve) => stream.once("drain", resolve));
    }
    finished = true;
    stream.end();
  });
  const call = stub(t, address).subscribe({ stream: "s" });
  const iterator = call[Symbol.asyncIterator]();
  await iterator.next();
  // The queue pauses at 8 MiB; windows (4 MiB stream, 16 MiB session) and socket buffers add a
  // bounded amount. Wait for the server to stop making progress, then check where it stopped.
  let last = -1;
  await waitFor(
    () => {
      const stalled = written === last;
      last = written;
      return stalled;
    },
    { intervalMs: 300, message: "the server to be held back" },
  );
  t.false(finished);
  t.true(written < 40 * 1024 * 1024, `server wrote ${written} bytes before blocking`);
  // Reading resumes and everything arrives.
  let count = 1;
  for (;;) {
    const step = await iterator.next();
    if (step.done) break;
    count++;
  }
  t.is(count, 100_000);
  t.true(finished);
});

// ---------------------------------------------------------------------------------------------
// PublishAsync

test("PublishAsync batches the requests of one event-loop turn into few DATA frames", async (t) => {
  let chunks = 0;
  const received: string[] = [];
  const address = await rawServer(t, (stream) => {
    const decoder = new FrameDecoder();
    stream.respond(GRPC_HEADERS, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.on("data", (chunk: Buffer) => {
      chunks++;
      for (const m of decoder.push(chunk)) received.push(api.decodePublishRequest(m).correlationId);
    });
    stream.on("end", () => stream.end());
  });
  const call = new BidiStreamCall(
    new Http2Connection(address),
    PUBLISH_ASYNC,
    api.encodePublishRequest,
    api.decodePublishResponse,
  );
  const done = new Promise<api.PublishResponse | { code: number }>((resolve) =>
    call.on("status", resolve),
  );
  call.on("error", () => {});
  for (let i = 0; i < 1000; i++) {
    call.write({ stream: "s", value: text("hello world"), correlationId: `c${i}` });
  }
  call.end();
  t.is(((await done) as { code: number }).code, Code.OK);
  t.deepEqual(
    received,
    Array.from({ length: 1000 }, (_, i) => `c${i}`),
  );
  // ~30 KB of requests: one write, cut into DATA frames of at most 16 KiB.
  t.true(chunks <= 4, `${chunks} DATA frames for 1000 requests`);
});

test("PublishAsync with many in flight: back-pressure, drain, every response", async (t) => {
  const { address } = await grpcServer(t, {
    PublishAsync: (call) => {
      call.on("data", (request: api.PublishRequest) => {
        call.write({ correlationId: request.correlationId, ack: { offset: 1 } });
      });
      call.on("end", () => call.end());
    },
  });
  const call = stub(t, address).publishAsync();
  const acked = new Set<string>();
  call.on("data", (response: api.PublishResponse) => acked.add(response.correlationId));
  let failure: unknown;
  call.on("error", (err) => {
    failure = err;
  });
  const ended = new Promise<{ code: number }>((resolve) => call.on("status", resolve));
  const value = new Uint8Array(1024);
  const total = 5000;
  let refused = 0;
  let drains = 0;
  for (let i = 0; i < total; i++) {
    if (!call.write({ stream: "s", value, correlationId: `c${i}` })) {
      refused++;
      await new Promise((resolve) => call.once("drain", resolve));
      drains++;
    }
  }
  t.true(refused > 0, "write() said to wait at least once");
  t.is(drains, refused);
  await waitFor(() => acked.size === total, { message: "every ack" });
  call.end();
  t.is((await ended).code, Code.OK);
  t.is(failure, undefined);
});

test("PublishAsync cancel ends the call with CANCELLED", async (t) => {
  const { address } = await grpcServer(t, { PublishAsync: () => {} });
  const call = stub(t, address).publishAsync();
  const error = new Promise<CallError>((resolve) => call.on("error", resolve));
  call.write({ stream: "s", value: text("x"), correlationId: "a" });
  call.cancel();
  t.is((await error).code, Code.CANCELLED);
  t.is(toLbError(await error).kind, "cancelled");
});
