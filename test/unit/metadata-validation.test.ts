import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import test from "ava";
import fc from "fast-check";
import { ApiError } from "../../src/server/api/status.js";
import { checkedStream } from "../../src/server/api/streams.js";
import { loadConfig } from "../../src/server/config/index.js";
import { commandProblem, decodeCommand } from "../../src/server/metadata/command-check.js";
import { MetadataState } from "../../src/server/metadata/state.js";
import type { MetadataCommand } from "../../src/server/metadata/types.js";
import type { CreateStreamRequest } from "../../src/wire/api.js";
import { makeTempDir } from "../helpers/tmp.js";

const BROKERS = ["b1", "b2", "b3"];

function freshState(): { state: MetadataState; logged: string[] } {
  const logged: string[] = [];
  const state = new MetadataState({ error: (message) => logged.push(message) });
  for (const id of BROKERS) {
    state.apply({ op: "upsertBroker", broker: { id, host: "127.0.0.1", port: 9292 } });
  }
  return { state, logged };
}

/** Text with what breaks names and protocol lines: multi-byte, spaces, dots, controls. */
const text = (maxLength: number) =>
  fc.oneof(
    fc.string({
      maxLength,
      unit: fc.constantFrom("a", "é", "😀", ".", " ", "*", ">", "\u0001", "/", "_"),
    }),
    fc.string({ minLength: 1, maxLength: 12, unit: "grapheme-ascii" }),
    // Valid names up to and past 249 bytes ("é" is 2 bytes, "😀" 4).
    fc.string({ minLength: 1, maxLength, unit: fc.constantFrom("a", "é", "😀", "_", "-") }),
    fc.constantFrom("", "s", "__cursors", "orders.*", "a.>", "x".repeat(250), "é".repeat(124)),
    fc.constantFrom("é".repeat(128), "😀".repeat(64), "😀".repeat(62)),
  );
/** Mostly absent, so that requests with every setting valid are common enough. */
const maybe = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
const anyInt = fc.oneof(
  fc.integer({ min: -5, max: 5000 }),
  fc.integer(),
  fc.constantFrom(0, 1, 1023, 1024, 999, 1000),
);

const createRequest: fc.Arbitrary<CreateStreamRequest> = fc.record({
  name: text(130),
  subject: fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom("s", "orders.*", "a.>", "é.😀") },
    { weight: 1, arbitrary: text(40) },
    { weight: 1, arbitrary: fc.constantFrom("a".repeat(1024), "a".repeat(1025)) },
  ),
  group: fc.oneof(
    { weight: 2, arbitrary: fc.constant("") },
    { weight: 1, arbitrary: text(20) },
    { weight: 1, arbitrary: fc.constantFrom("g".repeat(255), "g".repeat(256)) },
  ),
  replicationFactor: fc.integer({ min: -2, max: 4 }),
  partitions: fc.oneof(fc.integer({ min: -1, max: 4 }), fc.constantFrom(1000, 1001, 50_000)),
  retentionMaxBytes: maybe(anyInt),
  retentionMaxMessages: maybe(anyInt),
  retentionMaxAge: maybe(anyInt),
  cleanerInterval: maybe(anyInt),
  segmentMaxBytes: maybe(anyInt),
  segmentMaxAge: maybe(anyInt),
  compactMaxGoroutines: maybe(anyInt),
  compactEnabled: maybe(fc.boolean()),
  autoPauseTime: maybe(anyInt),
  autoPauseDisableIfSubscribers: maybe(fc.boolean()),
  minIsr: maybe(fc.integer({ min: -2, max: 4 })),
  optimisticConcurrencyControl: maybe(fc.boolean()),
  encryption: maybe(fc.constant(false)),
});

test("a CreateStream that passes validation always applies, and its directory can be made", async (t) => {
  const config = await loadConfig({
    flags: { "nats.servers": ["nats://127.0.0.1:4222"] },
    env: {},
  });
  const dir = await makeTempDir("lb-names-", t);
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(createRequest, async (req) => {
      const { state, logged } = freshState();
      let stream: ReturnType<typeof checkedStream>;
      try {
        stream = checkedStream({ metadata: state, config }, req, {});
      } catch (err) {
        return err instanceof ApiError && err.code === status.INVALID_ARGUMENT;
      }
      accepted++;
      const command: MetadataCommand = { op: "createStream", stream };
      // As the metadata log carries it: JSON.
      const committed = decodeCommand(Buffer.from(JSON.stringify(command)));
      if (commandProblem(committed) !== undefined) return false;
      const result = state.apply(committed);
      if (!result.ok || logged.length > 0) return false;
      if (state.getStream(req.name)?.partitions.length !== stream.partitions.length) return false;
      await mkdir(join(dir, req.name, String(stream.partitions.length - 1)), { recursive: true });
      return true;
    }),
    { numRuns: 600 },
  );
  t.true(accepted >= 5, `only ${accepted} generated requests were valid`);
});

