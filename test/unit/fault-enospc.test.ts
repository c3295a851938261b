import test from "ava";
import {
  AppendFailedError,
  type AppendRecord,
  CommitLog,
  type LogOptions,
} from "../../src/server/log/index.js";
import { FaultFs } from "../helpers/fault-fs.js";

const DIR = "/data/streams/orders/3";

function recordFor(i: number): AppendRecord {
  return {
    timestamp: BigInt(i),
    leaderEpoch: 0,
    body: Buffer.from(`message-${i}`.padEnd(72, "m")),
  };
}

async function bodies(log: CommitLog): Promise<string[]> {
  return (await log.read(0, 1 << 20)).map((r) => Buffer.from(r.body).toString().trimEnd());
}

function expected(count: number): string[] {
  return Array.from({ length: count }, (_, i) => recordFor(i).body.toString());
}

test("a full disk rejects appends with a clear error; the log stays readable and recovers", async (t) => {
  const fs = new FaultFs();
  const options: LogOptions = { sync: "always", segmentMaxBytes: 1000, fs };
  const log = await CommitLog.open(DIR, options);
  for (let i = 0; i < 5; i++) await log.append([recordFor(i)]);
  // Room for two more records (100 bytes each, plus 8 bytes of index entry).
  fs.spaceLimit = fs.usedBytes() + 250;

  let acknowledged = 5;
  let failure: unknown;
  for (let i = 5; i < 20 && !failure; i++) {
    try {
      await log.append([recordFor(i)]);
      acknowledged++;
    } catch (err) {
      failure = err;
    }
  }
  t.true(failure instanceof AppendFailedError);
  const error = failure as AppendFailedError;
  t.is(error.code, "ENOSPC");
  t.true(error.message.includes(DIR), error.message);
  t.regex(error.message, /ENOSPC/);
  t.is(acknowledged, 7, "two 100-byte records fit in 250 bytes, the third is cut short");
  t.is(log.nextOffset, acknowledged, "the failed append consumed no offset");

  t.deepEqual(await bodies(log), expected(acknowledged));
  await t.throwsAsync(log.append([recordFor(acknowledged)]), { instanceOf: AppendFailedError });
  // Concurrent appends of one group write fail together.
  const group = await Promise.allSettled([log.append([recordFor(7)]), log.append([recordFor(8)])]);
  t.true(group.every((r) => r.status === "rejected"));

  fs.spaceLimit = undefined;
  for (let i = acknowledged; i < 15; i++) t.is(await log.append([recordFor(i)]), i);
  t.deepEqual(await bodies(log), expected(15));

  fs.crash();
  await log.close().catch(() => {});
  fs.restart();
  const reopened = await CommitLog.open(DIR, options);
  t.deepEqual(await bodies(reopened), expected(15));
  await reopened.close();
});

test("no space for a new segment: the append is rejected and the next one, with space, rolls", async (t) => {
  const fs = new FaultFs();
  const options: LogOptions = { sync: "always", segmentMaxBytes: 200, fs };
  const log = await CommitLog.open(DIR, options);
  await log.append([recordFor(0)]);
  await log.append([recordFor(1)]);
  fs.failWith.open = "ENOSPC"; // creating the next segment fails
  const error = await t.throwsAsync(log.append([recordFor(2)]), { instanceOf: AppendFailedError });
  t.is(error?.code, "ENOSPC");
  t.deepEqual(await bodies(log), expected(2));
  fs.failWith = {};
  t.is(await log.append([recordFor(2)]), 2);
  t.is(log.segmentCount, 2);
  t.deepEqual(await bodies(log), expected(3));
  await log.close();
});

test("an I/O error on write or sync is reported and rolled back", async (t) => {
  const fs = new FaultFs();
  const options: LogOptions = { sync: "always", fs };
  const log = await CommitLog.open(DIR, options);
  await log.append([recordFor(0)]);
  for (const operation of ["write", "datasync"] as const) {
    fs.failWith = { [operation]: "EIO" };
    const error = await t.throwsAsync(log.append([recordFor(1)]), {
      instanceOf: AppendFailedError,
    });
    t.is(error?.code, "EIO");
    t.is(log.nextOffset, 1);
  }
  fs.failWith = {};
  t.is(await log.append([recordFor(1)]), 1);
  fs.crash();
  await log.close().catch(() => {});
  fs.restart();
  const reopened = await CommitLog.open(DIR, options);
  t.deepEqual(await bodies(reopened), expected(2));
  await reopened.close();
});
