import { execFile } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import http2 from "node:http2";
import { join } from "node:path";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import test, { type ExecutionContext } from "ava";
import type { Http2Call } from "../../src/server/grpc/call.js";
import type { ServiceImplementation } from "../../src/server/grpc/calls.js";
import { Http2GrpcServer } from "../../src/server/grpc/http2-server.js";
import { encodeFrame, FrameDecoder } from "../../src/wire/grpc-frames.js";
import { makeTempDir } from "../helpers/tmp.js";
import { waitFor } from "../helpers/wait.js";

// A small JSON service: the peer is grpc-js's client, the reference implementation.
const json = {
  serialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString()),
};
function method(name: string, requestStream: boolean, responseStream: boolean) {
  return {
    path: `/test.Echo/${name}`,
    requestStream,
    responseStream,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
    originalName: name,
  };
}
const definition = {
  Echo: method("Echo", false, false),
  Fail: method("Fail", false, false),
  Hold: method("Hold", false, false),
  Count: method("Count", false, true),
  Chat: method("Chat", true, true),
} satisfies grpc.ServiceDefinition;
const Client = grpc.makeGenericClientConstructor(definition, "Echo");
// biome-ignore lint/suspicious/noExplicitAny: the generic client's methods are untyped.
type AnyClient = grpc.Client & Record<string, any>;

interface Harness {
  server: Http2GrpcServer;
  port: number;
  client: AnyClient;
}

async function serve(
  t: ExecutionContext,
  implementation: ServiceImplementation,
  options: { maxReceiveMessageBytes?: number } = {},
): Promise<Harness> {
  const server = new Http2GrpcServer(options);
  server.addService(definition, implementation);
  const port = await server.listen("127.0.0.1", 0);
  t.teardown(() => server.forceShutdown());
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as AnyClient;
  t.teardown(() => client.close());
  return { server, port, client };
}

function unary(client: AnyClient, name: string, req: unknown, deadlineMs = 10_000) {
  return new Promise<unknown>((resolve, reject) => {
    client[name](req, { deadline: Date.now() + deadlineMs }, (err: Error | null, res: unknown) =>
      err ? reject(err) : resolve(res),
    );
  });
}

async function failure(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as grpc.ServiceError;
  }
  throw new Error("expected the call to fail");
}

interface RawResponse {
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders | undefined;
  messages: Buffer[];
}

/** One request over plain node:http2, for what grpc-js's client cannot be made to send. */
async function raw(
  t: ExecutionContext,
  port: number,
  headers: http2.OutgoingHttpHeaders,
  chunks: Buffer[],
): Promise<RawResponse> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", () => undefined);
  t.teardown(() => session.destroy());
  const stream = session.request({
    ":method": "POST",
    "content-type": "application/grpc",
    te: "trailers",
    ...headers,
  });
  stream.on("error", () => undefined);
  let trailers: http2.IncomingHttpHeaders | undefined;
  stream.on("trailers", (h) => {
    trailers = h;
  });
  const decoder = new FrameDecoder(1 << 30);
  const messages: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => messages.push(...decoder.push(chunk)));
  // Each chunk its own DATA frame: written one after the other, each flushed before the next.
  for (const chunk of chunks) {
    await new Promise<void>((resolve) => stream.write(chunk, () => resolve()));
  }
  stream.end();
  const [responseHeaders] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
  await once(stream, "close");
  return { headers: responseHeaders, trailers, messages };
}

const echoImpl: ServiceImplementation = {
  Echo: (call, callback) => callback(null, { echo: call.request }),
  Chat: (call: Http2Call) => {
    call.on("data", (req: unknown) => call.write({ echo: req }));
    call.on("end", () => call.end());
  },
};

test("unary and bidirectional calls round-trip through grpc-js's client", async (t) => {
  const { client } = await serve(t, echoImpl);
  t.deepEqual(await unary(client, "Echo", { a: 1 }), { echo: { a: 1 } });
  t.deepEqual(
    await Promise.all([1, 2, 3].map((n) => unary(client, "Echo", n))),
    [1, 2, 3].map((n) => ({ echo: n })),
  );
  const chat = client.Chat();
  const replies: unknown[] = [];
  chat.on("data", (m: unknown) => replies.push(m));
  for (let i = 0; i < 100; i++) chat.write(i);
  chat.end();
  const status = await new Promise<grpc.StatusObject>((resolve) => chat.on("status", resolve));
  t.is(status.code, grpc.status.OK);
  t.deepEqual(
    replies,
    Array.from({ length: 100 }, (_, i) => ({ echo: i })),
  );
});

