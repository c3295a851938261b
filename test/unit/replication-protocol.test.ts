import test from "ava";
import {
  decodeEpochOffsetRequest,
  decodeEpochOffsetResponse,
  decodeFetchRequest,
  decodeFetchResponse,
  decodePartitionNotification,
  encodeEpochOffsetRequest,
  encodeEpochOffsetResponse,
  encodeFetchRequest,
  encodeFetchResponse,
  encodePartitionNotification,
  ReplicationProtocolError,
} from "../../src/server/replication/protocol.js";
import { encodeEnvelope, MsgType } from "../../src/wire/envelope.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

test("fetch request round trip", (t) => {
  const req = { replicaId: "broker-ü", fetchOffset: 2 ** 40, leaderEpoch: 7 };
  t.deepEqual(decodeFetchRequest(encodeFetchRequest(req)), req);
});

test("a repair fetch carries the last offset it wants; a plain one is laid out as before", (t) => {
  const plain = { replicaId: "b", fetchOffset: 5, leaderEpoch: 2 };
  const repair = { ...plain, repairTo: 9 };
  t.deepEqual(decodeFetchRequest(encodeFetchRequest(repair)), repair);
  t.is(encodeFetchRequest(repair).length, encodeFetchRequest(plain).length + 8);
  t.deepEqual(decodeFetchRequest(encodeFetchRequest(plain)), plain);
});

test("an epoch offset request may carry the follower's high watermark", (t) => {
  const req = { replicaId: "b", epoch: 3, leaderEpoch: 4, highWatermark: -1 };
  t.deepEqual(decodeEpochOffsetRequest(encodeEpochOffsetRequest(req)), req);
});

test("fetch response carries records as stored, timestamps as 64-bit nanoseconds", (t) => {
  const records = [
    { offset: 10, timestamp: 1_700_000_000_123_456_789n, leaderEpoch: 3, body: bytes("one") },
    { offset: 12, timestamp: -5n, leaderEpoch: 4, body: new Uint8Array(0) },
  ];
  const decoded = decodeFetchResponse(
    encodeFetchResponse({ ok: true, leaderEpoch: 4, highWatermark: -1, records }),
  );
  if (!decoded.ok) return t.fail("expected records");
  t.is(decoded.leaderEpoch, 4);
  t.is(decoded.highWatermark, -1);
  t.deepEqual(
    decoded.records.map((r) => [r.offset, r.timestamp, r.leaderEpoch, text(r.body)]),
    [
      [10, 1_700_000_000_123_456_789n, 3, "one"],
      [12, -5n, 4, ""],
    ],
  );
});

test("fetch and epoch errors round trip with code, epoch and reason", (t) => {
  for (const code of ["not_leader", "stale_epoch", "out_of_range"] as const) {
    const err = {
      ok: false as const,
      code,
      leaderEpoch: 9,
      logStartOffset: 120,
      message: `because ${code}`,
    };
    t.deepEqual(decodeFetchResponse(encodeFetchResponse(err)), err);
    t.deepEqual(decodeEpochOffsetResponse(encodeEpochOffsetResponse(err)), err);
  }
});

test("epoch offset request and response round trip, data key optional", (t) => {
  t.deepEqual(
    decodeEpochOffsetRequest(
      encodeEpochOffsetRequest({ replicaId: "b", epoch: 3, leaderEpoch: 4 }),
    ),
    { replicaId: "b", epoch: 3, leaderEpoch: 4 },
  );
  t.deepEqual(
    decodeEpochOffsetResponse(encodeEpochOffsetResponse({ ok: true, epoch: -1, endOffset: 42 })),
    { ok: true, epoch: -1, endOffset: 42 },
  );
  const withKey = decodeEpochOffsetResponse(
    encodeEpochOffsetResponse({ ok: true, epoch: 2, endOffset: 5, wrappedDataKey: bytes("key") }),
  );
  t.true(withKey.ok && text(withKey.wrappedDataKey!) === "key");
});

test("partition notification round trip", (t) => {
  const n = { stream: "orders", partition: 3 };
  t.deepEqual(decodePartitionNotification(encodePartitionNotification(n)), n);
});

test("garbage, truncation, trailing bytes and the wrong message type are clear errors", (t) => {
  const response = encodeFetchResponse({
    ok: true,
    leaderEpoch: 1,
    highWatermark: 0,
    records: [{ offset: 0, timestamp: 1n, leaderEpoch: 1, body: bytes("hello") }],
  });
  const cases: [Uint8Array, RegExp][] = [
    [bytes("not an envelope at all"), /fetch response: not a valid envelope/],
    [response.subarray(0, response.length - 2), /records\[0\]\.body needs 5 bytes/],
    [Uint8Array.from([...response, 0]), /1 unexpected bytes after the last field/],
    [
      encodeFetchRequest({ replicaId: "a", fetchOffset: 0, leaderEpoch: 0 }),
      /message type is 2, expected 3/,
    ],
    [encodeEnvelope(MsgType.ReplicationResponse, Uint8Array.of(9), false), /status is 9/],
  ];
  for (const [data, message] of cases) {
    const err = t.throws(() => decodeFetchResponse(data), { instanceOf: ReplicationProtocolError });
    t.regex(err?.message ?? "", message);
  }
  // A record count no payload could hold is refused before anything is allocated for it.
  const huge = Buffer.from(
    encodeFetchResponse({ ok: true, leaderEpoch: 1, highWatermark: 0, records: [] }),
  );
  huge.writeUInt32BE(0xffffffff, huge.length - 4);
  t.throws(() => decodeFetchResponse(huge), { message: /record count 4294967295 needs/ });
});

test("encoding refuses values the layout cannot carry", (t) => {
  t.throws(() => encodeFetchRequest({ replicaId: "a", fetchOffset: 1.5, leaderEpoch: 0 }), {
    message: /fetchOffset is 1.5, expected a safe integer/,
  });
  t.throws(
    () => encodeFetchRequest({ replicaId: "x".repeat(70_000), fetchOffset: 0, leaderEpoch: 0 }),
    {
      message: /replicaId is 70000 bytes/,
    },
  );
});
