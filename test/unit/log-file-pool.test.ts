import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import {
  type AppendRecord,
  CommitLog,
  FileHandlePool,
  type LogFile,
  type LogFileSystem,
  nodeFileSystem,
  pooledFileSystem,
} from "../../src/server/log/index.js";
import { waitFor } from "../helpers/wait.js";

/** The real file system, counting the descriptors open and recording each file's operations. */
class CountingFs {
  open = 0;
  maxOpen = 0;
  readonly calls: string[] = [];
  /** Makes the next datasync of a file whose path ends with this fail (once). */
  failNextSyncOf?: string;

  readonly fs: LogFileSystem = {
    ...nodeFileSystem,
    open: async (path, mode) => {
      const file = await nodeFileSystem.open(path, mode);
      this.open++;
      this.maxOpen = Math.max(this.maxOpen, this.open);
      this.calls.push(`open ${path}`);
      const counted: LogFile = {
        read: (...args) => file.read(...args),
        write: (...args) => file.write(...args),
        writeNow: (...args) => file.writeNow!(...args),
        truncate: (size) => file.truncate(size),
        datasync: async () => {
          if (this.failNextSyncOf && path.endsWith(this.failNextSyncOf)) {
            this.failNextSyncOf = undefined;
            throw Object.assign(new Error(`EIO: i/o error, fsync '${path}'`), { code: "EIO" });
          }
          this.calls.push(`datasync ${path}`);
          await file.datasync();
        },
        size: () => file.size(),
        close: async () => {
          this.open--;
          this.calls.push(`close ${path}`);
          await file.close();
        },
      };
      return counted;
    },
  };
}

const record = (i: number, key = `k${i % 7}`): AppendRecord => ({
  timestamp: BigInt(i),
  leaderEpoch: 0,
  body: Buffer.from(`${key}|${`value-${i}`.padEnd(60, "v")}`),
});

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lb-file-pool-"));
  t.teardown(() => CommitLog.destroy(dir));
  return dir;
}

const bodies = async (log: CommitLog, from = 0) =>
  (await log.read(from, 1 << 24)).map((r) => r.body.toString());

test("logs sharing a pool of 2 descriptors append, read, roll, compact, retain, truncate and reopen with at most 2 open", async (t) => {
  const counting = new CountingFs();
  const pool = new FileHandlePool(2);
  const fs = pooledFileSystem(counting.fs, pool);
  const options = {
    fs,
    segmentMaxBytes: 400,
    keyOf: (body: Uint8Array) => Buffer.from(Buffer.from(body).toString().split("|")[0]!),
  };
  const dirs = [await tempDir(t), await tempDir(t), await tempDir(t)];
  let logs = await Promise.all(dirs.map((dir) => CommitLog.open(dir, options)));
  const expected: string[][] = [[], [], []];
  for (let i = 0; i < 40; i++) {
    await Promise.all(
      logs.map(async (log, n) => {
        const r = record(i);
        await log.append([r]);
        expected[n]!.push(r.body.toString());
      }),
    );
  }
  for (const [n, log] of logs.entries()) {
    t.true(log.segmentCount > 5);
    t.deepEqual(await bodies(log), expected[n]);
  }
  await Promise.all(logs.map((log) => log.sync()));
  await Promise.all(logs.map((log) => log.close()));
  logs = await Promise.all(dirs.map((dir) => CommitLog.open(dir, options)));
  for (const [n, log] of logs.entries()) t.deepEqual(await bodies(log), expected[n]);

  t.true(counting.maxOpen <= 2, `${counting.maxOpen} descriptors were open at once`);

  // Compaction renames new segments over the old ones while reads may hold the old: those stay
  // open (outside the bound) until the old segments are closed.
  const [compacted, retained, truncated] = logs as [CommitLog, CommitLog, CommitLog];
  const before = await compacted.read(0, 1 << 24);
  await compacted.compact();
  await waitFor(() => counting.open <= 2, { message: "the replaced segments to close" });
  const after = await compacted.read(0, 1 << 24);
  t.true(after.length < before.length);
  for (const r of after) t.deepEqual(before.find((b) => b.offset === r.offset)?.body, r.body);

  await retained.enforceRetention({ maxMessages: 10 });
  t.true(retained.oldestOffset > 25);
  t.deepEqual(await bodies(retained), expected[1]!.slice(retained.oldestOffset));

  await truncated.truncateTo(25);
  t.deepEqual(await bodies(truncated), expected[2]!.slice(0, 25));
  await truncated.append([record(99)]);
  t.is(truncated.newestOffset, 25);

  await Promise.all(logs.map((log) => log.close()));
  logs = await Promise.all(dirs.map((dir) => CommitLog.open(dir, options)));
  t.deepEqual(
    logs.map((log) => log.recovery.damage),
    [[], [], []],
  );
  t.deepEqual(
    await bodies(logs[0]!),
    after.map((r) => r.body.toString()),
  );
  await Promise.all(logs.map((log) => log.close()));
  t.true(pool.stats.evictions > 0);
  t.true(pool.stats.reopens > 0);
  t.is(counting.open, 0);
});

