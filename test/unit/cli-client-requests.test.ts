import test from "ava";
import { ackPartition, LbError, Metadata } from "../../src/client/index.js";
import {
  buildCreateStreamRequest,
  buildPublishRequest,
  buildSubscribeRequest,
  resumeSubscribeRequest,
} from "../../src/client/requests.js";
import { backoffDelayMs } from "../../src/client/retry.js";
import {
  type Ack,
  AckError,
  AckPolicy,
  StartPosition,
  StopPosition,
  StreamMetadataError,
} from "../../src/wire/api.js";

test("create-stream options map onto the request; unset settings stay unset", (t) => {
  const request = buildCreateStreamRequest("orders.*", "orders", {
    partitions: 3,
    replicationFactor: -1,
    retentionMaxAgeMs: 86_400_000,
    compactEnabled: false,
  });
  t.like(request, {
    subject: "orders.*",
    name: "orders",
    partitions: 3,
    replicationFactor: -1,
    retentionMaxAge: 86_400_000,
    compactEnabled: false,
  });
  t.is(request.retentionMaxBytes, undefined);
  t.is(request.encryption, undefined);
  t.like(buildCreateStreamRequest("s", "n", {}), {
    partitions: 1,
    replicationFactor: 1,
    group: "",
  });
});

test("bad create-stream options name the field, the value and what was expected", (t) => {
  t.throws(() => buildCreateStreamRequest("", "n", {}), {
    instanceOf: LbError,
    message: 'subject "": expected a non-empty string',
  });
  t.throws(() => buildCreateStreamRequest("s", "n", { partitions: 0 }), {
    message: "partitions 0: expected an integer from 1 to 2147483647",
  });
  t.throws(() => buildCreateStreamRequest("s", "n", { replicationFactor: 0 }), {
    message: "replicationFactor 0: expected an integer from 1 to 2147483647",
  });
  t.throws(() => buildCreateStreamRequest("s", "n", { retentionMaxAgeMs: -5 }), {
    message: /^retentionMaxAgeMs -5: expected an integer from 0 to/,
  });
});

test("publish requests default like go-liftbridge: leader acks, expected offset -1", (t) => {
  const request = buildPublishRequest("orders", 2, "hello", { headers: { a: "b" } }, "cid-1");
  t.like(request, {
    stream: "orders",
    partition: 2,
    ackPolicy: AckPolicy.LEADER,
    expectedOffset: -1,
    correlationId: "cid-1",
  });
  t.deepEqual(request.value, new TextEncoder().encode("hello"));
  t.deepEqual(request.headers, { a: new TextEncoder().encode("b") });
  t.is(buildPublishRequest("s", 0, "v", { ackPolicy: "none" }, "c").ackPolicy, AckPolicy.NONE);
  t.throws(() => buildPublishRequest("s", 0, "v", { ackPolicy: "most" as never }, "c"), {
    message: 'ackPolicy "most": expected leader, all or none',
  });
});

test("subscribe positions map onto start and stop fields", (t) => {
  t.like(buildSubscribeRequest("s", {}), {
    partition: 0,
    startPosition: StartPosition.NEW_ONLY,
    stopPosition: StopPosition.STOP_ON_CANCEL,
  });
  t.like(
    buildSubscribeRequest("s", {
      partition: 2,
      start: { kind: "offset", offset: 42 },
      stop: { kind: "latest" },
    }),
    {
      partition: 2,
      startPosition: StartPosition.OFFSET,
      startOffset: 42,
      stopPosition: StopPosition.STOP_LATEST,
    },
  );
  t.like(
    buildSubscribeRequest("s", {
      start: { kind: "timestamp", timestamp: 5n },
      stop: { kind: "timestamp", timestamp: 9n },
    }),
    {
      startPosition: StartPosition.TIMESTAMP,
      startTimestamp: 5n,
      stopPosition: StopPosition.STOP_TIMESTAMP,
      stopTimestamp: 9n,
    },
  );
  t.like(
    buildSubscribeRequest("s", {
      start: { kind: "earliest" },
      stop: { kind: "offset", offset: 7 },
    }),
    {
      startPosition: StartPosition.EARLIEST,
      stopPosition: StopPosition.STOP_OFFSET,
      stopOffset: 7,
    },
  );
  t.throws(() => buildSubscribeRequest("s", { partition: -1 }), {
    message: "partition -1: expected an integer from 0 to 2147483647",
  });
});

