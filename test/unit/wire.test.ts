import path from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import test from "ava";
import protobuf from "protobufjs";
import * as api from "../../src/wire/api.js";
import {
  API_METHOD_NAMES,
  ApiClient,
  type ApiServerHandlers,
  apiServerDefinition,
  apiServiceDefinition,
} from "../../src/wire/service.js";

const bytes = (...values: number[]) => Uint8Array.from(values);
const text = (s: string) => new TextEncoder().encode(s);
const concat = (a: Uint8Array, b: Uint8Array) => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
};

const NEAR_2_62 = (1n << 62n) + 123_456_789n;

const ack: api.Ack = {
  stream: "orders",
  partitionSubject: "orders.in",
  msgSubject: "orders.in.2",
  offset: -1,
  ackInbox: "_INBOX.abc",
  correlationId: "corr-1",
  ackPolicy: api.AckPolicy.ALL,
  receptionTimestamp: NEAR_2_62,
  commitTimestamp: NEAR_2_62 + 1n,
  ackError: api.AckError.TOO_LARGE,
};

const partitionMetadata: api.PartitionMetadata = {
  id: 3,
  leader: "b1",
  replicas: ["b1", "b2", "b3"],
  isr: ["b1", "b2"],
  highWatermark: -1,
  newestOffset: 2 ** 53 - 1,
  paused: true,
  readonly: true,
  messagesReceivedTimestamps: { firstTimestamp: 1n, latestTimestamp: NEAR_2_62 },
  pauseTimestamps: { firstTimestamp: 0n, latestTimestamp: -5n },
  readonlyTimestamps: undefined,
};

/** One fully populated, non-default sample per message, with its codec. */
interface Case<T> {
  name: string;
  encode: (m: api.MessageInit<T>) => Uint8Array;
  decode: (b: Uint8Array) => T;
  sample: T;
}
const c = <T>(
  name: string,
  encode: (m: api.MessageInit<T>) => Uint8Array,
  decode: (b: Uint8Array) => T,
  sample: T,
): Case<T> => ({ name, encode, decode, sample });

// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous table of codecs
const cases: Case<any>[] = [
  c("NullableInt64", api.encodeNullableInt64, api.decodeNullableInt64, { value: -7 }),
  c("NullableInt32", api.encodeNullableInt32, api.decodeNullableInt32, { value: -8 }),
  c("NullableBool", api.encodeNullableBool, api.decodeNullableBool, { value: true }),
  c("CreateStreamRequest", api.encodeCreateStreamRequest, api.decodeCreateStreamRequest, {
    subject: "orders.in",
    name: "orders",
    group: "g",
    replicationFactor: 3,
    partitions: 4,
    retentionMaxBytes: 0,
    retentionMaxMessages: 2 ** 40,
    retentionMaxAge: -1,
    cleanerInterval: 1000,
    segmentMaxBytes: 1 << 20,
    segmentMaxAge: 60_000,
    compactMaxGoroutines: 0,
    compactEnabled: false,
    autoPauseTime: 5,
    autoPauseDisableIfSubscribers: true,
    minIsr: 2,
    optimisticConcurrencyControl: true,
    encryption: false,
  }),
  c("CreateStreamResponse", api.encodeCreateStreamResponse, api.decodeCreateStreamResponse, {}),
  c("DeleteStreamRequest", api.encodeDeleteStreamRequest, api.decodeDeleteStreamRequest, {
    name: "orders",
  }),
  c("DeleteStreamResponse", api.encodeDeleteStreamResponse, api.decodeDeleteStreamResponse, {}),
  c("PauseStreamRequest", api.encodePauseStreamRequest, api.decodePauseStreamRequest, {
    name: "orders",
    partitions: [0, 1, 300, -1],
    resumeAll: true,
  }),
  c("PauseStreamResponse", api.encodePauseStreamResponse, api.decodePauseStreamResponse, {}),
  c(
    "SetStreamReadonlyRequest",
    api.encodeSetStreamReadonlyRequest,
    api.decodeSetStreamReadonlyRequest,
    { name: "orders", partitions: [2], readonly: true },
  ),
  c(
    "SetStreamReadonlyResponse",
    api.encodeSetStreamReadonlyResponse,
    api.decodeSetStreamReadonlyResponse,
    {},
  ),
  c("Consumer", api.encodeConsumer, api.decodeConsumer, {
    groupId: "grp",
    groupEpoch: 2 ** 33,
    consumerId: "c1",
  }),
  c("SubscribeRequest", api.encodeSubscribeRequest, api.decodeSubscribeRequest, {
    stream: "orders",
    partition: 2,
    startPosition: api.StartPosition.TIMESTAMP,
    startOffset: -1,
    startTimestamp: NEAR_2_62,
    readISRReplica: true,
    resume: true,
    stopPosition: api.StopPosition.STOP_TIMESTAMP,
    stopOffset: 2 ** 50,
    stopTimestamp: -(1n << 63n),
    consumer: { groupId: "grp", groupEpoch: 1, consumerId: "c1" },
  }),
  c("FetchMetadataRequest", api.encodeFetchMetadataRequest, api.decodeFetchMetadataRequest, {
    streams: ["a", "", "ü"],
    groups: ["g1"],
  }),
  c("FetchMetadataResponse", api.encodeFetchMetadataResponse, api.decodeFetchMetadataResponse, {
    brokers: [
      { id: "b1", host: "127.0.0.1", port: 9292, partitionCount: 4, leaderCount: 2 },
      { id: "b2", host: "", port: 0, partitionCount: 0, leaderCount: 0 },
    ],
    streamMetadata: [
      {
        name: "orders",
        subject: "orders.in",
        error: api.StreamMetadataError.UNKNOWN_STREAM,
        partitions: {
          0: { ...partitionMetadata, id: 0 },
          3: partitionMetadata,
          [-2]: { ...partitionMetadata, id: -2, replicas: [] },
        },
        creationTimestamp: NEAR_2_62,
      },
    ],
    groupMetadata: [
      {
        groupId: "g",
        error: api.ConsumerGroupMetadataError.UNKNOWN_GROUP,
        coordinator: "b2",
        epoch: 9,
      },
    ],
  }),
  c(
    "FetchPartitionMetadataRequest",
    api.encodeFetchPartitionMetadataRequest,
    api.decodeFetchPartitionMetadataRequest,
    { stream: "orders", partition: 7 },
  ),
  c(
    "FetchPartitionMetadataResponse",
    api.encodeFetchPartitionMetadataResponse,
    api.decodeFetchPartitionMetadataResponse,
    { metadata: partitionMetadata },
  ),
  c("PublishRequest", api.encodePublishRequest, api.decodePublishRequest, {
    key: text("k"),
    value: bytes(0, 255, 128, 1),
    stream: "orders",
    partition: 1,
    headers: { "X-Case": bytes(0, 1, 2, 255), empty: new Uint8Array(0) },
    ackInbox: "_INBOX.x",
    correlationId: "c-9",
    ackPolicy: api.AckPolicy.NONE,
    expectedOffset: -1,
  }),
  c("PublishAsyncError", api.encodePublishAsyncError, api.decodePublishAsyncError, {
    code: api.PublishAsyncErrorCode.PERMISSION_DENIED,
    message: "no",
  }),
  c("PublishResponse", api.encodePublishResponse, api.decodePublishResponse, {
    ack,
    asyncError: { code: api.PublishAsyncErrorCode.NOT_FOUND, message: "gone" },
    correlationId: "c-9",
  }),
  c(
    "PublishToSubjectRequest",
    api.encodePublishToSubjectRequest,
    api.decodePublishToSubjectRequest,
    {
      key: bytes(1),
      value: bytes(2, 3),
      subject: "orders.in",
      headers: { h: bytes(9) },
      ackInbox: "_INBOX.y",
      correlationId: "c-10",
      ackPolicy: api.AckPolicy.ALL,
    },
  ),
  c(
    "PublishToSubjectResponse",
    api.encodePublishToSubjectResponse,
    api.decodePublishToSubjectResponse,
    { ack },
  ),
  c("SetCursorRequest", api.encodeSetCursorRequest, api.decodeSetCursorRequest, {
    stream: "orders",
    partition: 1,
    cursorId: "cur",
    offset: -1,
  }),
  c("SetCursorResponse", api.encodeSetCursorResponse, api.decodeSetCursorResponse, {}),
  c("FetchCursorRequest", api.encodeFetchCursorRequest, api.decodeFetchCursorRequest, {
    stream: "orders",
    partition: 1,
    cursorId: "cur",
  }),
  c("FetchCursorResponse", api.encodeFetchCursorResponse, api.decodeFetchCursorResponse, {
    offset: -1,
  }),
  c(
    "JoinConsumerGroupRequest",
    api.encodeJoinConsumerGroupRequest,
    api.decodeJoinConsumerGroupRequest,
    { groupId: "g", consumerId: "c", streams: ["a", "b"] },
  ),
  c(
    "JoinConsumerGroupResponse",
    api.encodeJoinConsumerGroupResponse,
    api.decodeJoinConsumerGroupResponse,
    { coordinator: "b1", epoch: 3, consumerTimeout: 15_000_000_000, coordinatorTimeout: 1 },
  ),
  c(
    "LeaveConsumerGroupRequest",
    api.encodeLeaveConsumerGroupRequest,
    api.decodeLeaveConsumerGroupRequest,
    { groupId: "g", consumerId: "c" },
  ),
  c(
    "LeaveConsumerGroupResponse",
    api.encodeLeaveConsumerGroupResponse,
    api.decodeLeaveConsumerGroupResponse,
    {},
  ),
  c(
    "FetchConsumerGroupAssignmentsRequest",
    api.encodeFetchConsumerGroupAssignmentsRequest,
    api.decodeFetchConsumerGroupAssignmentsRequest,
    { groupId: "g", consumerId: "c", epoch: 2 ** 52 },
  ),
  c("PartitionAssignment", api.encodePartitionAssignment, api.decodePartitionAssignment, {
    stream: "a",
    partitions: [0, 5],
  }),
  c(
    "FetchConsumerGroupAssignmentsResponse",
    api.encodeFetchConsumerGroupAssignmentsResponse,
    api.decodeFetchConsumerGroupAssignmentsResponse,
    {
      epoch: 4,
      assignments: [
        { stream: "a", partitions: [0, 1] },
        { stream: "b", partitions: [] },
      ],
    },
  ),
  c(
    "ReportConsumerGroupCoordinatorRequest",
    api.encodeReportConsumerGroupCoordinatorRequest,
    api.decodeReportConsumerGroupCoordinatorRequest,
    { groupId: "g", consumerId: "c", coordinator: "b3", epoch: 5 },
  ),
  c(
    "ReportConsumerGroupCoordinatorResponse",
    api.encodeReportConsumerGroupCoordinatorResponse,
    api.decodeReportConsumerGroupCoordinatorResponse,
    {},
  ),
  c("Broker", api.encodeBroker, api.decodeBroker, {
    id: "b1",
    host: "::1",
    port: 9292,
    partitionCount: 1,
    leaderCount: 1,
  }),
  c("StreamMetadata", api.encodeStreamMetadata, api.decodeStreamMetadata, {
    name: "s",
    subject: "s",
    error: api.StreamMetadataError.OK,
    partitions: { 1: partitionMetadata },
    creationTimestamp: -1n,
  }),
  c("ConsumerGroupMetadata", api.encodeConsumerGroupMetadata, api.decodeConsumerGroupMetadata, {
    groupId: "g",
    error: api.ConsumerGroupMetadataError.OK,
    coordinator: "b",
    epoch: 1,
  }),
  c(
    "PartitionEventTimestamps",
    api.encodePartitionEventTimestamps,
    api.decodePartitionEventTimestamps,
    { firstTimestamp: NEAR_2_62, latestTimestamp: (1n << 63n) - 1n },
  ),
  c(
    "PartitionMetadata",
    api.encodePartitionMetadata,
    api.decodePartitionMetadata,
    partitionMetadata,
  ),
  c("Message", api.encodeMessage, api.decodeMessage, {
    offset: -1,
    key: bytes(1, 2),
    value: bytes(0, 0, 0),
    timestamp: NEAR_2_62,
    stream: "orders",
    partition: 3,
    subject: "orders.in.3",
    replySubject: "_INBOX.r",
    headers: { Subject: bytes(255, 254), "": bytes(7) },
    ackInbox: "_INBOX.a",
    correlationId: "c",
    ackPolicy: api.AckPolicy.NONE,
  }),
  c("Ack", api.encodeAck, api.decodeAck, ack),
  c("CreateStreamOp", api.encodeCreateStreamOp, api.decodeCreateStreamOp, {
    stream: "s",
    partitions: [0, 1, 2],
  }),
  c("DeleteStreamOp", api.encodeDeleteStreamOp, api.decodeDeleteStreamOp, { stream: "s" }),
  c("PauseStreamOp", api.encodePauseStreamOp, api.decodePauseStreamOp, {
    stream: "s",
    partitions: [1],
    resumeAll: true,
  }),
  c("ResumeStreamOp", api.encodeResumeStreamOp, api.decodeResumeStreamOp, {
    stream: "s",
    partitions: [1],
  }),
  c("SetStreamReadonlyOp", api.encodeSetStreamReadonlyOp, api.decodeSetStreamReadonlyOp, {
    stream: "s",
    partitions: [1],
    readonly: true,
  }),
  c("JoinConsumerGroupOp", api.encodeJoinConsumerGroupOp, api.decodeJoinConsumerGroupOp, {
    groupId: "g",
    consumerId: "c",
    streams: ["s"],
  }),
  c("LeaveConsumerGroupOp", api.encodeLeaveConsumerGroupOp, api.decodeLeaveConsumerGroupOp, {
    groupId: "g",
    consumerId: "c",
    expired: true,
  }),
  c("ActivityStreamEvent", api.encodeActivityStreamEvent, api.decodeActivityStreamEvent, {
    id: 2 ** 40,
    op: api.ActivityStreamOp.LEAVE_CONSUMER_GROUP,
    createStreamOp: { stream: "s", partitions: [0] },
    deleteStreamOp: { stream: "s" },
    pauseStreamOp: { stream: "s", partitions: [], resumeAll: false },
    resumeStreamOp: { stream: "s", partitions: [3] },
    setStreamReadonlyOp: { stream: "s", partitions: [3], readonly: true },
    joinConsumerGroupOp: { groupId: "g", consumerId: "c", streams: [] },
    leaveConsumerGroupOp: { groupId: "g", consumerId: "c", expired: false },
  }),
];

