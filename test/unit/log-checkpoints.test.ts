import { mkdtemp, readFile, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import {
  type AppendRecord,
  CommitLog,
  type LogOptions,
  nodeFileSystem,
  writeFileAtomic,
} from "../../src/server/log/index.js";
import { FaultFs } from "../helpers/fault-fs.js";

const RECORD_BYTES = 28 + 72;
const OPTIONS: LogOptions = { segmentMaxBytes: 10 * RECORD_BYTES };

function recordFor(i: number, leaderEpoch = 0): AppendRecord {
  return {
    timestamp: BigInt(i),
    leaderEpoch,
    body: Buffer.from(`record-${i}-`.padEnd(72, "c")),
  };
}

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lb-log-checkpoints-"));
  t.teardown(() => CommitLog.destroy(dir));
  return dir;
}

async function opened(t: ExecutionContext, dir: string, options = OPTIONS): Promise<CommitLog> {
  const log = await CommitLog.open(dir, options);
  t.teardown(() => log.close());
  return log;
}

async function offsets(log: CommitLog, from = 0): Promise<number[]> {
  return (await log.read(from, 1 << 20)).map((r) => r.offset);
}

test("start-up scans no more with 100 segments than with 5", async (t) => {
  const scanned: number[] = [];
  for (const segments of [5, 100]) {
    const dir = await tempDir(t);
    const log = await CommitLog.open(dir, { ...OPTIONS, sync: "always" });
    for (let i = 0; i < segments * 10 - 3; i++) await log.append([recordFor(i)]);
    await log.close();
    const reopened = await opened(t, dir);
    t.is(reopened.segmentCount, segments);
    t.is(reopened.nextOffset, segments * 10 - 3);
    scanned.push(reopened.recovery.scannedBytes);
  }
  t.deepEqual(scanned, [0, 0], "a clean shutdown leaves a recovery point at the end");
});

test("after a crash only the records past the recovery point are scanned", async (t) => {
  const scanned: number[] = [];
  for (const segments of [5, 60]) {
    const fs = new FaultFs();
    const options: LogOptions = {
      ...OPTIONS,
      sync: "always",
      recoveryPointBytes: 3 * RECORD_BYTES,
      fs,
    };
    const log = await CommitLog.open("/data/p0", options);
    for (let i = 0; i < segments * 10 - 5; i++) await log.append([recordFor(i)]);
    fs.crash();
    await log.close().catch(() => {});
    fs.restart();
    const reopened = await CommitLog.open("/data/p0", options);
    t.is(reopened.nextOffset, segments * 10 - 5, "every acknowledged record is back");
    t.true(reopened.recovery.scannedBytes <= 3 * RECORD_BYTES);
    scanned.push(reopened.recovery.scannedBytes);
    await reopened.close();
  }
  t.is(scanned[0], scanned[1]);
});

test("a missing or damaged recovery point falls back to scanning the whole last segment", async (t) => {
  const dir = await tempDir(t);
  const log = await CommitLog.open(dir, OPTIONS);
  for (let i = 0; i < 25; i++) await log.append([recordFor(i)]);
  await log.close();
  const path = join(dir, "recovery-point.checkpoint");
  const bytes = await readFile(path);
  bytes[bytes.length - 3] ^= 1;
  await writeFile(path, bytes);
  const damaged = await CommitLog.open(dir, OPTIONS);
  t.regex(damaged.recovery.recoveryPointIgnored ?? "", /CRC-32C mismatch|malformed/);
  t.is(damaged.recovery.scannedBytes, 5 * RECORD_BYTES);
  t.deepEqual(await offsets(damaged, 20), [20, 21, 22, 23, 24]);
  await damaged.close();

  await unlink(path);
  const missing = await opened(t, dir);
  t.regex(missing.recovery.recoveryPointIgnored ?? "", /is missing/);
  t.is(missing.recovery.scannedBytes, 5 * RECORD_BYTES);
});

test("the leader epoch cache follows appends, survives reopens and answers endOffsetForEpoch", async (t) => {
  const dir = await tempDir(t);
  const log = await CommitLog.open(dir, OPTIONS);
  const epochs = [1, 1, 1, 3, 3, 2, 5, 5];
  for (const [i, epoch] of epochs.entries()) await log.append([recordFor(i, epoch)]);
  const expected = [
    { epoch: 1, startOffset: 0 },
    { epoch: 3, startOffset: 3 },
    { epoch: 5, startOffset: 6 },
  ];
  t.deepEqual(log.leaderEpochs, expected, "a lower epoch does not start a new one");
  t.is(log.endOffsetForEpoch(0), undefined);
  t.deepEqual(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 3 });
  t.deepEqual(log.endOffsetForEpoch(2), { epoch: 1, endOffset: 3 });
  t.deepEqual(log.endOffsetForEpoch(3), { epoch: 3, endOffset: 6 });
  t.deepEqual(log.endOffsetForEpoch(9), { epoch: 5, endOffset: 8 });
  t.throws(() => log.endOffsetForEpoch(-1), { message: /epoch is -1/ });
  await log.close();

  const reopened = await CommitLog.open(dir, OPTIONS);
  t.deepEqual(reopened.leaderEpochs, expected);
  await reopened.close();

  await unlink(join(dir, "leader-epochs.checkpoint"));
  const rebuilt = await opened(t, dir);
  t.deepEqual(rebuilt.leaderEpochs, expected, "rebuilt from the records when the file is gone");
});