test("a resubscription starts right after the last delivered offset and keeps the stop", (t) => {
  const original = buildSubscribeRequest("s", {
    start: { kind: "earliest" },
    stop: { kind: "offset", offset: 99 },
    resume: true,
  });
  t.like(resumeSubscribeRequest(original, 43), {
    startPosition: StartPosition.OFFSET,
    startOffset: 43,
    stopPosition: StopPosition.STOP_OFFSET,
    stopOffset: 99,
    resume: false,
  });
});

test("an ack's partition comes from its message subject", (t) => {
  const ack = (partitionSubject: string, msgSubject: string): Ack => ({
    stream: "s",
    partitionSubject,
    msgSubject,
    offset: 0,
    ackInbox: "",
    correlationId: "",
    ackPolicy: AckPolicy.LEADER,
    receptionTimestamp: 0n,
    commitTimestamp: 0n,
    ackError: AckError.OK,
  });
  t.is(ackPartition(ack("orders", "orders")), 0);
  t.is(ackPartition(ack("orders", "orders.2")), 2);
  t.is(ackPartition(ack("orders.v1", "orders.v1.11")), 11);
  t.is(ackPartition(ack("orders.*", "orders.eu")), 0);
  t.is(ackPartition(ack("orders.*", "orders.eu.3")), 3);
});

test("metadata answers for some streams update only those streams in the cache", (t) => {
  const partition = (id: number) => ({
    id,
    leader: "b1",
    replicas: ["b1"],
    isr: ["b1"],
    highWatermark: -1,
    newestOffset: -1,
    paused: false,
    readonly: false,
  });
  const response = (streams: [string, number][]) =>
    Metadata.fromResponse({
      brokers: [{ id: "b1", host: "127.0.0.1", port: 9292, partitionCount: 1, leaderCount: 1 }],
      streamMetadata: streams.map(([name, count]) => ({
        name,
        subject: name,
        error: count < 0 ? StreamMetadataError.UNKNOWN_STREAM : StreamMetadataError.OK,
        partitions: Object.fromEntries(
          Array.from({ length: Math.max(count, 0) }, (_, i) => [i, partition(i)]),
        ),
        creationTimestamp: 1n,
      })),
      groupMetadata: [],
    });
  const all = response([
    ["a", 1],
    ["b", 2],
  ]);
  t.deepEqual(all.addresses(), ["127.0.0.1:9292"]);
  t.is(all.partitionCount("b"), 2);
  const updated = all.updatedWith(response([["b", 3]]), ["b"]);
  t.deepEqual(
    updated.streams.map((s) => [s.name, s.partitions.length]),
    [
      ["a", 1],
      ["b", 3],
    ],
  );
  const deleted = all.updatedWith(response([["b", -1]]), ["b"]);
  t.deepEqual(
    deleted.streams.map((s) => s.name),
    ["a"],
  );
  t.deepEqual(deleted.unknownStreams, ["b"]);
  t.is(deleted.partitionCount("b"), 0);
});

test("retry backoff grows exponentially with jitter and a cap", (t) => {
  const budget = { retries: 5, initialDelayMs: 20, maxDelayMs: 100 };
  t.is(
    backoffDelayMs(0, budget, () => 0.5),
    20,
  );
  t.is(
    backoffDelayMs(2, budget, () => 0.5),
    80,
  );
  t.is(
    backoffDelayMs(5, budget, () => 0.5),
    100,
  );
  t.is(
    backoffDelayMs(1, budget, () => 0),
    20,
  );
  t.is(
    backoffDelayMs(1, budget, () => 0.999),
    60,
  );
});