test("every message type of api.proto has a case", async (t) => {
  const root = await loadApiProto();
  const expected = (root.lookup("proto") as protobuf.Namespace).nestedArray
    .filter((x) => x instanceof protobuf.Type)
    .map((x) => x.name)
    .sort();
  t.deepEqual(cases.map((x) => x.name).sort(), expected);
});

for (const { name, encode, decode, sample } of cases) {
  test(`${name}: round-trips every field`, (t) => {
    t.deepEqual(decode(encode(sample)), sample);
  });

  test(`${name}: empty input decodes to proto3 defaults, and defaults encode to nothing`, async (t) => {
    const type = (await loadApiProto()).lookupType(`proto.${name}`);
    const decoded = decode(new Uint8Array(0));
    t.deepEqual(Object.keys(decoded).sort(), Object.keys(sample).sort());
    for (const [field, value] of Object.entries(decoded)) {
      t.deepEqual(value, protoDefault(type, field, sample[field]), `${name}.${field}`);
    }
    t.is(encode(decoded).length, 0);
    t.is(encode({}).length, 0);
  });

  test(`${name}: unknown fields of every wire type are skipped`, (t) => {
    const unknown = bytes(
      0xf8,
      0x07,
      0x96,
      0x01, // field 127 varint 150
      0xf9,
      0x07,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8, // field 127 fixed64
      0xfa,
      0x07,
      0x02,
      0xaa,
      0xbb, // field 127 length-delimited
      0xfd,
      0x07,
      1,
      2,
      3,
      4, // field 127 fixed32
    );
    t.deepEqual(decode(concat(unknown, encode(sample))), sample);
  });
}

