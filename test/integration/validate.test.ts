import { existsSync, readdirSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import test from "ava";
import type {
  CreateStreamRequest,
  FetchMetadataResponse,
  PublishResponse,
} from "../../src/wire/api.js";
import { startBroker } from "../helpers/broker.js";
import { runLb } from "../helpers/cli.js";
import { clusterStatusOf } from "../helpers/cluster.js";
import { FaultFs } from "../helpers/fault-fs.js";
import { startNats } from "../helpers/nats.js";
import { call, failure, rawClient } from "../helpers/rpc.js";

const bytes = (s: string) => Buffer.from(s);

test("CreateStream refuses what a broker could not serve, naming field, value and limit, leaving nothing behind", async (t) => {
  const nats = await startNats(t);
  const { address, dataDir } = await startBroker(t, nats.url);
  const client = rawClient(t, address);
  const refusal = async (req: Partial<CreateStreamRequest>) => {
    const err = await failure(call(client, "createStream", { subject: "s", ...req }));
    t.is(err.code, status.INVALID_ARGUMENT, `${JSON.stringify(req).slice(0, 80)}: ${err.details}`);
    return err.details;
  };
  // 125 "é" are 250 UTF-8 bytes: within 249 characters, but no directory can be named so.
  t.regex(
    await refusal({ name: "é".repeat(125) }),
    /^Invalid name "é+"\.\.\. \(250 bytes\): expected at most 249 UTF-8 bytes/,
  );
  t.regex(await refusal({ name: "bell\u0007" }), /^Invalid name "bell\\u0007": .*control/);
  t.regex(
    await refusal({ name: "big", subject: "a".repeat(4100) }),
    /^Invalid subject "a+"\.\.\. \(4100 bytes\): expected at most 1024 UTF-8 bytes$/,
  );
  t.regex(
    await refusal({ name: "g", group: "two words" }),
    /^Invalid group "two words": expected at most 255 UTF-8 bytes without whitespace/,
  );
  t.regex(
    await refusal({ name: "g", group: "g".repeat(256) }),
    /^Invalid group .*\(256 bytes\): expected at most 255/,
  );
  t.is(
    await refusal({ name: "p", partitions: 50_000 }),
    "Invalid partitions 50000: expected 0 (meaning 1) to 1000 (streams.max.partitions)",
  );
  t.is(
    await refusal({ name: "rf", replicationFactor: -2 }),
    "Invalid replicationFactor -2: expected -1 (all brokers), 0 (meaning 1) or 1 to the cluster size 1",
  );
  t.is(
    await refusal({ name: "seg", segmentMaxBytes: 1 }),
    "Invalid segmentMaxBytes 1: expected 0 or from 1024 to 2147483647",
  );
  t.is(
    await refusal({ name: "age", segmentMaxAge: 1 }),
    "Invalid segmentMaxAge 1: expected 0 or 1000 ms or more",
  );
  t.is(
    await refusal({ name: "ret", retentionMaxAge: -1 }),
    "Invalid retentionMaxAge -1: expected 0 or 1000 ms or more",
  );
  t.is(
    await refusal({ name: "ret", retentionMaxBytes: -1 }),
    "Invalid retentionMaxBytes -1: expected 0 or more",
  );
  t.is(await refusal({ name: "isr", minIsr: -1 }), "Invalid minIsr -1: expected from 1 to 1");
  t.is(
    await refusal({ name: "isr", minIsr: 2 }),
    "Invalid minIsr 2: it cannot exceed the replicationFactor 1",
  );
  t.is(
    await refusal({ name: "clean", cleanerInterval: 0 }),
    "Invalid cleanerInterval 0: expected 1 ms or more",
  );
  t.is(
    await refusal({ name: "gor", compactMaxGoroutines: 0 }),
    "Invalid compactMaxGoroutines 0: expected 1 or more",
  );

  const md = await call<unknown, FetchMetadataResponse>(client, "fetchMetadata", {});
  t.deepEqual(md.streamMetadata, [], "no refused stream is in the metadata");
  const streamsDir = join(dataDir, "streams");
  t.deepEqual(existsSync(streamsDir) ? readdirSync(streamsDir) : [], [], "nor on disk");

  // The limits themselves are accepted: 124 "é" are 248 bytes.
  const longest = "é".repeat(124);
  await call(client, "createStream", {
    name: longest,
    subject: "b".repeat(1024),
    group: "q".repeat(255),
    segmentMaxBytes: 1024,
    segmentMaxAge: 1000,
    minIsr: 1,
  });
  t.true(existsSync(join(streamsDir, longest, "0")));
});

test("the other metadata requests refuse bad fields before proposing them", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url);
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "s", subject: "s", partitions: 2 });
  const refused = async (method: Parameters<typeof call>[1], req: object) => {
    const err = await failure(call(client, method, req));
    t.is(err.code, status.INVALID_ARGUMENT, `${method}: ${err.details}`);
    return err.details;
  };
  t.is(
    await refused("pauseStream", { name: "s", partitions: [-1] }),
    "Invalid partitions -1: expected partition numbers of 0 or more",
  );
  t.regex(
    await refused("setStreamReadonly", { name: "a.b", readonly: true }),
    /^Invalid name "a\.b": expected at most 249 UTF-8 bytes/,
  );
  t.regex(
    await refused("deleteStream", { name: "x".repeat(300) }),
    /^Invalid name "x+"\.\.\. \(300 bytes\)/,
  );
  t.regex(
    await refused("joinConsumerGroup", {
      groupId: "g".repeat(1025),
      consumerId: "c",
      streams: ["s"],
    }),
    /^Invalid groupId "g+"\.\.\. \(1025 bytes\): expected at most 1024 UTF-8 bytes$/,
  );
  t.regex(
    await refused("joinConsumerGroup", { groupId: "g", consumerId: "c", streams: ["a b"] }),
    /^Invalid streams entry "a b"/,
  );
  t.regex(
    await refused("setCursor", { stream: "s", cursorId: "c".repeat(1025), offset: 1 }),
    /^Invalid cursorId "c+"\.\.\. \(1025 bytes\): expected at most 1024 UTF-8 bytes$/,
  );
  t.regex(
    await refused("fetchCursor", { stream: "s*", cursorId: "c" }),
    /^Invalid stream "s\*": expected at most 249 UTF-8 bytes/,
  );
  t.is(
    await refused("publish", { stream: "s", value: bytes("x"), ackPolicy: 7 }),
    "Invalid ackPolicy 7: expected LEADER (0), ALL (1) or NONE (2)",
  );
  t.is(
    await refused("publishToSubject", { subject: "s", value: bytes("x"), ackPolicy: 9 }),
    "Invalid ackPolicy 9: expected LEADER (0), ALL (1) or NONE (2)",
  );
  const md = await call<unknown, FetchMetadataResponse>(client, "fetchMetadata", {
    groups: ["g"],
  });
  t.false(md.streamMetadata[0]!.partitions[0]!.paused);
  t.is(md.groupMetadata[0]!.coordinator, "", "no group was created");
});

