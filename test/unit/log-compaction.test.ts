import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import {
  type AppendRecord,
  CommitLog,
  CorruptRecordError,
  type LogOptions,
  messageKey,
  type StoredRecord,
} from "../../src/server/log/index.js";
import { encodeMessage } from "../../src/wire/api.js";

/** Bodies are "key=value" or, without a key, "value". */
const keyOf = (body: Uint8Array): Uint8Array | undefined => {
  const text = Buffer.from(body).toString();
  const at = text.indexOf("=");
  return at < 0 ? undefined : Buffer.from(text.slice(0, at));
};
const OPTIONS: LogOptions = { segmentMaxBytes: 4 * 40, keyOf };

function record(text: string, i: number): AppendRecord {
  return { timestamp: BigInt(i) * 10n, leaderEpoch: 0, body: Buffer.from(text.padEnd(12, ".")) };
}

async function openLog(t: ExecutionContext, options = OPTIONS): Promise<CommitLog> {
  const dir = await mkdtemp(join(tmpdir(), "lb-log-compaction-"));
  const log = await CommitLog.open(dir, options);
  t.teardown(async () => {
    await log.close();
    await CommitLog.destroy(dir);
  });
  return log;
}

async function readAll(log: CommitLog): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  let from = 0;
  for (;;) {
    const records = await log.read(from, 100);
    if (records.length === 0) return out;
    out.push(...records);
    from = records.at(-1)!.offset + 1;
  }
}

function texts(records: readonly StoredRecord[]): [number, string][] {
  return records.map((r) => [r.offset, Buffer.from(r.body).toString().replace(/\.+$/, "")]);
}

const BODIES = [
  "a=1",
  "b=1",
  "x",
  "a=2",
  "c=1",
  "b=2",
  "y",
  "a=3",
  "c=2",
  "d=1",
  "z",
  "b=3",
  "a=4",
];

async function filled(t: ExecutionContext): Promise<CommitLog> {
  const log = await openLog(t);
  for (const [i, body] of BODIES.entries()) await log.append([record(body, i)]);
  return log;
}

test("compaction keeps the newest record per key and every record without a key", async (t) => {
  const log = await filled(t); // 40-byte records, 4 per segment: 0-3, 4-7, 8-11 sealed, 12 active
  t.is(log.segmentCount, 4);
  const result = await log.compact();
  // Sealed records 0..11: a=1, b=1, a=2, c=1, b=2, a=3 lose to newer ones of their keys (the
  // active segment is not looked at, so b=3 at 11 stays although a=4 is newer for a).
  t.deepEqual(texts(await readAll(log)), [
    [2, "x"],
    [6, "y"],
    [7, "a=3"],
    [8, "c=2"],
    [9, "d=1"],
    [10, "z"],
    [11, "b=3"],
    [12, "a=4"],
  ]);
  t.deepEqual(result, {
    recordsBefore: 13,
    recordsAfter: 8,
    bytesBefore: 13 * 40,
    bytesAfter: 8 * 40,
  });
  t.is(log.nextOffset, 13);
});

test("offsets are preserved, reads cope with the gaps, and compaction is idempotent", async (t) => {
  const log = await filled(t);
  await log.compact();
  t.deepEqual(texts(await log.read(0, 1)), [[2, "x"]]);
  t.deepEqual(texts(await log.read(3, 1)), [[6, "y"]]);
  t.deepEqual(texts(await log.read(7, 80)), [
    [7, "a=3"],
    [8, "c=2"],
  ]);
  t.deepEqual(texts(await log.read(0, 1000, 6)), [
    [2, "x"],
    [6, "y"],
  ]);
  t.is(await log.offsetForTimestamp(0n), 2);
  t.is(await log.offsetForTimestamp(31n), 6);
  t.is(await log.offsetForTimestamp(65n), 7);
  const again = await log.compact();
  t.is(again.recordsBefore, again.recordsAfter);
  t.deepEqual(texts(await readAll(log)).length, 8);
});