/**
 * What a decoder must produce for an absent field, from the field's declaration in api.proto
 * (the sample value tells bigint timestamps from number int64s).
 */
function protoDefault(type: protobuf.Type, fieldName: string, sampleValue: unknown): unknown {
  const field = type.fields[fieldName];
  if (!field) throw new Error(`${type.name} has no field ${fieldName}`);
  if (field.map) return {};
  if (field.repeated) return [];
  if (field.resolve().resolvedType instanceof protobuf.Type) return undefined;
  if (typeof sampleValue === "bigint") return 0n;
  switch (field.type) {
    case "string":
      return "";
    case "bytes":
      return new Uint8Array(0);
    case "bool":
      return false;
    default:
      return 0;
  }
}

test("nullable wrappers: absent stays undefined, zero and false are sent and kept", (t) => {
  const absent = api.decodeCreateStreamRequest(api.encodeCreateStreamRequest({ name: "s" }));
  t.is(absent.retentionMaxBytes, undefined);
  t.is(absent.compactEnabled, undefined);
  t.is(absent.minIsr, undefined);
  const zeros = api.encodeCreateStreamRequest({
    retentionMaxBytes: 0,
    compactEnabled: false,
    minIsr: 0,
  });
  // Three empty wrapper sub-messages: fields 6, 13 and 16 with length 0.
  t.deepEqual(zeros, bytes(0x32, 0x00, 0x6a, 0x00, 0x82, 0x01, 0x00));
  const decoded = api.decodeCreateStreamRequest(zeros);
  t.is(decoded.retentionMaxBytes, 0);
  t.is(decoded.compactEnabled, false);
  t.is(decoded.minIsr, 0);
});

