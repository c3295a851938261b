import { status } from "@grpc/grpc-js";
import test, { type ExecutionContext } from "ava";
import {
  AckPolicy,
  decodeMessage,
  decodePublishResponse,
  encodeFetchMetadataRequest,
  encodePublishRequest,
  encodePublishToSubjectRequest,
  encodeSubscribeRequest,
  StartPosition,
} from "../../src/wire/api.js";
import { startBroker } from "../helpers/broker.js";
import { type GrpcStatus, grpcCall, h2Connect } from "../helpers/h2-grpc.js";
import { startNats } from "../helpers/nats.js";
import { call, rawClient } from "../helpers/rpc.js";

// grpc-timeout values as grpc-go and other clients send them: every unit, the largest 8-digit
// values (far beyond setTimeout's 24.8 days), and values that are not whole milliseconds.
const LONG = ["99999999H", "99999999M", "99999999S", "1S", "99999999m", "2999999u", "99999999u"];
// 99.999999 ms: as long as nanoseconds can say; an ack may or may not make it in time.
const SHORT = "99999999n";
const TIMEOUTS = [...LONG, SHORT];

const bytes = (s: string) => new TextEncoder().encode(s);

async function brokerWithStream(t: ExecutionContext) {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url);
  await call(rawClient(t, address), "createStream", { name: "d", subject: "d" });
  return h2Connect(t, address);
}

/** OK for every long deadline; OK or DEADLINE_EXCEEDED (never INTERNAL) for the short one. */
function assertDeadlineHonoured(t: ExecutionContext, timeout: string, result: GrpcStatus): void {
  const allowed = timeout === SHORT ? [status.OK, status.DEADLINE_EXCEEDED] : [status.OK];
  t.true(allowed.includes(result.code), `${timeout}: ${result.code} ${result.message}`);
}

test("unary Publish, PublishToSubject and FetchMetadata accept a deadline in every unit, fractional or huge", async (t) => {
  const session = await brokerWithStream(t);
  for (const timeout of TIMEOUTS) {
    const headers = { "grpc-timeout": timeout };
    const published = await grpcCall(session, "/proto.API/Publish", headers, [
      encodePublishRequest({ stream: "d", value: bytes(timeout), ackPolicy: AckPolicy.LEADER }),
    ]);
    assertDeadlineHonoured(t, timeout, published);
    const toSubject = await grpcCall(session, "/proto.API/PublishToSubject", headers, [
      encodePublishToSubjectRequest({
        subject: "d",
        value: bytes(timeout),
        ackPolicy: AckPolicy.LEADER,
      }),
    ]);
    assertDeadlineHonoured(t, timeout, toSubject);
    const metadata = await grpcCall(session, "/proto.API/FetchMetadata", headers, [
      encodeFetchMetadataRequest({ streams: ["d"] }),
    ]);
    assertDeadlineHonoured(t, timeout, metadata);
  }
});

test("bidirectional PublishAsync acks under every deadline and ends OK", async (t) => {
  const session = await brokerWithStream(t);
  for (const timeout of TIMEOUTS) {
    const result = await grpcCall(
      session,
      "/proto.API/PublishAsync",
      { "grpc-timeout": timeout },
      [
        encodePublishRequest({
          stream: "d",
          value: bytes(timeout),
          correlationId: timeout,
          ackPolicy: AckPolicy.LEADER,
        }),
      ],
      { keepOpen: true, onMessage: (_message, control) => control.end() },
    );
    assertDeadlineHonoured(t, timeout, result);
    if (result.code === status.OK) {
      t.is(decodePublishResponse(result.messages[0]!).correlationId, timeout);
    }
  }
});

test("server-streaming Subscribe stays open under long deadlines and expires at short, fractional ones", async (t) => {
  const session = await brokerWithStream(t);
  const subscribe = encodeSubscribeRequest({
    stream: "d",
    startPosition: StartPosition.EARLIEST,
  });
  for (const timeout of LONG) {
    // The handshake (an empty Message) shows the call is up; then the client leaves.
    const result = await grpcCall(
      session,
      "/proto.API/Subscribe",
      { "grpc-timeout": timeout },
      [subscribe],
      { onMessage: (_message, control) => control.cancel() },
    );
    t.is(result.messages.length, 1, timeout);
    t.is(decodeMessage(result.messages[0]!).offset, 0, timeout);
    t.is(result.code, -1, `${timeout}: ${result.message}`);
  }
  // A caught-up subscriber waits for messages until its deadline ends the call.
  for (const timeout of [SHORT, "1500001u"]) {
    const result = await grpcCall(session, "/proto.API/Subscribe", { "grpc-timeout": timeout }, [
      subscribe,
    ]);
    t.is(result.code, status.DEADLINE_EXCEEDED, `${timeout}: ${result.message}`);
  }
});

test("a grpc-timeout that is not 1 to 8 digits and a unit is INTERNAL, with grpc-js's message", async (t) => {
  const session = await brokerWithStream(t);
  for (const timeout of ["123456789S", "10", "1.5S", "-1S", "5s"]) {
    const result = await grpcCall(
      session,
      "/proto.API/FetchMetadata",
      { "grpc-timeout": timeout },
      [encodeFetchMetadataRequest({})],
    );
    t.is(result.code, status.INTERNAL, timeout);
    t.is(result.message, `Invalid grpc-timeout value "${timeout}"`);
  }
});
