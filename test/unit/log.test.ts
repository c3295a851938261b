import { mkdtemp, readdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import {
  type AppendRecord,
  CommitLog,
  LogClosedError,
  type LogOptions,
} from "../../src/server/log/index.js";
import { plainRecords } from "../helpers/records.js";

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lb-log-"));
  t.teardown(() => CommitLog.destroy(dir));
  return dir;
}

async function openTemp(
  t: ExecutionContext,
  options?: LogOptions,
): Promise<{ dir: string; log: CommitLog }> {
  const dir = await tempDir(t);
  const log = await CommitLog.open(dir, options);
  t.teardown(() => log.close());
  return { dir, log };
}

/** Record `i`: a body naming it (padded to `bodyBytes`), timestamp 1000 + i, epoch i % 3. */
function recordFor(i: number, bodyBytes = 40): AppendRecord {
  return {
    timestamp: 1000n + BigInt(i),
    leaderEpoch: i % 3,
    body: Buffer.from(`record-${i}-`.padEnd(bodyBytes, "x")),
  };
}

function expected(from: number, to: number, bodyBytes = 40) {
  const out = [];
  for (let i = from; i <= to; i++) {
    const r = recordFor(i, bodyBytes);
    out.push({ offset: i, ...r, body: Buffer.from(r.body).toString() });
  }
  return out;
}

async function appendEach(log: CommitLog, from: number, to: number, bodyBytes = 40) {
  for (let i = from; i <= to; i++) await log.append([recordFor(i, bodyBytes)]);
}

async function segmentFiles(dir: string): Promise<{ logs: string[]; indexes: string[] }> {
  const names = (await readdir(dir)).sort();
  return {
    logs: names.filter((n) => n.endsWith(".log")),
    indexes: names.filter((n) => n.endsWith(".index")),
  };
}

test("a new log is empty", async (t) => {
  const { log } = await openTemp(t);
  t.is(log.oldestOffset, 0);
  t.is(log.newestOffset, -1);
  t.is(log.nextOffset, 0);
  t.deepEqual(await log.read(0, 1024), []);
  t.is(await log.offsetForTimestamp(0n), 0);
});

test("records round-trip across several segments", async (t) => {
  const { dir, log } = await openTemp(t, { segmentMaxBytes: 256 });
  await appendEach(log, 0, 39);
  // One append of several records gets contiguous offsets.
  const base = await log.append([recordFor(40), recordFor(41), recordFor(42)]);
  t.is(base, 40);
  t.is(log.newestOffset, 42);
  t.is(log.nextOffset, 43);

  const { logs, indexes } = await segmentFiles(dir);
  t.true(logs.length >= 10, `expected many segments, got ${logs.join(", ")}`);
  t.is(indexes.length, logs.length);
  t.is(logs[0], "00000000000000000000.log");
  for (const name of logs) t.regex(name, /^\d{20}\.log$/);
  for (const name of logs.slice(0, -1)) {
    t.true((await stat(join(dir, name))).size <= 256, `${name} is larger than segmentMaxBytes`);
  }

  t.deepEqual(plainRecords(await log.read(0, 1 << 20)), expected(0, 42));
  t.deepEqual(plainRecords(await log.read(17, 1 << 20)), expected(17, 42));
  t.deepEqual(plainRecords(await log.read(42, 1 << 20)), expected(42, 42));
});

test("concurrent appends get contiguous offsets and share writes and syncs", async (t) => {
  const { log } = await openTemp(t, { sync: "always" });
  const sizes = Array.from({ length: 200 }, (_, i) => 1 + (i % 3));
  let next = 0;
  const batches = sizes.map((size) => {
    const records = Array.from({ length: size }, (_, j) => recordFor(next + j));
    next += size;
    return records;
  });
  const bases = await Promise.all(batches.map((records) => log.append(records)));

  let expectedBase = 0;
  for (let i = 0; i < bases.length; i++) {
    t.is(bases[i], expectedBase);
    expectedBase += sizes[i]!;
  }
  const stats = log.stats;
  t.is(stats.appends, 200);
  t.is(stats.records, next);
  t.true(stats.writes < stats.appends, `${stats.writes} writes for ${stats.appends} appends`);
  t.is(stats.syncs, stats.writes);
  t.deepEqual(plainRecords(await log.read(0, 1 << 20)), expected(0, next - 1));
});