test("int64 edge values are exact: -1 offsets, timestamps beyond 2^53", (t) => {
  const m = api.decodeMessage(api.encodeMessage({ offset: -1, timestamp: (1n << 63n) - 1n }));
  t.is(m.offset, -1);
  t.is(m.timestamp, (1n << 63n) - 1n);
  const negative = api.decodeAck(api.encodeAck({ commitTimestamp: -(1n << 63n) }));
  t.is(negative.commitTimestamp, -(1n << 63n));
});

test("repeated int32 decodes both the packed and the unpacked form", (t) => {
  const packed = api.encodePauseStreamRequest({ partitions: [1, 2, 3] });
  t.deepEqual(packed, bytes(0x12, 0x03, 1, 2, 3));
  const unpacked = bytes(0x10, 1, 0x10, 2, 0x12, 0x01, 3);
  t.deepEqual(api.decodePauseStreamRequest(unpacked).partitions, [1, 2, 3]);
});

test("headers keep exact key case and binary values, including __proto__", (t) => {
  const headers = { "Content-Type": bytes(0xff, 0x00), __proto__x: bytes(1) };
  const tricky: Record<string, Uint8Array> = { ...headers };
  Object.defineProperty(tricky, "__proto__", {
    value: bytes(2),
    enumerable: true,
    writable: true,
    configurable: true,
  });
  const decoded = api.decodeMessage(api.encodeMessage({ headers: tricky })).headers;
  t.deepEqual(Object.keys(decoded).sort(), ["Content-Type", "__proto__", "__proto__x"]);
  t.deepEqual(decoded["Content-Type"], bytes(0xff, 0x00));
  t.deepEqual(Object.getOwnPropertyDescriptor(decoded, "__proto__")?.value, bytes(2));
  t.is(Object.getPrototypeOf(decoded), Object.prototype);
});

test("a header value that is not bytes is rejected with the field name", (t) => {
  const bad = { headers: { k: "text" as unknown as Uint8Array } };
  const err = t.throws(() => api.encodeMessage(bad));
  t.regex(err.message, /Message\.headers\["k"\]: expected a Uint8Array/);
});

test("a map entry without a value decodes to the value's default", (t) => {
  // StreamMetadata.partitions entry {key: 5} with no value.
  const decoded = api.decodeStreamMetadata(bytes(0x22, 0x02, 0x08, 0x05));
  t.deepEqual(decoded.partitions[5], api.decodePartitionMetadata(new Uint8Array(0)));
  // Message.headers entry {key: "h"} with no value.
  const message = api.decodeMessage(bytes(0x4a, 0x03, 0x0a, 0x01, 0x68));
  t.deepEqual(message.headers, { h: new Uint8Array(0) });
});

test("malformed input throws an error naming the message", (t) => {
  const full = api.encodeMessage(cases.find((x) => x.name === "Message")!.sample);
  for (let n = 1; n < full.length; n++) {
    const truncated = full.subarray(0, n);
    try {
      api.decodeMessage(truncated);
    } catch (err) {
      t.regex((err as Error).message, /^malformed protobuf Message/);
    }
  }
  t.throws(() => api.decodeAck(bytes(0x0a, 0x05, 0x61)), { message: /malformed protobuf Ack/ });
  // Field 1 of Ack is a string; a varint there is a wire-type error.
  t.throws(() => api.decodeAck(bytes(0x08, 0x01)), { message: /malformed protobuf Ack/ });
});

test("a StreamMetadata partition key that is not an int32 is rejected", (t) => {
  const err = t.throws(() =>
    api.encodeStreamMetadata({
      partitions: { 1.5: partitionMetadata } as Record<number, api.PartitionMetadata>,
    }),
  );
  t.regex(err.message, /StreamMetadata\.partitions: key "1\.5"/);
});

test("encodeMessageEnvelopeFields: prefix + body decodes to the full message", (t) => {
  const body = api.encodeMessage({
    key: text("k"),
    value: text("v"),
    subject: "orders.in",
    replySubject: "r",
    headers: { subject: text("orders.in"), reply: text("r") },
    ackInbox: "_INBOX.z",
    correlationId: "c",
    ackPolicy: api.AckPolicy.ALL,
  });
  const offsets = [0, 1, 127, 128, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1, -1, -(2 ** 40)];
  const timestamps = [0n, 1n, NEAR_2_62, (1n << 63n) - 1n, -1n];
  const partitions = [0, 1, 300, 2 ** 31 - 1, -1];
  for (const offset of offsets) {
    for (const timestamp of timestamps) {
      for (const [i, partition] of partitions.entries()) {
        const stream = ["orders", "", "ströme"][i % 3];
        const prefix = api.encodeMessageEnvelopeFields(offset, timestamp, stream, partition);
        // Canonical: byte-identical to the general encoder for the same four fields.
        t.deepEqual(prefix, api.encodeMessage({ offset, timestamp, stream, partition }));
        const m = api.decodeMessage(concat(prefix, body));
        t.is(m.offset, offset);
        t.is(m.timestamp, timestamp);
        t.is(m.stream, stream);
        t.is(m.partition, partition);
        t.deepEqual(m.value, text("v"));
        t.deepEqual(m.headers.reply, text("r"));
        t.is(m.ackPolicy, api.AckPolicy.ALL);
      }
    }
  }
});