test("epochs of records written after the last checkpoint come back after a crash", async (t) => {
  const fs = new FaultFs();
  const options: LogOptions = { ...OPTIONS, sync: "always", fs };
  const log = await CommitLog.open("/data/p0", options);
  await log.append([recordFor(0, 1)]);
  fs.failWith.rename = "EIO"; // checkpoints can no longer be written
  await log.append([recordFor(1, 2)]);
  await log.append([recordFor(2, 4)]);
  fs.crash();
  await log.close().catch(() => {});
  fs.restart();
  fs.failWith = {};
  const reopened = await CommitLog.open("/data/p0", options);
  t.deepEqual(reopened.leaderEpochs, [
    { epoch: 1, startOffset: 0 },
    { epoch: 2, startOffset: 1 },
    { epoch: 4, startOffset: 2 },
  ]);
  await reopened.close();
});

test("the high watermark checkpoint round-trips and is capped at the newest offset", async (t) => {
  const dir = await tempDir(t);
  const log = await CommitLog.open(dir, OPTIONS);
  t.is(log.loadedHighWatermark, undefined);
  for (let i = 0; i < 5; i++) await log.append([recordFor(i)]);
  await log.checkpointHighWatermark(3);
  await t.throwsAsync(log.checkpointHighWatermark(-2), { message: /highWatermark is -2/ });
  await log.close();
  const reopened = await CommitLog.open(dir, OPTIONS);
  t.is(reopened.loadedHighWatermark, 3);
  await reopened.checkpointHighWatermark(40);
  await reopened.close();
  // Records up to 40 were committed, says the checkpoint: 5..40 are lost, never reused.
  const lost = await opened(t, dir);
  t.is(lost.loadedHighWatermark, 40);
  t.like(lost.damage(), [{ fromOffset: 5, toOffset: 40, kind: "missing" }]);
  t.is(lost.nextOffset, 41);
});

test("truncateTo drops every record at or after an offset, across segments", async (t) => {
  const dir = await tempDir(t);
  const log = await CommitLog.open(dir, OPTIONS);
  for (let i = 0; i < 35; i++) await log.append([recordFor(i, i < 15 ? 1 : 2)]);
  await log.truncateTo(40);
  t.is(log.nextOffset, 35, "beyond the end: nothing to do");
  await log.truncateTo(12);
  t.is(log.nextOffset, 12);
  t.is(log.segmentCount, 2);
  t.deepEqual(log.leaderEpochs, [{ epoch: 1, startOffset: 0 }]);
  t.deepEqual(await offsets(log, 9), [9, 10, 11]);
  t.is(await log.append([recordFor(12, 3)]), 12);
  t.deepEqual(log.endOffsetForEpoch(2), { epoch: 1, endOffset: 12 });
  await log.truncateTo(10);
  t.deepEqual(await offsets(log, 8), [8, 9]);
  await log.close();

  const reopened = await opened(t, dir);
  t.is(reopened.nextOffset, 10);
  t.is(reopened.recovery.scannedBytes, 0);
  t.deepEqual(await offsets(reopened, 0), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  await reopened.truncateTo(0);
  t.is(reopened.nextOffset, 0);
  t.deepEqual(await offsets(reopened), []);
  t.is(await reopened.append([recordFor(0)]), 0);
});

test("restartAt empties the log and continues at an offset beyond its end, across a reopen", async (t) => {
  const dir = await tempDir(t);
  const log = await CommitLog.open(dir, OPTIONS);
  for (let i = 0; i < 25; i++) await log.append([recordFor(i, 1)]);
  await log.restartAt(500);
  t.is(log.nextOffset, 500);
  t.is(log.oldestOffset, 500);
  t.is(log.segmentCount, 1);
  t.deepEqual(log.leaderEpochs, []);
  t.deepEqual(await offsets(log), []);
  t.is(await log.append([recordFor(500, 4)]), 500);
  await log.close();
  const reopened = await opened(t, dir);
  t.is(reopened.nextOffset, 501);
  t.deepEqual(await offsets(reopened), [500]);
  t.deepEqual(reopened.leaderEpochs, [{ epoch: 4, startOffset: 500 }]);
});

test("writeFileAtomic replaces a file and leaves no temporary file", async (t) => {
  const dir = await tempDir(t);
  await nodeFileSystem.mkdir(dir);
  const path = join(dir, "x.checkpoint");
  await writeFileAtomic(nodeFileSystem, path, Buffer.from("one"));
  await writeFileAtomic(nodeFileSystem, path, Buffer.from("two"));
  t.is(await readFile(path, "utf8"), "two");
  t.deepEqual(await nodeFileSystem.readdir(dir), ["x.checkpoint"]);

  // Under the fault layer: a crash at any step before the directory sync keeps the old
  // contents whole (create tmp, write, datasync, rename, sync directory: 5 steps).
  for (let step = 1; step <= 5; step++) {
    const fs = new FaultFs();
    await fs.mkdir("/d");
    await fs.syncDirectory("/");
    await writeFileAtomic(fs, "/d/f", Buffer.from("old"));
    fs.crashAfter(step);
    await t.throwsAsync(writeFileAtomic(fs, "/d/f", Buffer.from("new")));
    fs.restart();
    t.is(fs.bytesOf("/d/f").toString(), "old", `crash at step ${step}`);
    await writeFileAtomic(fs, "/d/f", Buffer.from("new"));
    fs.crash();
    fs.restart();
    t.is(fs.bytesOf("/d/f").toString(), "new");
  }
});