test("appends resolve in the order they were made", async (t) => {
  const { log } = await openTemp(t);
  const resolved: number[] = [];
  await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      log.append([recordFor(i)]).then((base) => resolved.push(base)),
    ),
  );
  t.deepEqual(
    resolved,
    Array.from({ length: 50 }, (_, i) => i),
  );
});

test("reads running alongside appends see only records whose append resolved", async (t) => {
  const { log } = await openTemp(t, { segmentMaxBytes: 1024 });
  let resolvedUpTo = -1;
  const appends: Promise<unknown>[] = [];
  for (let i = 0; i < 300; i++) {
    appends.push(
      log.append([recordFor(i)]).then((base) => {
        resolvedUpTo = Math.max(resolvedUpTo, base);
      }),
    );
  }
  const allDone = Promise.all(appends);
  let finished = false;
  void allDone.then(() => {
    finished = true;
  });
  let reads = 0;
  while (!finished) {
    // Reads of nothing resolve without I/O; yield so the writes can complete.
    await new Promise(setImmediate);
    const records = await log.read(0, 1 << 20);
    reads++;
    for (const [i, record] of records.entries()) t.is(record.offset, i);
    const newest = records.at(-1)?.offset ?? -1;
    t.true(newest <= resolvedUpTo, `read offset ${newest}, resolved only up to ${resolvedUpTo}`);
  }
  await allDone;
  t.true(reads > 0);
  t.deepEqual(plainRecords(await log.read(0, 1 << 20)), expected(0, 299));
});

test("read honours maxOffset and maxBytes, within and across segments", async (t) => {
  // Bodies of 72 bytes make every stored record exactly 100 bytes; three fit in a segment.
  const { log } = await openTemp(t, { segmentMaxBytes: 300 });
  await appendEach(log, 0, 9, 72);
  const offsets = async (from: number, maxBytes: number, maxOffset?: number) =>
    (await log.read(from, maxBytes, maxOffset)).map((r) => r.offset);

  t.deepEqual(await offsets(0, 250), [0, 1]);
  t.deepEqual(await offsets(0, 300), [0, 1, 2]);
  t.deepEqual(await offsets(1, 300), [1, 2, 3], "a read continues into the next segment");
  t.deepEqual(await offsets(2, 1), [2], "the first record comes even when larger than maxBytes");
  t.deepEqual(await offsets(2, 0), [2]);
  t.deepEqual(await offsets(3, 1 << 20, 5), [3, 4, 5]);
  t.deepEqual(await offsets(3, 150, 5), [3]);
  t.deepEqual(await offsets(0, 1 << 20, 0), [0]);
  t.deepEqual(await offsets(5, 1 << 20, 4), []);
  t.deepEqual(await offsets(0, 1 << 20, -1), []);
  t.deepEqual(await offsets(10, 1 << 20), []);
  t.deepEqual(
    await offsets(-5, 150),
    [0],
    "a start before the oldest offset reads from the oldest",
  );
  t.deepEqual(await offsets(8, 1 << 20, 100), [8, 9]);
  t.deepEqual(plainRecords(await log.read(4, 1 << 20, 6)), expected(4, 6, 72));
});

test("offsetForTimestamp finds the first record at or after a timestamp", async (t) => {
  // Two records per segment, so runs of equal timestamps cross segment boundaries.
  const { dir, log } = await openTemp(t, { segmentMaxBytes: 140 });
  const timestamps = [10n, 10n, 10n, 20n, 20n, 20n, 20n, 30n, 40n, 40n, 50n, 60n, 60n];
  for (const [i, timestamp] of timestamps.entries()) {
    await log.append([{ ...recordFor(i), timestamp }]);
  }
  t.true((await segmentFiles(dir)).logs.length >= 6);

  const check = async (current: CommitLog) => {
    for (let ts = 0n; ts <= 70n; ts++) {
      const first = timestamps.findIndex((x) => x >= ts);
      t.is(
        await current.offsetForTimestamp(ts),
        first === -1 ? timestamps.length : first,
        `ts ${ts}`,
      );
    }
  };
  await check(log);
  await log.close();
  const reopened = await CommitLog.open(dir, { segmentMaxBytes: 140 });
  t.teardown(() => reopened.close());
  await check(reopened);
});