test("encodeMessageEnvelopeFields rejects offsets and partitions out of range", (t) => {
  t.throws(() => api.encodeMessageEnvelopeFields(1.5, 0n, "s", 0), { message: /Message\.offset/ });
  t.throws(() => api.encodeMessageEnvelopeFields(0, 0n, "s", 2 ** 31), {
    message: /Message\.partition/,
  });
});

// ---------------------------------------------------------------------------------------------
// Wire compatibility with an independent implementation (protobufjs, loaded in tests only)

const protoPath = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../proto/api.proto",
);
let rootPromise: Promise<protobuf.Root> | undefined;
function loadApiProto(): Promise<protobuf.Root> {
  rootPromise ??= protobuf.load(protoPath);
  return rootPromise;
}

const toObjectOptions = { longs: String, enums: Number, bytes: Array, defaults: false };

test("protobufjs decodes our encoding of Message, Ack and CreateStreamRequest", async (t) => {
  const root = await loadApiProto();
  const Message = root.lookupType("proto.Message");
  const theirs = Message.toObject(
    Message.decode(
      api.encodeMessage({
        offset: -1,
        key: bytes(1),
        value: bytes(0, 255),
        timestamp: NEAR_2_62,
        stream: "orders",
        partition: 2,
        headers: { A: bytes(9, 8) },
        ackPolicy: api.AckPolicy.NONE,
      }),
    ),
    toObjectOptions,
  );
  t.deepEqual(theirs, {
    offset: "-1",
    key: [1],
    value: [0, 255],
    timestamp: NEAR_2_62.toString(),
    stream: "orders",
    partition: 2,
    headers: { A: [9, 8] },
    ackPolicy: 2,
  });

  const Ack = root.lookupType("proto.Ack");
  const theirAck = Ack.toObject(Ack.decode(api.encodeAck(ack)), toObjectOptions);
  t.deepEqual(theirAck, {
    ...ack,
    offset: "-1",
    receptionTimestamp: ack.receptionTimestamp.toString(),
    commitTimestamp: ack.commitTimestamp.toString(),
  });

  const CreateStreamRequest = root.lookupType("proto.CreateStreamRequest");
  const theirCreate = CreateStreamRequest.toObject(
    CreateStreamRequest.decode(
      api.encodeCreateStreamRequest({ name: "s", retentionMaxBytes: 0, compactEnabled: true }),
    ),
    toObjectOptions,
  );
  t.deepEqual(theirCreate, { name: "s", retentionMaxBytes: {}, compactEnabled: { value: true } });
});

test("protobufjs decodes our FetchMetadataResponse with its int32-keyed map", async (t) => {
  const root = await loadApiProto();
  const Response = root.lookupType("proto.FetchMetadataResponse");
  const theirs = Response.toObject(
    Response.decode(
      api.encodeFetchMetadataResponse({
        brokers: [{ id: "b1", host: "127.0.0.1", port: 9292 }],
        streamMetadata: [
          {
            name: "s",
            partitions: { 0: { id: 0, leader: "b1", isr: ["b1"], highWatermark: -1 } },
          },
        ],
      }),
    ),
    toObjectOptions,
  );
  t.deepEqual(theirs, {
    brokers: [{ id: "b1", host: "127.0.0.1", port: 9292 }],
    streamMetadata: [
      { name: "s", partitions: { 0: { leader: "b1", isr: ["b1"], highWatermark: "-1" } } },
    ],
  });
});

