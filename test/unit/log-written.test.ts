import test from "ava";
import { CommitLog, LogFailedError, type LogOptions } from "../../src/server/log/index.js";
import { FaultFs } from "../helpers/fault-fs.js";
import { plainRecords } from "../helpers/records.js";

const DIR = "/written";

function record(i: number) {
  return { timestamp: BigInt(i), leaderEpoch: 1, body: Buffer.from(`record-${i}`) };
}

function expected(from: number, to: number) {
  return Array.from({ length: to - from }, (_, k) => ({
    offset: from + k,
    timestamp: BigInt(from + k),
    leaderEpoch: 1,
    body: `record-${from + k}`,
  }));
}

async function openWithFaults(options: LogOptions = {}) {
  const fs = new FaultFs();
  const log = await CommitLog.open(DIR, { sync: "always", fs, ...options });
  return { fs, log };
}

test("a group write is readable through readWritten before its sync, nextOffset only after", async (t) => {
  const { log } = await openWithFaults();
  t.teardown(() => log.close());
  await log.append([0, 1, 2].map(record));
  const seen: { written: number; next: number; records: unknown }[] = [];
  log.onWritten = () => {
    // readWritten answers synchronously from the written bytes: capture it while unsynced.
    const records = log.readWritten(4, 1 << 20);
    seen.push({ written: log.writtenOffset, next: log.nextOffset, records });
  };
  const appended = log.append([3, 4, 5, 6].map(record));
  t.is(await appended, 3);
  t.is(seen.length, 1);
  t.is(seen[0]!.written, 7);
  t.is(seen[0]!.next, 3);
  t.deepEqual(plainRecords(await (seen[0]!.records as Promise<never>)), expected(4, 7));
  t.is(log.writtenOffset, 7);
  t.is(log.nextOffset, 7);
  // Older records, and everything once synced, come from the segments.
  t.deepEqual(plainRecords(await log.readWritten(1, 1 << 20)), expected(1, 7));
});

test("readWritten keeps within maxBytes but returns at least one record", async (t) => {
  const { log } = await openWithFaults();
  t.teardown(() => log.close());
  let during: Promise<unknown>[] = [];
  log.onWritten = () => {
    // Each record here is 28 + 8 bytes.
    during = [log.readWritten(0, 1), log.readWritten(1, 36 * 2), log.readWritten(5, 1 << 20)];
  };
  await log.append([0, 1, 2, 3, 4].map(record));
  const [one, two, none] = (await Promise.all(during)) as never[];
  t.deepEqual(plainRecords(one), expected(0, 1));
  t.deepEqual(plainRecords(two), expected(1, 3));
  t.deepEqual(plainRecords(none), []);
});

test("a sync failing after the records were exposed fails the log: their offsets are never reused", async (t) => {
  const { fs, log } = await openWithFaults();
  await log.append([0, 1].map(record));
  let exposed = 0;
  log.onWritten = () => {
    exposed = log.writtenOffset;
  };
  fs.failWith = { datasync: "EIO" };
  await t.throwsAsync(log.append([2, 3].map(record)), { instanceOf: LogFailedError });
  t.is(exposed, 4);
  t.is(log.writtenOffset, 2);
  fs.failWith = {};
  await t.throwsAsync(log.append([record(9)]), { instanceOf: LogFailedError });
  t.is(log.nextOffset, 2);
  await log.close().catch(() => {});
});

test("a failed write exposes nothing and the log stays usable", async (t) => {
  const { fs, log } = await openWithFaults();
  t.teardown(() => log.close());
  let calls = 0;
  log.onWritten = () => {
    calls++;
  };
  fs.failWith = { write: "EIO" };
  await t.throwsAsync(log.append([0, 1].map(record)));
  t.is(calls, 0);
  t.is(log.writtenOffset, 0);
  fs.failWith = {};
  t.is(await log.append([0, 1].map(record)), 0);
  t.is(calls, 1);
  t.deepEqual(plainRecords(await log.read(0, 1 << 20)), expected(0, 2));
});