const name = fc.constantFrom("s", "t", "__cursors", "");
const ids = fc.array(fc.oneof(fc.constantFrom(...BROKERS), fc.string({ maxLength: 3 })), {
  maxLength: 4,
});
const partitionInfo = fc.record({
  id: fc.integer({ min: -1, max: 3 }),
  leader: fc.constantFrom(...BROKERS, ""),
  replicas: ids,
  isr: ids,
  epoch: fc.integer({ min: -1, max: 3 }),
  leaderEpoch: fc.integer({ min: -1, max: 3 }),
  paused: fc.boolean(),
  readonly: fc.boolean(),
});
const stamp = fc.oneof(fc.constant("1700000000000000000"), fc.string({ maxLength: 3 }));
const partitionList = fc.array(fc.oneof(fc.integer({ min: -1, max: 4 }), fc.double()), {
  maxLength: 3,
});
const wellTyped = fc.oneof(
  fc.record({
    op: fc.constant("createStream"),
    stream: fc.record({
      name,
      subject: fc.constantFrom("s", ""),
      group: fc.constant(""),
      replicationFactor: fc.integer({ min: 0, max: 3 }),
      partitions: fc.array(partitionInfo, { maxLength: 3 }),
      settings: fc.constant({}),
      creationTimestamp: stamp,
    }),
  }),
  fc.record({ op: fc.constant("deleteStream"), name }),
  fc.record({
    op: fc.constantFrom("pauseStream", "resumeStream", "setReadonly"),
    stream: name,
    partitions: partitionList,
    resumeAll: fc.boolean(),
    readonly: fc.boolean(),
    timestamp: stamp,
  }),
  fc.record({
    op: fc.constantFrom("brokerDown", "brokerUp"),
    id: fc.constantFrom(...BROKERS, "zz"),
  }),
  fc.record({
    op: fc.constantFrom("changeLeader", "shrinkIsr", "expandIsr"),
    stream: name,
    partition: fc.integer({ min: -1, max: 3 }),
    leaderEpoch: fc.integer({ min: -1, max: 3 }),
    leader: fc.constantFrom(...BROKERS),
    replica: fc.constantFrom(...BROKERS),
  }),
  fc.record({
    op: fc.constantFrom("joinGroup", "leaveGroup"),
    group: fc.constantFrom("g", ""),
    consumer: fc.constantFrom("c1", "c2"),
    streams: fc.array(name, { maxLength: 2 }),
    coordinator: fc.constantFrom("b1", ""),
    expired: fc.boolean(),
  }),
);
/** Whatever bytes a damaged or foreign entry might decode to. */
const anyCommand = fc.oneof(
  { weight: 4, arbitrary: wellTyped },
  { weight: 1, arbitrary: fc.anything() },
  { weight: 1, arbitrary: fc.record({ op: fc.string({ maxLength: 12 }), stream: fc.anything() }) },
);

test("apply never throws, whatever is committed, and every broker ends in the same state", (t) => {
  fc.assert(
    fc.property(fc.array(anyCommand, { maxLength: 30 }), (commands) => {
      const a = freshState().state;
      const b = freshState().state;
      for (const command of commands) {
        // JSON round trip as through the log; undefined and functions become what JSON makes.
        const json = JSON.stringify(command);
        const entry = Buffer.from(json ?? "not json");
        const first = a.apply(decodeCommand(entry));
        const second = b.apply(decodeCommand(entry));
        if (JSON.stringify(first) !== JSON.stringify(second)) return false;
      }
      return Buffer.from(a.snapshot()).equals(Buffer.from(b.snapshot()));
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test("a malformed or unknown committed command is skipped and logged, never applied", (t) => {
  const { state, logged } = freshState();
  const bad = [
    Buffer.from("{not json"),
    Buffer.from(JSON.stringify({ op: "renameStream", name: "s" })),
    Buffer.from(JSON.stringify({ op: "createStream", stream: { name: "s", partitions: [] } })),
    Buffer.from(JSON.stringify({ op: "pauseStream", stream: "s", partitions: [1.5] })),
  ];
  for (const entry of bad)
    t.deepEqual(state.apply(decodeCommand(entry)), { ok: false, reason: "invalid" });
  // Not from JSON at all (an in-process caller): still no throw.
  const cyclic: Record<string, unknown> = { op: "createStream", n: 1n };
  cyclic.self = cyclic;
  t.deepEqual(state.apply(cyclic as unknown as MetadataCommand), { ok: false, reason: "invalid" });
  t.is(logged.length, bad.length + 1);
  t.deepEqual(state.listStreams(), []);
});
