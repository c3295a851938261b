import { credentials, status } from "@grpc/grpc-js";
import test, { type ExecutionContext } from "ava";
import {
  AdminClient,
  type CompactResponse,
  type DescribeStreamsResponse,
} from "../../src/wire/admin.js";
import { StartPosition } from "../../src/wire/api.js";
import { startBroker } from "../helpers/broker.js";
import { startNats } from "../helpers/nats.js";
import { call, rawClient } from "../helpers/rpc.js";
import { collect } from "../helpers/subscribe.js";
import { waitFor } from "../helpers/wait.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

function admin(t: ExecutionContext, address: string) {
  const client = new AdminClient(address, credentials.createInsecure());
  t.teardown(() => client.close());
  const unary =
    <Req, Res>(method: "compact" | "createStream" | "describeStreams") =>
    (req: Req) =>
      new Promise<Res>((resolve, reject) =>
        (client[method] as (r: Req, o: object, cb: (e: Error | null, r?: Res) => void) => void)(
          req,
          { deadline: Date.now() + 10_000 },
          (err, res) => (err ? reject(err) : resolve(res!)),
        ),
      );
  return {
    compact: unary<object, CompactResponse>("compact"),
    createStream: unary<object, object>("createStream"),
    describeStreams: unary<object, DescribeStreamsResponse>("describeStreams"),
  };
}

test("retention deletes whole old segments; a reader at a removed offset continues at the new earliest", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url, {
    flags: { "streams.segment.max.bytes": 1024, "streams.cleaner.interval": "100ms" },
  });
  const client = rawClient(t, address);
  await call(client, "createStream", {
    name: "bounded",
    subject: "bounded",
    retentionMaxMessages: 20,
  });
  for (let i = 0; i < 100; i++) {
    await call(client, "publish", { stream: "bounded", value: bytes(`m${i}`.padEnd(60, ".")) });
  }
  let first = 0;
  await waitFor(
    async () => {
      const r = await collect(
        client,
        { stream: "bounded", startPosition: StartPosition.OFFSET, startOffset: 0 },
        1,
      );
      first = r.messages[0]!.offset;
      // A cleaner pass over the final log leaves at most 20 (as upstream: a segment that would
      // take the newest ones over the limit goes, so fewer may remain).
      return first > 0 && 100 - first <= 20;
    },
    { timeoutMs: 10_000, message: "retention brought the log within 20 messages" },
  );
  // Whole segments only: everything from the new oldest offset up to 99 is still there.
  const rest = await collect(
    client,
    { stream: "bounded", startPosition: StartPosition.OFFSET, startOffset: 0 },
    100 - first,
  );
  t.deepEqual(
    rest.messages.map((m) => m.offset),
    Array.from({ length: 100 - first }, (_, i) => first + i),
  );
});

test("lb.admin Compact keeps the newest record per key and every keyless record, offsets intact", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url, {
    flags: { "streams.segment.max.bytes": 1024 },
  });
  const client = rawClient(t, address);
  const lbAdmin = admin(t, address);
  await call(client, "createStream", { name: "table", subject: "table" });
  for (let round = 0; round < 10; round++) {
    for (const key of ["a", "b", "c"]) {
      await call(client, "publish", {
        stream: "table",
        key: bytes(key),
        value: bytes(`${key}${round}`.padEnd(50, ".")),
      });
    }
    await call(client, "publish", {
      stream: "table",
      value: bytes(`nokey${round}`.padEnd(50, ".")),
    });
  }
  const result = await lbAdmin.compact({ stream: "table" });
  t.is(result.partitions.length, 1);
  const p = result.partitions[0]!;
  t.true(p.recordsAfter < p.recordsBefore, JSON.stringify(p));
  t.true(p.bytesAfter < p.bytesBefore);

  const { messages } = await collect(client, {
    stream: "table",
    startPosition: StartPosition.EARLIEST,
    stopPosition: 2,
  });
  const offsets = messages.map((m) => m.offset);
  t.deepEqual(
    [...offsets].sort((x, y) => x - y),
    offsets,
    "offsets stay in order",
  );
  t.is(offsets.at(-1), 39, "the newest offset is unchanged");
  const values = messages.map((m) => text(m.value).replace(/\.+$/, ""));
  for (let round = 0; round < 10; round++)
    t.true(values.includes(`nokey${round}`), `keyless ${round} kept`);
  for (const key of ["a", "b", "c"]) t.true(values.includes(`${key}9`), `newest ${key} kept`);
  t.false(values.includes("a0"), "an old value of a key is gone");

  const missing = await lbAdmin.compact({ stream: "nope" }).catch((e) => e);
  t.is(missing.code, status.NOT_FOUND);
});

test("a stream's own sync policy is stored, reported and validated", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url);
  const lbAdmin = admin(t, address);
  await lbAdmin.createStream({ request: { name: "fast", subject: "fast" }, syncPolicy: "none" });
  await lbAdmin.createStream({
    request: { name: "paced", subject: "paced" },
    syncPolicy: "interval",
  });
  const bad = await lbAdmin
    .createStream({ request: { name: "x", subject: "x" }, syncPolicy: "sometimes" })
    .catch((e) => e);
  t.is(bad.code, status.INVALID_ARGUMENT);
  const described = await lbAdmin.describeStreams({});
  t.deepEqual(
    described.streams.map((s) => [s.config.name, s.syncPolicy]),
    [
      ["fast", "none"],
      ["paced", "interval"],
    ],
  );
  const client = rawClient(t, address);
  const ack = await call<unknown, { ack?: { offset: number } }>(client, "publish", {
    stream: "paced",
    value: bytes("x"),
  });
  t.is(ack.ack?.offset, 0);
});