test("a partition that cannot be opened does not stop the broker: the rest serves and describe shows it", async (t) => {
  const nats = await startNats(t);
  const first = await startBroker(t, nats.url);
  let client = rawClient(t, first.address);
  await call(client, "createStream", { name: "good", subject: "good" });
  await call(client, "createStream", { name: "bad", subject: "bad", partitions: 2 });
  await first.stop();
  // A regular file where partition 1's directory belongs: its log cannot be opened.
  const blocked = join(first.dataDir, "streams", "bad", "1");
  await rm(blocked, { recursive: true });
  await writeFile(blocked, "not a directory");

  const second = await first.restart();
  client = rawClient(t, second.address);
  const published = await call<unknown, PublishResponse>(client, "publish", {
    stream: "good",
    value: bytes("still served"),
    ackPolicy: 0,
  });
  t.is(published.ack?.offset, 0);
  const sibling = await call<unknown, PublishResponse>(client, "publish", {
    stream: "bad",
    partition: 0,
    value: bytes("partition 0 opened"),
    ackPolicy: 0,
  });
  t.is(sibling.ack?.offset, 0);

  const cluster = await clusterStatusOf(t, second.address);
  const failures = cluster.brokers.find((b) => b.id === second.broker.serverId)!.localFailures;
  t.deepEqual(
    failures.map((f) => [f.stream, f.partition]),
    [["bad", 1]],
  );
  t.regex(failures[0]!.error, /ENOTDIR|EEXIST|not a directory/i);
  const described = await runLb(["describe"], { env: { LB_ADDRESS: second.address } });
  t.is(described.code, 0, described.stderr);
  t.regex(described.stdout, /^BROKER[ \t]+STREAM[ \t]+PARTITION[ \t]+COULD NOT OPEN$/m);
  t.regex(
    described.stdout,
    new RegExp(`^${second.broker.serverId}[ \\t]+bad[ \\t]+1[ \\t]+\\S`, "m"),
  );

  // Fixed on disk, the partition opens at the next start.
  await second.stop();
  await rm(blocked);
  const third = await second.restart();
  const after = await clusterStatusOf(t, third.address);
  t.deepEqual(
    after.brokers.flatMap((b) => b.localFailures),
    [],
  );
});

test("a stream created while this broker cannot open files is committed, reported, and opens at the next start", async (t) => {
  const nats = await startNats(t);
  const fs = new FaultFs();
  const first = await startBroker(t, nats.url, { logFileSystem: fs });
  let client = rawClient(t, first.address);
  await call(client, "createStream", { name: "before", subject: "before" });
  fs.failWith.open = "EMFILE";
  await call(client, "createStream", { name: "starved", subject: "starved" });
  const cluster = await clusterStatusOf(t, first.address);
  t.deepEqual(
    cluster.brokers[0]!.localFailures.map((f) => [f.stream, f.partition, f.error.slice(0, 6)]),
    [["starved", 0, "EMFILE"]],
  );
  const before = await call<unknown, PublishResponse>(client, "publish", {
    stream: "before",
    value: bytes("open before the failures"),
    ackPolicy: 0,
  });
  t.is(before.ack?.offset, 0);

  fs.failWith = {};
  const second = await first.restart();
  client = rawClient(t, second.address);
  t.deepEqual((await clusterStatusOf(t, second.address)).brokers[0]!.localFailures, []);
  const starved = await call<unknown, PublishResponse>(client, "publish", {
    stream: "starved",
    value: bytes("opened at the restart"),
    ackPolicy: 0,
  });
  t.is(starved.ack?.offset, 0);
});
