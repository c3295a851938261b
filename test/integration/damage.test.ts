import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import test from "ava";
import { type Ack, AckPolicy, StartPosition } from "../../src/wire/api.js";
import type { ApiClient } from "../../src/wire/service.js";
import { startBroker } from "../helpers/broker.js";
import { runLb } from "../helpers/cli.js";
import { startNats } from "../helpers/nats.js";
import { call, rawClient } from "../helpers/rpc.js";
import { collect } from "../helpers/subscribe.js";
import { waitFor } from "../helpers/wait.js";

test("a damaged record is never sent: the subscription ends with DATA_LOSS naming it", async (t) => {
  const nats = await startNats(t);
  const flags = { "streams.segment.max.bytes": 2048 };
  const first = await startBroker(t, nats.url, { flags });
  let client = rawClient(t, first.address);
  await call(client, "createStream", { name: "fragile", subject: "fragile" });
  for (let i = 0; i < 60; i++) {
    await call(client, "publish", {
      stream: "fragile",
      value: new TextEncoder().encode(`value-${i}`.padEnd(100, "x")),
    });
  }
  await first.stop();

  // Flip one byte inside the value of the 4th record of the first (sealed) segment.
  const dir = join(first.dataDir, "streams", "fragile", "0");
  const segments = (await readdir(dir)).filter((f) => f.endsWith(".log")).sort();
  t.true(segments.length > 2, "the log rolled into several segments");
  const path = join(dir, segments[0]!);
  const bytes = await readFile(path);
  const target = bytes.indexOf(Buffer.from("value-3x"));
  t.true(target > 0);
  bytes[target + 7] ^= 0x01;
  await writeFile(path, bytes);

  const second = await startBroker(t, nats.url, { dataDir: first.dataDir, flags });
  client = rawClient(t, second.address);
  const r = await collect(client, { stream: "fragile", startPosition: StartPosition.EARLIEST });
  t.deepEqual(
    r.messages.map((m) => m.offset),
    [0, 1, 2],
  );
  t.is(r.code, status.DATA_LOSS);
  t.regex(r.details ?? "", /stream fragile partition 0 at offset 3/);

  // Reading past the damage still works.
  const after = await collect(
    client,
    { stream: "fragile", startPosition: StartPosition.OFFSET, startOffset: 4 },
    56,
  );
  t.is(after.messages[0]!.offset, 4);
  t.is(after.messages.length, 56);
});

const value = (i: number) => new TextEncoder().encode(`value-${i}`.padEnd(100, "x"));

async function publishAll(client: ApiClient, stream: string, from: number, to: number) {
  const offsets: number[] = [];
  for (let i = from; i < to; i++) {
    const res = await call(client, "publish", {
      stream,
      value: value(i),
      ackPolicy: AckPolicy.LEADER,
    });
    offsets.push((res as { ack: Ack }).ack.offset);
  }
  return offsets;
}

test("a flipped byte mid-way through the active segment is damage, not a torn tail: nothing after it is lost, its offset is never reused", async (t) => {
  const nats = await startNats(t);
  const first = await startBroker(t, nats.url);
  let client = rawClient(t, first.address);
  await call(client, "createStream", { name: "mid", subject: "mid" });
  t.deepEqual(
    await publishAll(client, "mid", 0, 200),
    Array.from({ length: 200 }, (_, i) => i),
  );
  await first.stop();

  const dir = join(first.dataDir, "streams", "mid", "0");
  const [active] = (await readdir(dir)).filter((f) => f.endsWith(".log"));
  const path = join(dir, active!);
  const bytes = await readFile(path);
  bytes[bytes.indexOf(Buffer.from("value-50x")) + 8] ^= 0x01;
  await writeFile(path, bytes);
  // As after a crash: no recovery point past the damage, so start-up scans it.
  await rm(join(dir, "recovery-point.checkpoint"));

  const second = await startBroker(t, nats.url, { dataDir: first.dataDir });
  client = rawClient(t, second.address);
  const r = await collect(client, { stream: "mid", startPosition: StartPosition.EARLIEST });
  t.deepEqual(
    r.messages.map((m) => m.offset),
    Array.from({ length: 50 }, (_, i) => i),
  );
  t.is(r.code, status.DATA_LOSS);
  t.regex(r.details ?? "", /stream mid partition 0 at offset 50/);
  const after = await collect(
    client,
    { stream: "mid", startPosition: StartPosition.OFFSET, startOffset: 51 },
    149,
  );
  t.deepEqual(
    after.messages.map((m) => m.offset),
    Array.from({ length: 149 }, (_, i) => 51 + i),
    "every acknowledged record after the damage is still served",
  );
  t.deepEqual(await publishAll(client, "mid", 200, 201), [200], "offset 50 is not reused");
  await second.stop();

  const verify = await runLb(["log", "verify", dir]);
  t.is(verify.code, 1, verify.stdout);
  t.regex(verify.stdout, /damaged: mid\/0 segment .* offset 50 /);
  t.regex(verify.stdout, /recorded damage: mid\/0 .* offsets 50-50/);
});