test("reopening after close returns identical records and continues the offsets", async (t) => {
  const dir = await tempDir(t);
  const log = await CommitLog.open(dir, { segmentMaxBytes: 512 });
  await appendEach(log, 0, 59);
  const before = plainRecords(await log.read(0, 1 << 20));
  await log.close();

  const reopened = await CommitLog.open(dir, { segmentMaxBytes: 512 });
  t.teardown(() => reopened.close());
  t.deepEqual(reopened.recovery, {
    truncatedBytes: 0,
    rebuiltIndexes: [],
    scannedBytes: 0,
    damagedSegments: [],
    damage: [],
  });
  t.is(reopened.oldestOffset, 0);
  t.is(reopened.newestOffset, 59);
  t.deepEqual(plainRecords(await reopened.read(0, 1 << 20)), before);
  t.is(await reopened.append([recordFor(60)]), 60);
  t.deepEqual(plainRecords(await reopened.read(0, 1 << 20)), expected(0, 60));
});

test("records larger than the recovery scan's read size survive a reopen", async (t) => {
  const dir = await tempDir(t);
  const log = await CommitLog.open(dir);
  const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
  await log.append([recordFor(0), { timestamp: 2000n, leaderEpoch: 4, body: big }, recordFor(2)]);
  await log.close();
  const reopened = await CommitLog.open(dir);
  t.teardown(() => reopened.close());
  t.is(reopened.recovery.truncatedBytes, 0);
  const records = await reopened.read(0, 1 << 30);
  t.deepEqual(
    records.map((r) => r.offset),
    [0, 1, 2],
  );
  t.true(Buffer.from(records[1]!.body).equals(big));
  t.is(records[1]!.leaderEpoch, 4);
});

test("close waits for appends in flight; later calls are refused", async (t) => {
  const dir = await tempDir(t);
  const log = await CommitLog.open(dir, { sync: "always" });
  const pending = Array.from({ length: 20 }, (_, i) => log.append([recordFor(i)]));
  await log.close();
  t.deepEqual(
    await Promise.all(pending),
    Array.from({ length: 20 }, (_, i) => i),
  );
  await log.close();
  await t.throwsAsync(log.append([recordFor(20)]), { instanceOf: LogClosedError });
  await t.throwsAsync(log.read(0, 100), { instanceOf: LogClosedError });
  await t.throwsAsync(log.sync(), { instanceOf: LogClosedError });

  const reopened = await CommitLog.open(dir);
  t.teardown(() => reopened.close());
  t.deepEqual(plainRecords(await reopened.read(0, 1 << 20)), expected(0, 19));
});

test("sync flushes and counts", async (t) => {
  const { log } = await openTemp(t);
  await log.append([recordFor(0)]);
  await log.sync();
  t.is(log.stats.syncs, 1);
  t.is(log.stats.writes, 1);
});

test("destroy removes a closed log's directory", async (t) => {
  const dir = await tempDir(t);
  const log = await CommitLog.open(dir, { segmentMaxBytes: 128 });
  await appendEach(log, 0, 5);
  await log.close();
  await CommitLog.destroy(dir);
  await t.throwsAsync(stat(dir), { code: "ENOENT" });
  await CommitLog.destroy(dir);
});

test("bad input is rejected with an error naming the field and value", async (t) => {
  const { log } = await openTemp(t);
  await t.throwsAsync(log.append([]), { message: /records must be a non-empty array/ });
  await t.throwsAsync(log.append([{ ...recordFor(0), leaderEpoch: -1 }]), {
    message: /records\[0\]\.leaderEpoch is -1, expected an integer from 0 to 4294967295/,
  });
  await t.throwsAsync(
    log.append([recordFor(0), { ...recordFor(1), timestamp: 5 as unknown as bigint }]),
    { message: /records\[1\]\.timestamp is 5, expected a bigint/ },
  );
  await t.throwsAsync(log.append([{ ...recordFor(0), body: "text" as unknown as Uint8Array }]), {
    message: /records\[0\]\.body is string, expected a Uint8Array/,
  });
  await t.throwsAsync(log.read(1.5, 100), { message: /fromOffset is 1.5, expected an integer/ });
  await t.throwsAsync(log.read(0, -1), { message: /maxBytes is -1/ });
  // Rejected appends consume no offsets.
  t.is(await log.append([recordFor(0)]), 0);

  const dir = await tempDir(t);
  await t.throwsAsync(CommitLog.open(dir, { segmentMaxBytes: 0 }), {
    message: /segmentMaxBytes is 0, expected an integer from 28 to 4294967295/,
  });
  await t.throwsAsync(CommitLog.open(dir, { sync: "sometimes" as "always" }), {
    message: /sync is "sometimes", expected "always" or "none"/,
  });
});