test("requests split across DATA frames and packed into one are decoded whole", async (t) => {
  const { port } = await serve(t, echoImpl);
  const frames = ["one", "two", { three: "x".repeat(40_000) }, "four"].map((m) =>
    encodeFrame(json.serialize(m)),
  );
  const body = Buffer.concat(frames);
  // first two packed in one chunk, the third split mid-prefix and mid-body, the fourth alone
  const cut1 = frames[0]!.length + frames[1]!.length + 2;
  const cut2 = cut1 + 20_000;
  const chunks = [body.subarray(0, cut1), body.subarray(cut1, cut2), body.subarray(cut2)];
  const res = await raw(t, port, { ":path": "/test.Echo/Chat" }, chunks);
  t.is(Number(res.headers[":status"]), 200);
  t.is(res.trailers?.["grpc-status"], "0");
  t.deepEqual(
    res.messages.map((m) => json.deserialize(m)),
    ["one", "two", { three: "x".repeat(40_000) }, "four"].map((echo) => ({ echo })),
  );
});

test("an unknown method is UNIMPLEMENTED; non-gRPC content types get HTTP 415", async (t) => {
  const { port, client } = await serve(t, echoImpl);
  const other = grpc.makeGenericClientConstructor({ Nope: method("Nope", false, false) }, "X");
  const stranger = new other(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as AnyClient;
  t.teardown(() => stranger.close());
  const err = await failure(unary(stranger, "Nope", {}));
  t.is(err.code, grpc.status.UNIMPLEMENTED);
  t.is(err.details, "The server does not implement the method /test.Echo/Nope");
  // A method registered in the definition without a handler is unknown too.
  t.is((await failure(unary(client, "Fail", {}))).code, grpc.status.UNIMPLEMENTED);

  const json415 = await raw(t, port, { ":path": "/test.Echo/Echo", "content-type": "text/json" }, [
    Buffer.from("{}"),
  ]);
  t.is(Number(json415.headers[":status"]), 415);
});

test("compressed requests and unknown encodings are refused", async (t) => {
  const { port } = await serve(t, echoImpl);
  const frame = encodeFrame(json.serialize("hi"));
  frame[0] = 1;
  const compressed = await raw(t, port, { ":path": "/test.Echo/Echo" }, [frame]);
  t.is(compressed.headers["grpc-status"], String(grpc.status.INTERNAL));

  const gzip = await raw(t, port, { ":path": "/test.Echo/Echo", "grpc-encoding": "gzip" }, [
    encodeFrame(json.serialize("hi")),
  ]);
  t.is(Number(gzip.headers[":status"]), 200);
  t.is(gzip.headers["grpc-status"], String(grpc.status.UNIMPLEMENTED));
  t.is(gzip.headers["grpc-accept-encoding"], "identity");
});

test("a request over the size limit is RESOURCE_EXHAUSTED with grpc-js's message", async (t) => {
  const { client } = await serve(t, echoImpl, { maxReceiveMessageBytes: 1000 });
  t.deepEqual(await unary(client, "Echo", "x".repeat(990)), { echo: "x".repeat(990) });
  const err = await failure(unary(client, "Echo", "x".repeat(1000)));
  t.is(err.code, grpc.status.RESOURCE_EXHAUSTED);
  t.is(err.details, "Received message larger than max (1002 vs 1000)");
});

test("status messages with special and non-ASCII characters reach the client intact", async (t) => {
  const details = "100% done; naïve café ✓ 日本語 🙂\nline two\ttab, #hash ?q=1&x=%41";
  const { client, port } = await serve(t, {
    Fail: (_call, callback) => callback({ code: grpc.status.FAILED_PRECONDITION, details }),
    Count: (call: Http2Call) => {
      call.write(1);
      call.emit("error", { code: grpc.status.NOT_FOUND, details });
    },
  });
  const err = await failure(unary(client, "Fail", {}));
  t.is(err.code, grpc.status.FAILED_PRECONDITION);
  t.is(err.details, details);

  // Before any message the status travels alone (trailers-only) ...
  const alone = await raw(t, port, { ":path": "/test.Echo/Fail" }, [
    encodeFrame(json.serialize(0)),
  ]);
  t.is(Number(alone.headers[":status"]), 200);
  t.is(alone.headers["grpc-status"], String(grpc.status.FAILED_PRECONDITION));
  t.is(alone.trailers, undefined);
  // ... after one, in trailers, behind the message written before the error.
  const after = await raw(t, port, { ":path": "/test.Echo/Count" }, [
    encodeFrame(json.serialize(0)),
  ]);
  t.is(after.headers["grpc-status"], undefined);
  t.is(after.trailers?.["grpc-status"], String(grpc.status.NOT_FOUND));
  t.is(decodeURIComponent(String(after.trailers?.["grpc-message"])), details);
  t.deepEqual(
    after.messages.map((m) => json.deserialize(m)),
    [1],
  );
});

test("a slow unary handler is ended with DEADLINE_EXCEEDED by the server and sees 'cancelled'", async (t) => {
  let held: Http2Call | undefined;
  let cancelled = false;
  const { port, client } = await serve(t, {
    Hold: (call: Http2Call) => {
      held = call;
      call.on("cancelled", () => {
        cancelled = true;
      });
    },
  });
  // Over raw HTTP/2, so the status comes from the server and not from the client's own timer.
  const started = Date.now();
  const res = await raw(t, port, { ":path": "/test.Echo/Hold", "grpc-timeout": "200m" }, [
    encodeFrame(json.serialize({})),
  ]);
  t.is(res.headers["grpc-status"], String(grpc.status.DEADLINE_EXCEEDED));
  t.is(res.headers["grpc-message"], "Deadline exceeded");
  t.true(Date.now() - started >= 190);
  t.true(cancelled);
  const deadline = held!.getDeadline();
  t.true(deadline >= started + 190 && deadline <= started + 1000, `deadline ${deadline - started}`);

  const err = await failure(unary(client, "Hold", {}, 300));
  t.is(err.code, grpc.status.DEADLINE_EXCEEDED);
  // A call without grpc-timeout has no deadline.
  const noDeadline = client.Hold({}, () => undefined);
  await waitFor(() => held !== undefined && held.getDeadline() === Number.POSITIVE_INFINITY);
  noDeadline.cancel();

  const bad = await raw(t, port, { ":path": "/test.Echo/Hold", "grpc-timeout": "soon" }, [
    encodeFrame(json.serialize({})),
  ]);
  t.is(bad.headers["grpc-status"], String(grpc.status.INTERNAL));
});

test("a client cancelling a server stream emits 'cancelled' on the call", async (t) => {
  let cancelled = false;
  const { client } = await serve(t, {
    Count: (call: Http2Call) => {
      call.on("cancelled", () => {
        cancelled = true;
      });
      call.write(0);
    },
  });
  const stream = client.Count({});
  stream.on("error", () => undefined);
  await once(stream, "data");
  t.false(cancelled);
  stream.cancel();
  await waitFor(() => cancelled, { message: "'cancelled' on the server call" });
  t.pass();
});

test("write() returns false behind a slow reader and 'drain' lets the writer go on", async (t) => {
  const total = 400;
  const chunk = "y".repeat(16 * 1024);
  let refusals = 0;
  let drains = 0;
  const { client } = await serve(t, {
    Count: async (call: Http2Call) => {
      for (let i = 0; i < total; i++) {
        if (!call.write({ i, chunk })) {
          refusals++;
          await once(call, "drain");
          drains++;
        }
      }
      call.end();
    },
  });
  const stream = client.Count({});
  const received: number[] = [];
  stream.on("data", (m: { i: number; chunk: string }) => {
    if (m.chunk === chunk) received.push(m.i);
  });
  stream.pause();
  await waitFor(() => refusals > 0, { message: "the server to see back-pressure" });
  t.is(drains, 0);
  stream.resume();
  const status = await new Promise<grpc.StatusObject>((resolve) => stream.on("status", resolve));
  t.is(status.code, grpc.status.OK);
  t.deepEqual(
    received,
    Array.from({ length: total }, (_, i) => i),
  );
  t.true(drains >= 1);
  t.is(drains, refusals);
});

test("tryShutdown lets a unary call in flight finish, then calls back", async (t) => {
  let release: (() => void) | undefined;
  const { server, client, port } = await serve(t, {
    Hold: (call: Http2Call, callback) => {
      release = () => callback(null, { done: call.request });
    },
  });
  const answer = unary(client, "Hold", "in flight");
  await waitFor(() => release !== undefined, { message: "the handler to run" });
  let shutDown = false;
  server.tryShutdown(() => {
    shutDown = true;
  });
  // It stops accepting connections at once ...
  const late = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as AnyClient;
  t.teardown(() => late.close());
  t.is((await failure(unary(late, "Echo", "late"))).code, grpc.status.UNAVAILABLE);
  // ... but waits for the call in flight.
  t.false(shutDown);
  release!();
  t.deepEqual(await answer, { done: "in flight" });
  client.close();
  await waitFor(() => shutDown, { message: "tryShutdown's callback" });
  t.pass();
});

test("listen serves TLS with an h2 certificate", async (t) => {
  const dir = await makeTempDir("lb-grpc-tls-", t);
  await promisify(execFile)("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
    "-keyout",
    join(dir, "key.pem"),
    "-out",
    join(dir, "cert.pem"),
  ]);
  const [cert, key] = await Promise.all([
    readFile(join(dir, "cert.pem")),
    readFile(join(dir, "key.pem")),
  ]);
  const server = new Http2GrpcServer();
  server.addService(definition, echoImpl);
  const port = await server.listen("127.0.0.1", 0, { cert, key });
  t.teardown(() => server.forceShutdown());
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createSsl(cert), {
    "grpc.ssl_target_name_override": "localhost",
  }) as AnyClient;
  t.teardown(() => client.close());
  t.deepEqual(await unary(client, "Echo", "secure"), { echo: "secure" });
});
