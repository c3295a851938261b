import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import { type AppendRecord, CommitLog, type LogOptions } from "../../src/server/log/index.js";

const RECORD_BYTES = 28 + 72;
/** Three records per segment. */
const OPTIONS: LogOptions = { segmentMaxBytes: 3 * RECORD_BYTES };
const MS = 1_000_000n;

function recordAt(i: number, timestampMs: number): AppendRecord {
  return {
    timestamp: BigInt(timestampMs) * MS,
    leaderEpoch: 0,
    body: Buffer.from(`record-${i}-`.padEnd(72, "r")),
  };
}

/** A log holding records 0..count-1 (three per segment), record i stamped at `i` seconds. */
async function logWith(t: ExecutionContext, count: number, options = OPTIONS): Promise<CommitLog> {
  const dir = await mkdtemp(join(tmpdir(), "lb-log-retention-"));
  const log = await CommitLog.open(dir, options);
  t.teardown(async () => {
    await log.close();
    await CommitLog.destroy(dir);
  });
  for (let i = 0; i < count; i++) await log.append([recordAt(i, i * 1000)]);
  return log;
}

async function offsets(log: CommitLog, from = 0): Promise<number[]> {
  return (await log.read(from, 1 << 20)).map((r) => r.offset);
}

async function segmentFiles(log: CommitLog): Promise<string[]> {
  return (await readdir(log.dir)).filter((n) => n.endsWith(".log")).sort();
}

test("retention by bytes deletes the oldest whole segments and never the active one", async (t) => {
  const log = await logWith(t, 10); // segments 0, 3, 6 (full) and 9 (active, one record)
  const result = await log.enforceRetention({ maxBytes: 5 * RECORD_BYTES });
  // The newest segments that fit in 5 records' bytes: 9 (1 record) and 6 (3 records).
  t.deepEqual(result, {
    deletedSegments: [0, 3],
    deletedRecords: 6,
    deletedBytes: 6 * RECORD_BYTES,
    oldestOffset: 6,
  });
  t.is(log.oldestOffset, 6);
  t.deepEqual(await offsets(log), [6, 7, 8, 9]);
  t.is((await segmentFiles(log)).length, 2);

  const all = await log.enforceRetention({ maxBytes: 1 });
  t.deepEqual(all.deletedSegments, [6]);
  t.deepEqual(await offsets(log), [9], "the active segment stays even when over the limit");
  t.is(log.segmentCount, 1);
});

test("retention by messages keeps the newest segments within the count", async (t) => {
  const log = await logWith(t, 11); // 0, 3, 6 full; 9 active with 2 records
  const result = await log.enforceRetention({ maxMessages: 6 });
  t.deepEqual(result.deletedSegments, [0, 3]);
  t.deepEqual(await offsets(log), [6, 7, 8, 9, 10]);
  t.deepEqual((await log.enforceRetention({ maxMessages: 6 })).deletedSegments, [], "idempotent");
});

test("retention by age deletes segments whose newest record is older than the limit", async (t) => {
  const log = await logWith(t, 10); // record i at i seconds; segment 0 ends at 2 s, 3 at 5 s
  const result = await log.enforceRetention({ maxAgeMs: 10_000, nowMs: 15_500 });
  // Cutoff 5.5 s: segments 0 (newest 2 s) and 3 (newest 5 s) go; 6 (newest 8 s) stays.
  t.deepEqual(result.deletedSegments, [0, 3]);
  t.is(log.oldestOffset, 6);
  const everything = await log.enforceRetention({ maxAgeMs: 1, nowMs: 1_000_000 });
  t.deepEqual(everything.deletedSegments, [6], "the active segment is never deleted by age");
});

test("limits combine: the strictest one decides", async (t) => {
  const log = await logWith(t, 10);
  const result = await log.enforceRetention({
    maxBytes: 100 * RECORD_BYTES,
    maxMessages: 3,
    maxAgeMs: 0,
  });
  t.deepEqual(result.deletedSegments, [0, 3, 6]);
});

test("a read from an offset retention removed starts at the new oldest offset", async (t) => {
  const log = await logWith(t, 10);
  await log.enforceRetention({ maxMessages: 4 });
  t.deepEqual(await offsets(log, 0), [6, 7, 8, 9]);
  t.deepEqual(await offsets(log, 2), [6, 7, 8, 9]);
  t.is(await log.offsetForTimestamp(0n), 6);
});

test("retention survives a reopen and appends continue", async (t) => {
  const log = await logWith(t, 10);
  await log.enforceRetention({ maxMessages: 4 });
  await log.close();
  const reopened = await CommitLog.open(log.dir, OPTIONS);
  t.teardown(() => reopened.close());
  t.is(reopened.oldestOffset, 6);
  t.is(await reopened.append([recordAt(10, 10_000)]), 10);
  t.deepEqual(await offsets(reopened), [6, 7, 8, 9, 10]);
});

test("reads in flight keep the segments they started with", async (t) => {
  const log = await logWith(t, 30);
  const reads = Array.from({ length: 20 }, (_, i) => log.read(i, 1 << 20));
  const retention = log.enforceRetention({ maxMessages: 3 });
  const results = await Promise.all(reads);
  await retention;
  for (const [i, records] of results.entries()) {
    // Each read saw either the whole log or what retention left.
    t.true(records[0]!.offset === i || records[0]!.offset === 27, `read ${i}`);
    t.is(records.at(-1)!.offset, 29);
  }
});

test("bad retention limits are rejected naming the limit", async (t) => {
  const log = await logWith(t, 1);
  await t.throwsAsync(log.enforceRetention({ maxBytes: -1 }), { message: /maxBytes is -1/ });
  await t.throwsAsync(log.enforceRetention({ maxAgeMs: 1.5 }), { message: /maxAgeMs is 1.5/ });
});

test("segments roll by age before an append, and on demand", async (t) => {
  const log = await logWith(t, 0, { segmentMaxBytes: 1 << 20, segmentMaxAgeMs: 60_000 });
  const now = Date.now();
  await log.append([recordAt(0, now - 120_000)]);
  await log.append([recordAt(1, now - 90_000)]); // the segment's first record is too old: roll
  t.is(log.segmentCount, 2);
  t.false(await log.maybeRollByAge(now - 60_000), "first record of the active one is 30 s old");
  t.true(await log.maybeRollByAge(now));
  t.is(log.segmentCount, 3);
  t.false(await log.maybeRollByAge(now), "an empty active segment is never rolled");
  await log.append([recordAt(2, now)]);
  t.true(await log.roll());
  t.false(await log.roll());
  t.deepEqual(await offsets(log), [0, 1, 2]);
  t.is(log.segmentCount, 4);
});