test("a file closed for room with unsynced writes is opened again and fdatasynced by its next datasync", async (t) => {
  const counting = new CountingFs();
  const fs = pooledFileSystem(counting.fs, new FileHandlePool(1));
  const dir = await tempDir(t);
  const a = join(dir, "a");
  const fileA = await fs.open(a, "replace");
  await fileA.write(Buffer.from("unsynced"), 0, 8, 0);
  const fileB = await fs.open(join(dir, "b"), "replace");
  t.true(counting.calls.includes(`close ${a}`));
  await fileA.datasync();
  t.deepEqual(
    counting.calls.filter((c) => c.endsWith(`${a}`)),
    [`open ${a}`, `close ${a}`, `open ${a}`, `datasync ${a}`],
  );
  // Synced, and closed for room again: a sync with nothing new to flush opens nothing.
  const back = Buffer.alloc(8);
  await fileB.read(back, 0, 8, 0);
  const calls = counting.calls.length;
  await fileA.datasync();
  t.is(counting.calls.length, calls);
  t.is(await fileA.read(back, 0, 8, 0), 8);
  t.is(back.toString(), "unsynced");
  await fileA.close();
  await fileB.close();
  t.is(counting.open, 0);
});

test("a failed fdatasync is reported and the file stays due for one", async (t) => {
  const counting = new CountingFs();
  const fs = pooledFileSystem(counting.fs, new FileHandlePool(1));
  const dir = await tempDir(t);
  const a = await fs.open(join(dir, "a"), "replace");
  await a.write(Buffer.from("data"), 0, 4, 0);
  const b = await fs.open(join(dir, "b"), "replace");
  counting.failNextSyncOf = "/a";
  await t.throwsAsync(a.datasync(), { message: /EIO/ });
  await a.datasync();
  t.true(counting.calls.includes(`datasync ${join(dir, "a")}`));
  await a.close();
  await b.close();
  t.is(counting.open, 0);
});

test("a file renamed over or removed while its descriptor was closed still reads what it held", async (t) => {
  const counting = new CountingFs();
  const fs = pooledFileSystem(counting.fs, new FileHandlePool(1));
  const dir = await tempDir(t);
  await writeFile(join(dir, "old"), "old contents");
  await writeFile(join(dir, "gone"), "gone contents");
  const old = await fs.open(join(dir, "old"), "read");
  const gone = await fs.open(join(dir, "gone"), "read");
  await writeFile(join(dir, "new"), "new contents");
  await fs.rename(join(dir, "new"), join(dir, "old"));
  await fs.unlink(join(dir, "gone"));
  const read = async (file: LogFile) => {
    const bytes = Buffer.alloc(32);
    return bytes.subarray(0, await file.read(bytes, 0, 32, 0)).toString();
  };
  t.is(await read(old), "old contents");
  t.is(await read(gone), "gone contents");
  t.is(await readFile(join(dir, "old"), "utf8"), "new contents");
  await old.close();
  await gone.close();
  t.is(counting.open, 0);
});

test("a log reopened and closed with nothing new writes no checkpoint and syncs nothing", async (t) => {
  const dir = await tempDir(t);
  const first = await CommitLog.open(dir, { extentBesideDir: true });
  await first.append([record(1), record(2)]);
  await first.checkpointHighWatermark(1);
  await first.close();

  const counting = new CountingFs();
  const idle = await CommitLog.open(dir, { fs: counting.fs, extentBesideDir: true });
  t.is(idle.recovery.scannedBytes, 0);
  const opened = counting.calls.length;
  // A partition closing checkpoints its high watermark, unchanged here, then closes its log.
  await idle.checkpointHighWatermark(1);
  await idle.close();
  const after = counting.calls.slice(opened);
  t.deepEqual(
    after.filter((c) => !c.startsWith("close ")),
    [],
  );

  // With a record appended since, both are written again, and survive a reopen.
  const busy = await CommitLog.open(dir, { extentBesideDir: true });
  await busy.append([record(3)]);
  await busy.checkpointHighWatermark(2);
  await busy.close();
  const reopened = await CommitLog.open(dir, { extentBesideDir: true });
  t.is(reopened.recovery.scannedBytes, 0);
  t.is(reopened.loadedHighWatermark, 2);
  t.is(reopened.newestOffset, 2);
  await reopened.close();
});
