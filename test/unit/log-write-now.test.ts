import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import {
  CommitLog,
  type LogFile,
  type LogFileSystem,
  nodeFileSystem,
} from "../../src/server/log/index.js";

/** The real file system, counting the writes made on the calling thread and in the pool. */
function countingFs(failNow?: () => boolean) {
  const counts = { now: 0, pool: 0 };
  const fs: LogFileSystem = {
    ...nodeFileSystem,
    async open(path, mode) {
      const file = await nodeFileSystem.open(path, mode);
      const wrapped: LogFile = {
        read: (...args) => file.read(...args),
        write: (...args) => {
          counts.pool++;
          return file.write(...args);
        },
        writeNow: (...args) => {
          counts.now++;
          if (failNow?.()) throw Object.assign(new Error("ENOSPC: no space"), { code: "ENOSPC" });
          return file.writeNow!(...args);
        },
        truncate: (size) => file.truncate(size),
        datasync: () => file.datasync(),
        size: () => file.size(),
        close: () => file.close(),
      };
      return wrapped;
    },
  };
  return { fs, counts };
}

const record = (i: number, bytes: number) => ({
  timestamp: BigInt(i),
  leaderEpoch: 0,
  body: Buffer.alloc(bytes, i % 251),
});

test("small appends are written on the event-loop thread, large ones in the pool", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "lb-log-now-"));
  t.teardown(() => CommitLog.destroy(dir));
  const { fs, counts } = countingFs();
  const log = await CommitLog.open(dir, { fs, sync: "always" });
  for (let i = 0; i < 5; i++) await log.append([record(i, 100)]);
  t.is(counts.now, 10, "a log write and an index write per append");
  const poolBefore = counts.pool;
  await log.append([record(5, 512 * 1024)]);
  t.true(counts.pool > poolBefore, "a 512 KiB append goes to the pool");
  t.is(counts.now, 10);
  await log.close();

  const reopened = await CommitLog.open(dir);
  t.teardown(() => reopened.close());
  const records = await reopened.read(0, 1 << 21);
  t.deepEqual(
    records.map((r) => [r.offset, r.body.length, r.body[0]]),
    [0, 1, 2, 3, 4, 5].map((i) => [i, i === 5 ? 512 * 1024 : 100, i]),
  );
  t.is(reopened.recovery.truncatedBytes, 0);
});

test("a failed write on the event-loop thread rejects the append and stores nothing", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "lb-log-now-fail-"));
  t.teardown(() => CommitLog.destroy(dir));
  let fail = false;
  const { fs } = countingFs(() => fail);
  const log = await CommitLog.open(dir, { fs });
  t.is(await log.append([record(0, 100)]), 0);
  fail = true;
  const err = await t.throwsAsync(log.append([record(1, 100)]));
  t.regex(String(err?.message), /ENOSPC/);
  fail = false;
  t.is(await log.append([record(2, 100)]), 1, "the failed append used no offset");
  t.deepEqual(
    (await log.read(0, 1 << 20)).map((r) => r.body[0]),
    [0, 2],
  );
  await log.close();
});
