import { mkdtemp, open, readdir, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import {
  type AppendRecord,
  CommitLog,
  CorruptRecordError,
  type LogOptions,
  type StoredRecord,
} from "../../src/server/log/index.js";

const BODY_BYTES = 72;
const RECORD_BYTES = 28 + BODY_BYTES;
const OPTIONS: LogOptions = { segmentMaxBytes: 3 * RECORD_BYTES };

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lb-log-repair-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function recordFor(i: number): AppendRecord {
  return {
    offset: i,
    timestamp: 5000n + BigInt(i),
    leaderEpoch: 1,
    body: Buffer.from(`record-${i}-`.padEnd(BODY_BYTES, "y")),
  };
}

const bodies = (records: StoredRecord[]) =>
  records.map((r) => [r.offset, Buffer.from(r.body).toString()]);
const expected = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => [
    from + i,
    Buffer.from(recordFor(from + i).body).toString(),
  ]);

async function closedLog(t: ExecutionContext, count: number): Promise<string> {
  const dir = await tempDir(t);
  const log = await CommitLog.open(dir, OPTIONS);
  for (let i = 0; i < count; i++) await log.append([{ ...recordFor(i), offset: undefined }]);
  await log.close();
  return dir;
}

async function flip(path: string, position: number): Promise<void> {
  const file = await open(path, "r+");
  const byte = Buffer.alloc(1);
  await file.read(byte, 0, 1, position);
  byte[0]! ^= 0x40;
  await file.write(byte, 0, 1, position);
  await file.close();
}

const segmentPath = (dir: string, base: number) =>
  join(dir, `${String(base).padStart(20, "0")}.log`);

test("repair replaces a damaged record of the active segment with a peer's copy, durably", async (t) => {
  const dir = await closedLog(t, 8); // segments 0, 3, 6; offsets 6 and 7 in the active one
  await flip(segmentPath(dir, 6), 28 + 5);
  await unlink(join(dir, "recovery-point.checkpoint"));
  const log = await CommitLog.open(dir, OPTIONS);
  t.like(log.damage(), [{ fromOffset: 6, toOffset: 6, kind: "corrupt" }]);

  await log.repair(6, 6, [recordFor(6)]);
  t.deepEqual(log.damage(), []);
  t.deepEqual(bodies(await log.read(0, 1 << 20)), expected(0, 7));
  t.is(await log.append([{ ...recordFor(8), offset: undefined }]), 8);
  await log.close();

  const reopened = await CommitLog.open(dir, OPTIONS);
  t.deepEqual(reopened.damage(), []);
  t.deepEqual(bodies(await reopened.read(0, 1 << 20)), expected(0, 8));
  await reopened.close();
});

test("repair fills a lost middle segment; a record found damaged by a read can be repaired too", async (t) => {
  const dir = await closedLog(t, 12); // segments 0, 3, 6, 9
  await unlink(segmentPath(dir, 3));
  await flip(segmentPath(dir, 6), RECORD_BYTES + 28 + 5); // offset 7, in a sealed segment
  const log = await CommitLog.open(dir, OPTIONS);
  t.like(log.damage(), [{ fromOffset: 3, toOffset: 5, kind: "missing" }]);
  await t.throwsAsync(log.read(3, 1 << 20), { instanceOf: CorruptRecordError });
  const error = await t.throwsAsync(log.read(6, 1 << 20), { instanceOf: CorruptRecordError });
  t.is(error?.offset, 7);
  t.like(log.damage(), [
    { fromOffset: 3, toOffset: 5 },
    { fromOffset: 7, toOffset: 7, kind: "corrupt" },
  ]);

  await t.throwsAsync(log.repair(3, 4, [recordFor(3)]), {
    instanceOf: RangeError,
    message: /offsets 3-4 are not a damaged range.*3-5, 7-7/,
  });
  await t.throwsAsync(log.repair(3, 5, [recordFor(4), recordFor(3)]), {
    message: /records\[1\]\.offset is 3, expected an integer from 5 to 5/,
  });
  await log.repair(3, 5, [recordFor(3), recordFor(4), recordFor(5)]);
  await log.repair(7, 7, [recordFor(7)]);
  t.deepEqual(log.damage(), []);
  t.deepEqual(bodies(await log.read(0, 1 << 20)), expected(0, 11));
  await log.close();

  const reopened = await CommitLog.open(dir, OPTIONS);
  t.deepEqual(reopened.damage(), []);
  t.deepEqual(bodies(await reopened.read(0, 1 << 20)), expected(0, 11));
  t.false((await readdir(dir)).some((n) => n.endsWith(".tmp")));
  await reopened.close();
});