test("we decode protobufjs encodings of Message, SubscribeRequest, PublishRequest and more", async (t) => {
  const root = await loadApiProto();
  const encodeTheirs = (type: string, value: Record<string, unknown>) => {
    const T = root.lookupType(type);
    return T.encode(T.fromObject(value)).finish();
  };

  const message = api.decodeMessage(
    encodeTheirs("proto.Message", {
      offset: "-1",
      value: [1, 2, 3],
      timestamp: NEAR_2_62.toString(),
      stream: "orders",
      partition: 4,
      headers: { "X-Y": [0, 255] },
      correlationId: "c",
    }),
  );
  t.is(message.offset, -1);
  t.deepEqual(message.value, bytes(1, 2, 3));
  t.is(message.timestamp, NEAR_2_62);
  t.is(message.partition, 4);
  t.deepEqual(message.headers, { "X-Y": bytes(0, 255) });
  t.is(message.correlationId, "c");

  const subscribe = api.decodeSubscribeRequest(
    encodeTheirs("proto.SubscribeRequest", {
      stream: "s",
      startPosition: 4,
      startTimestamp: NEAR_2_62.toString(),
      stopPosition: 1,
      stopOffset: "12",
      consumer: { groupId: "g", groupEpoch: "3", consumerId: "c" },
    }),
  );
  t.is(subscribe.startPosition, api.StartPosition.TIMESTAMP);
  t.is(subscribe.startTimestamp, NEAR_2_62);
  t.is(subscribe.stopOffset, 12);
  t.deepEqual(subscribe.consumer, { groupId: "g", groupEpoch: 3, consumerId: "c" });

  const publish = api.decodePublishRequest(
    encodeTheirs("proto.PublishRequest", {
      key: [7],
      stream: "s",
      headers: { a: [1], b: [] },
      ackPolicy: 1,
      expectedOffset: "-1",
    }),
  );
  t.deepEqual(publish.key, bytes(7));
  t.deepEqual(publish.headers, { a: bytes(1), b: new Uint8Array(0) });
  t.is(publish.ackPolicy, api.AckPolicy.ALL);
  t.is(publish.expectedOffset, -1);

  const create = api.decodeCreateStreamRequest(
    encodeTheirs("proto.CreateStreamRequest", {
      name: "s",
      partitions: 3,
      retentionMaxAge: { value: "3600000" },
      compactEnabled: {},
      minIsr: { value: 2 },
    }),
  );
  t.is(create.partitions, 3);
  t.is(create.retentionMaxAge, 3_600_000);
  t.is(create.compactEnabled, false);
  t.is(create.minIsr, 2);
  t.is(create.segmentMaxBytes, undefined);

  const pause = api.decodePauseStreamRequest(
    encodeTheirs("proto.PauseStreamRequest", { name: "s", partitions: [0, 2, 400] }),
  );
  t.deepEqual(pause.partitions, [0, 2, 400]);

  const metadata = api.decodeFetchMetadataResponse(
    encodeTheirs("proto.FetchMetadataResponse", {
      streamMetadata: [
        {
          name: "s",
          partitions: {
            1: { id: 1, newestOffset: "-1", pauseTimestamps: { firstTimestamp: "5" } },
          },
          creationTimestamp: NEAR_2_62.toString(),
        },
      ],
    }),
  );
  const stream = metadata.streamMetadata[0];
  t.is(stream.creationTimestamp, NEAR_2_62);
  t.is(stream.partitions[1].newestOffset, -1);
  t.deepEqual(stream.partitions[1].pauseTimestamps, { firstTimestamp: 5n, latestTimestamp: 0n });
  t.is(stream.partitions[1].messagesReceivedTimestamps, undefined);
});

// ---------------------------------------------------------------------------------------------
// Service definitions, exercised through a real grpc-js server and client on loopback

test("service definitions cover the 16 RPCs with the right paths and stream flags", (t) => {
  t.is(API_METHOD_NAMES.length, 16);
  const streaming = Object.fromEntries(
    API_METHOD_NAMES.map((name) => {
      const def = apiServiceDefinition[name];
      t.is(def.path, `/proto.API/${name}`);
      t.is(apiServerDefinition[name].path, def.path);
      return [name, [def.requestStream, def.responseStream]];
    }),
  );
  t.deepEqual(streaming.Subscribe, [false, true]);
  t.deepEqual(streaming.PublishAsync, [true, true]);
  t.deepEqual(streaming.Publish, [false, false]);
  t.is(
    Object.values(streaming).filter(([req, res]) => !req && !res).length,
    14,
    "all others are unary",
  );
});