test("a garbled sealed index is rebuilt and a subscription from the earliest offset reads everything", async (t) => {
  const nats = await startNats(t);
  const flags = { "streams.segment.max.bytes": 2048 };
  const first = await startBroker(t, nats.url, { flags });
  let client = rawClient(t, first.address);
  await call(client, "createStream", { name: "idx", subject: "idx" });
  await publishAll(client, "idx", 0, 60);
  await first.stop();

  const dir = join(first.dataDir, "streams", "idx", "0");
  const index = join(dir, (await readdir(dir)).filter((f) => f.endsWith(".index")).sort()[0]!);
  const entries = await readFile(index);
  // A middle entry points far past the segment; the first and last stay plausible.
  entries.writeUInt32BE(0x7fffffff, 8 * 3 + 4);
  await writeFile(index, entries);

  const second = await startBroker(t, nats.url, { dataDir: first.dataDir, flags });
  client = rawClient(t, second.address);
  const r = await collect(client, { stream: "idx", startPosition: StartPosition.EARLIEST }, 60);
  t.deepEqual(
    r.messages.map((m) => m.offset),
    Array.from({ length: 60 }, (_, i) => i),
  );
  await waitFor(async () => !(await readFile(index)).equals(entries), {
    message: "the index file to be rewritten",
  });
});

test("a lost middle segment and a lost active segment are reported, never skipped or reused", async (t) => {
  const nats = await startNats(t);
  const flags = { "streams.segment.max.bytes": 2048 };
  const first = await startBroker(t, nats.url, { flags });
  let client = rawClient(t, first.address);
  await call(client, "createStream", { name: "gone", subject: "gone" });
  await publishAll(client, "gone", 0, 60);
  await first.stop();

  const dir = join(first.dataDir, "streams", "gone", "0");
  const logs = (await readdir(dir)).filter((f) => f.endsWith(".log")).sort();
  t.true(logs.length > 3);
  const middle = Number(logs[1]!.slice(0, 20));
  const next = Number(logs[2]!.slice(0, 20));
  await rm(join(dir, logs[1]!));
  await rm(join(dir, logs.at(-1)!));

  const second = await startBroker(t, nats.url, { dataDir: first.dataDir, flags });
  client = rawClient(t, second.address);
  const r = await collect(client, { stream: "gone", startPosition: StartPosition.EARLIEST });
  t.deepEqual(
    r.messages.map((m) => m.offset),
    Array.from({ length: middle }, (_, i) => i),
  );
  t.is(r.code, status.DATA_LOSS);
  t.regex(r.details ?? "", new RegExp(`at offset ${middle}\\b.*missing`));
  const later = await collect(
    client,
    { stream: "gone", startPosition: StartPosition.OFFSET, startOffset: next },
    1,
  );
  t.is(later.messages[0]?.offset, next, "records after the lost segment are served");
  t.deepEqual(
    await publishAll(client, "gone", 60, 61),
    [60],
    "offsets of the lost active segment are not reused",
  );
  await second.stop();

  const verify = await runLb(["log", "verify", dir]);
  t.is(verify.code, 1, verify.stdout);
  t.regex(verify.stdout, new RegExp(`missing: gone/0 .*${logs[1]} offsets ${middle}-${next - 1}`));
});

test("a lost partition directory is reported from the extent kept beside it: its offsets are not restarted at 0", async (t) => {
  const nats = await startNats(t);
  const first = await startBroker(t, nats.url);
  let client = rawClient(t, first.address);
  await call(client, "createStream", { name: "vanished", subject: "vanished" });
  await publishAll(client, "vanished", 0, 20);
  await first.stop();

  const dir = join(first.dataDir, "streams", "vanished", "0");
  await rm(dir, { recursive: true });

  const second = await startBroker(t, nats.url, { dataDir: first.dataDir });
  client = rawClient(t, second.address);
  t.deepEqual(await publishAll(client, "vanished", 20, 21), [20], "offset 0 is not reused");
  const r = await collect(client, { stream: "vanished", startPosition: StartPosition.EARLIEST });
  t.deepEqual(r.messages, []);
  t.is(r.code, status.DATA_LOSS);
  t.regex(r.details ?? "", /at offset 0\b.*missing/);
  await second.stop();

  const verify = await runLb(["log", "verify", dir]);
  t.is(verify.code, 1, verify.stdout);
  t.regex(verify.stdout, /recorded damage: vanished\/0 .* offsets 0-19/);
});
