import { crc32c } from "@node-rs/crc32";
import test, { type ExecutionContext } from "ava";
import { crc32cRange } from "../../src/server/log/crc32c-range.js";
import {
  AppendFailedError,
  CommitLog,
  type FramedRecords,
  FramedRecordsBuilder,
  type LogOptions,
} from "../../src/server/log/index.js";
import { FaultFs } from "../helpers/fault-fs.js";
import { plainRecords } from "../helpers/records.js";
import { makeTempDir } from "../helpers/tmp.js";

const DIR = "/framed";

function body(i: number, bytes = 40): Buffer {
  return Buffer.from(`record-${i}-`.padEnd(bytes, "x"));
}

/** Records `from` .. `from + count - 1`, framed, all with `timestamp` and `epoch`. */
function framed(from: number, count: number, timestamp: bigint, epoch = 0): FramedRecords {
  const builder = new FramedRecordsBuilder(16);
  for (let i = from; i < from + count; i++) builder.add(body(i));
  return builder.finish(timestamp, epoch);
}

function expected(from: number, count: number, timestamp: bigint, epoch = 0) {
  return Array.from({ length: count }, (_, k) => ({
    offset: from + k,
    timestamp,
    leaderEpoch: epoch,
    body: body(from + k).toString(),
  }));
}

async function openTemp(t: ExecutionContext, options?: LogOptions) {
  const dir = await makeTempDir("log-framed", t);
  const log = await CommitLog.open(dir, options);
  t.teardown(() => log.close());
  return { dir, log };
}

test("the range CRC-32C equals the native one at every length and position", (t) => {
  const source = Buffer.alloc(2048);
  for (let i = 0; i < source.length; i++) source[i] = (i * 131 + (i >> 3)) & 0xff;
  for (let length = 0; length <= 700; length++) {
    const start = (length * 7) % 1000;
    t.is(
      crc32cRange(source, start, start + length),
      crc32c(source.subarray(start, start + length)),
      `length ${length}`,
    );
  }
});

test("framed records are stored with their offsets, timestamp, epoch and CRC, across a reopen", async (t) => {
  const { dir, log } = await openTemp(t, { sync: "always" });
  t.is(await log.append([{ timestamp: 5n, leaderEpoch: 0, body: body(0) }]), 0);
  t.is(await log.appendFramed(framed(1, 300, 7n, 2)), 1);
  t.is(await log.appendFramed(framed(301, 1, 9n, 3)), 301);
  const all = [
    { offset: 0, timestamp: 5n, leaderEpoch: 0, body: body(0).toString() },
    ...expected(1, 300, 7n, 2),
    ...expected(301, 1, 9n, 3),
  ];
  t.deepEqual(plainRecords(await log.read(0, 1 << 20)), all);
  t.deepEqual(plainRecords(await log.read(150, 100, 150)), [all[150]]);
  t.deepEqual(log.endOffsetForEpoch(2), { epoch: 2, endOffset: 301 });
  await log.close();

  const reopened = await CommitLog.open(dir);
  t.teardown(() => reopened.close());
  t.is(reopened.nextOffset, 302);
  t.deepEqual(plainRecords(await reopened.read(0, 1 << 20)), all);
  t.deepEqual(reopened.endOffsetForEpoch(2), { epoch: 2, endOffset: 301 });
});

test("framed and record appends queued together share one group write in order", async (t) => {
  const { log } = await openTemp(t, { sync: "always" });
  await log.append([{ timestamp: 1n, leaderEpoch: 0, body: body(0) }]);
  const writesBefore = log.stats.writes;
  // Queued while nothing else runs: one group of four appends.
  const bases = await Promise.all([
    log.appendFramed(framed(1, 3, 2n)),
    log.append([
      { timestamp: 3n, leaderEpoch: 0, body: body(4) },
      { timestamp: 3n, leaderEpoch: 0, body: body(5) },
    ]),
    log.appendFramed(framed(6, 2, 4n)),
    log.append([{ timestamp: 5n, leaderEpoch: 0, body: body(8) }]),
  ]);
  t.deepEqual(bases, [1, 4, 6, 8]);
  t.is(log.stats.writes - writesBefore, 1);
  t.deepEqual(
    plainRecords(await log.read(1, 1 << 20)).map((r) => [r.offset, r.timestamp, r.body]),
    [
      [1, 2n, body(1).toString()],
      [2, 2n, body(2).toString()],
      [3, 2n, body(3).toString()],
      [4, 3n, body(4).toString()],
      [5, 3n, body(5).toString()],
      [6, 4n, body(6).toString()],
      [7, 4n, body(7).toString()],
      [8, 5n, body(8).toString()],
    ],
  );
  // Index entries point at the right records wherever a read starts.
  for (let offset = 1; offset <= 8; offset++) {
    t.is((await log.read(offset, 1, offset))[0]?.offset, offset);
  }
});