test("a real grpc-js server and client talk through the definitions", async (t) => {
  const handlers: Partial<ApiServerHandlers> = {
    FetchMetadata: (call, callback) => {
      callback(null, {
        brokers: [{ id: "b1", host: "127.0.0.1", port: 1 }],
        streamMetadata: call.request.streams.map((name) => ({
          name,
          partitions: { 0: { id: 0, newestOffset: -1 } },
        })),
      });
    },
    Subscribe: (call) => {
      call.write(new Uint8Array(0));
      const body = api.encodeMessage({ value: text("hello") });
      for (let offset = 0; offset < 3; offset++) {
        const prefix = api.encodeMessageEnvelopeFields(offset, NEAR_2_62, call.request.stream, 0);
        call.write(concat(prefix, body));
      }
      call.end();
    },
    PublishAsync: (call) => {
      call.on("data", (req: api.PublishRequest) => {
        call.write({ correlationId: req.correlationId, ack: { offset: -1, stream: req.stream } });
      });
      call.on("end", () => call.end());
    },
  };
  const server = new grpc.Server();
  server.addService(apiServerDefinition, handlers as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  const client = new ApiClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  t.teardown(() => {
    client.close();
    server.forceShutdown();
  });

  const metadata = await new Promise<api.FetchMetadataResponse>((resolve, reject) =>
    client.fetchMetadata({ streams: ["a", "b"] }, (err, res) =>
      err ? reject(err) : resolve(res!),
    ),
  );
  t.deepEqual(
    metadata.streamMetadata.map((s) => [s.name, s.partitions[0].newestOffset]),
    [
      ["a", -1],
      ["b", -1],
    ],
  );

  const received: api.Message[] = [];
  for await (const m of client.subscribe({ stream: "orders" })) received.push(m as api.Message);
  t.is(received.length, 4);
  t.deepEqual(received[0], api.decodeMessage(new Uint8Array(0)), "empty handshake first");
  t.deepEqual(
    received
      .slice(1)
      .map((m) => [m.offset, m.timestamp, m.stream, new TextDecoder().decode(m.value)]),
    [
      [0, NEAR_2_62, "orders", "hello"],
      [1, NEAR_2_62, "orders", "hello"],
      [2, NEAR_2_62, "orders", "hello"],
    ],
  );

  const duplex = client.publishAsync();
  const acks: api.PublishResponse[] = [];
  const done = new Promise<void>((resolve, reject) => {
    duplex.on("data", (res: api.PublishResponse) => acks.push(res));
    duplex.on("end", resolve);
    duplex.on("error", reject);
  });
  duplex.write({ stream: "s", correlationId: "1" });
  duplex.write({ stream: "s", correlationId: "2" });
  duplex.end();
  await done;
  t.deepEqual(
    acks.map((a) => [a.correlationId, a.ack?.offset, a.ack?.stream]),
    [
      ["1", -1, "s"],
      ["2", -1, "s"],
    ],
  );
});

test("our hand-rolled Message encoding is byte-identical to protobufjs's", async (t) => {
  const root = await loadApiProto();
  const Message = root.lookupType("proto.Message");
  const samples: api.Message[] = [
    cases.find((x) => x.name === "Message")!.sample,
    {
      ...api.decodeMessage(new Uint8Array(0)),
      offset: 2 ** 53 - 1,
      timestamp: -(1n << 63n),
      partition: -1,
      value: new Uint8Array(70_000).fill(7),
      headers: { "ünïcode ключ": text("значение"), big: new Uint8Array(200).fill(1) },
      subject: "ß".repeat(100),
    },
  ];
  for (const sample of samples) {
    // protobufjs writes every field present in the object, so leave the defaults out.
    const nonDefault = Object.fromEntries(
      Object.entries({
        ...sample,
        offset: sample.offset === 0 ? undefined : String(sample.offset),
        timestamp: sample.timestamp === 0n ? undefined : sample.timestamp.toString(),
      }).filter(
        ([, v]) =>
          v !== undefined && v !== "" && v !== 0 && !(v instanceof Uint8Array && v.length === 0),
      ),
    );
    const theirs = Message.encode(Message.fromObject(nonDefault)).finish();
    t.deepEqual(api.encodeMessage(sample), Uint8Array.from(theirs));
  }
});

test("encodings stay intact while later encodings fill and replace the shared slabs", (t) => {
  const kept: Array<[number, Uint8Array, Uint8Array]> = [];
  for (let i = 0; i < 3000; i++) {
    const value = new Uint8Array((i * 37) % 5000).fill(i & 0xff);
    const body = api.encodeMessage({ value, correlationId: `c${i}`, headers: { n: text(`${i}`) } });
    const prefix = api.encodeMessageEnvelopeFields(i, BigInt(i), "s", 0);
    kept.push([i, prefix, body]);
  }
  for (const [i, prefix, body] of kept) {
    const m = api.decodeMessage(concat(prefix, body));
    t.is(m.offset, i);
    t.is(m.correlationId, `c${i}`);
    t.is(m.value.length, (i * 37) % 5000);
    t.true(m.value.every((b) => b === (i & 0xff)));
    t.deepEqual(m.headers.n, text(`${i}`));
  }
});