test("small compacted segments are merged and the result survives a reopen", async (t) => {
  const log = await filled(t);
  await log.compact();
  t.is(log.segmentCount, 4, "segments are grouped by their size before compaction");
  const unchanged = await log.compact();
  t.is(unchanged.recordsAfter, unchanged.recordsBefore, "nothing sealed since: nothing to do");
  for (const [i, body] of ["e=1", "f=1", "g=1", "h=1"].entries()) {
    await log.append([record(body, 13 + i)]); // the last one rolls: segment 12 is sealed
  }
  await log.compact();
  // 0 (40 bytes) and 4 (80 bytes) now fit one 160-byte segment together; a=4 at 12 wins.
  const names = (await readdir(log.dir)).filter((n) => n.endsWith(".log"));
  t.deepEqual(
    names.map((n) => Number(n.slice(0, 20))),
    [0, 8, 12, 16],
  );
  const before = texts(await readAll(log));
  t.deepEqual(
    before.map(([offset]) => offset),
    [2, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16],
  );
  await log.close();
  const reopened = await CommitLog.open(log.dir, OPTIONS);
  t.teardown(() => reopened.close());
  t.deepEqual(reopened.recovery.rebuiltIndexes, []);
  t.deepEqual(texts(await readAll(reopened)), before);
  t.is(await reopened.append([record("e=2", 17)]), 17);
  t.false((await readdir(log.dir)).some((n) => n.includes("compacted") || n.includes("swap")));
});

test("appends and reads continue while a compaction runs", async (t) => {
  const log = await openLog(t, { segmentMaxBytes: 4000, keyOf });
  for (let i = 0; i < 2000; i++) await log.append([record(`k${i % 50}=${i}`, i)]);
  const compaction = log.compact();
  const appended: number[] = [];
  const reads: Promise<StoredRecord[]>[] = [];
  for (let i = 2000; i < 2100; i++) {
    appended.push(await log.append([record(`n${i}=${i}`, i)]));
    reads.push(log.read(i % 1900, 400));
  }
  const result = await compaction;
  t.deepEqual(
    appended,
    Array.from({ length: 100 }, (_, i) => 2000 + i),
  );
  for (const records of await Promise.all(reads)) t.true(records.length > 0);
  t.true(result.recordsAfter < result.recordsBefore);
  // Sealed when the compaction started: 0..1899, now one record per key; 1900.. untouched.
  const all = await readAll(log);
  const compacted = all.filter((r) => r.offset < 1900);
  t.deepEqual(
    compacted.map((r) => r.offset),
    Array.from({ length: 50 }, (_, k) => 1850 + k),
  );
  t.deepEqual(
    all.filter((r) => r.offset >= 1900).map((r) => r.offset),
    Array.from({ length: 200 }, (_, i) => 1900 + i),
  );
});

test("compaction refuses a log without keyOf and a log with a damaged sealed segment", async (t) => {
  const plain = await openLog(t, { segmentMaxBytes: 160 });
  await t.throwsAsync(plain.compact(), { message: /opened without a keyOf option/ });

  const log = await filled(t);
  await log.close();
  const { open: openFile } = await import("node:fs/promises");
  const file = await openFile(join(log.dir, `${"4".padStart(20, "0")}.log`), "r+");
  await file.write(Buffer.from([0xff, 0xff, 0xff, 0xff]), 0, 4, 44); // length field of offset 5
  await file.close();
  const { unlink } = await import("node:fs/promises");
  await unlink(join(log.dir, `${"4".padStart(20, "0")}.index`));
  const reopened = await CommitLog.open(log.dir, OPTIONS);
  t.teardown(() => reopened.close());
  await t.throwsAsync(reopened.compact(), { instanceOf: CorruptRecordError });
  t.is((await readAll(reopened).catch((e: CorruptRecordError) => e.offset)) as number, 5);
});

test("messageKey finds field 2 of a protobuf Message without decoding the rest", (t) => {
  const body = encodeMessage({
    key: Buffer.from("user-42"),
    value: Buffer.from("hello"),
    subject: "orders",
    partition: -1,
    headers: { h: Buffer.from("v") },
  });
  t.is(Buffer.from(messageKey(body)!).toString(), "user-42");
  t.is(messageKey(encodeMessage({ value: Buffer.from("no key") })), undefined);
  t.is(messageKey(encodeMessage({ key: new Uint8Array(0), value: Buffer.from("v") })), undefined);
  t.is(messageKey(Buffer.from([0x12, 0x05, 0x61])), undefined, "length past the end");
  t.is(messageKey(Buffer.from([0x0b])), undefined, "group wire type");
  t.is(messageKey(new Uint8Array(0)), undefined);
  // The last occurrence wins, as protobuf merges repeated scalar fields.
  t.is(Buffer.from(messageKey(Buffer.from([0x12, 0x01, 0x61, 0x12, 0x01, 0x62]))!).toString(), "b");
});