test("framed batches that do not fit the active segment roll it, also within one group", async (t) => {
  // Records of 68 bytes (28 + 40): a segment takes at most 3 of them.
  const { dir, log } = await openTemp(t, { segmentMaxBytes: 210 });
  t.is(await log.appendFramed(framed(0, 2, 1n)), 0);
  const bases = await Promise.all([
    log.appendFramed(framed(2, 2, 2n)),
    log.appendFramed(framed(4, 1, 3n)),
    log.appendFramed(framed(5, 3, 4n)),
  ]);
  t.deepEqual(bases, [2, 4, 5]);
  t.true(log.segmentCount >= 2);
  const all = [...expected(0, 2, 1n), ...expected(2, 2, 2n), ...expected(4, 1, 3n)];
  all.push(...expected(5, 3, 4n));
  t.deepEqual(plainRecords(await log.read(0, 1 << 20)), all);
  await log.close();
  const reopened = await CommitLog.open(dir, { segmentMaxBytes: 210 });
  t.teardown(() => reopened.close());
  t.deepEqual(plainRecords(await reopened.read(0, 1 << 20)), all);
});

test("a failed group write stores and acknowledges none of its framed records", async (t) => {
  const fs = new FaultFs();
  const options: LogOptions = { sync: "always", fs };
  const log = await CommitLog.open(DIR, options);
  t.is(await log.appendFramed(framed(0, 2, 1n)), 0);
  for (const operation of ["write", "datasync"] as const) {
    fs.failWith = { [operation]: "EIO" };
    const group = [
      log.appendFramed(framed(2, 50, 2n)),
      log.append([{ timestamp: 2n, leaderEpoch: 0, body: body(52) }]),
      log.appendFramed(framed(53, 5, 2n)),
    ];
    for (const appended of group) {
      const error = await t.throwsAsync(appended, { instanceOf: AppendFailedError });
      t.is(error?.code, "EIO");
    }
    t.is(log.nextOffset, 2);
    t.deepEqual(plainRecords(await log.read(0, 1 << 20)), expected(0, 2, 1n));
  }
  fs.failWith = {};
  t.is(await log.appendFramed(framed(2, 3, 3n)), 2);
  fs.crash();
  await log.close().catch(() => {});
  fs.restart();
  const reopened = await CommitLog.open(DIR, options);
  t.deepEqual(plainRecords(await reopened.read(0, 1 << 20)), [
    ...expected(0, 2, 1n),
    ...expected(2, 3, 3n),
  ]);
  await reopened.close();
});

test("badly framed records are refused and the group around them fails, storing nothing", async (t) => {
  const { log } = await openTemp(t);
  const good = framed(0, 2, 1n);
  await t.throwsAsync(log.appendFramed({ ...good, count: 0 }), { instanceOf: TypeError });
  await t.throwsAsync(log.appendFramed({ ...good, timestamp: 1 as unknown as bigint }), {
    instanceOf: TypeError,
  });
  // Claims three records where the bytes hold two: caught when the group is encoded.
  await t.throwsAsync(log.appendFramed({ ...good, count: 3 }), { message: /not well framed/ });
  t.is(log.nextOffset, 0);
  t.is(await log.appendFramed(framed(0, 2, 1n)), 0);
  t.deepEqual(plainRecords(await log.read(0, 1 << 20)), expected(0, 2, 1n));
});

test("the builder grows for large records and keeps every record intact", (t) => {
  const builder = new FramedRecordsBuilder(16);
  const bodies = [
    Buffer.alloc(10, 1),
    Buffer.alloc(200_000, 2),
    Buffer.alloc(0),
    Buffer.alloc(5, 3),
  ];
  for (const b of bodies) builder.add(b);
  const { bytes, count } = builder.finish(0n, 0);
  t.is(count, 4);
  let at = 0;
  for (const b of bodies) {
    const length = bytes.readUInt32BE(at + 4);
    t.is(length, 20 + b.length);
    t.true(bytes.subarray(at + 28, at + 28 + b.length).equals(b));
    at += 8 + length;
  }
  t.is(at, bytes.length);
});
