import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { CommitLog } from "../../src/server/log/index.js";
import { FaultFs } from "../helpers/fault-fs.js";

const record = (i: number, size = 100) => ({
  timestamp: BigInt(i),
  leaderEpoch: 0,
  body: Buffer.alloc(size, i % 256),
});

test("a new partition directory survives a power loss: its parents are synced when it is made", async (t) => {
  const fs = new FaultFs();
  const dir = "/data/streams/s/0";
  const log = await CommitLog.open(dir, { sync: "always", fs });
  for (const d of ["/", "/data", "/data/streams", "/data/streams/s"]) {
    t.true(fs.directorySyncs.includes(d), `${d} synced after its new child was made`);
  }
  await log.append([record(0)]);
  fs.crash();
  fs.restart();
  const reopened = await CommitLog.open(dir, { fs });
  t.is(reopened.nextOffset, 1, "the acknowledged record survived");
  await reopened.close();

  await CommitLog.destroy(dir, fs);
  t.is(fs.directorySyncs.at(-1), "/data/streams/s", "a deletion syncs the parent directory");
});

test("data files are 0600 and directories 0700", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "lb-modes-"));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const dir = join(root, "streams", "s", "0");
  const log = await CommitLog.open(dir, { segmentMaxBytes: 300 });
  for (let i = 0; i < 10; i++) await log.append([record(i)]);
  await log.checkpointHighWatermark(5);
  await log.close();
  for (const d of [join(root, "streams"), join(root, "streams", "s"), dir]) {
    t.is((await stat(d)).mode & 0o777, 0o700, d);
  }
  for (const name of await readdir(dir)) {
    t.is((await stat(join(dir, name))).mode & 0o777, 0o600, name);
  }
});

test("a group write rolls per append: a segment exceeds its limit only for a single larger append", async (t) => {
  const fs = new FaultFs();
  const log = await CommitLog.open("/d", { segmentMaxBytes: 32 * 1024, fs });
  // Queued together, these become one group write of about 453 KB.
  await Promise.all(Array.from({ length: 450 }, (_, i) => log.append([record(i, 1000)])));
  await log.append([record(450, 40 * 1024)]);
  await log.close();
  const sizes = fs
    .list("/d")
    .filter((n) => n.endsWith(".log"))
    .map((n) => fs.bytesOf(`/d/${n}`).length);
  t.true(sizes.length > 10);
  const over = sizes.filter((size) => size > 32 * 1024);
  t.deepEqual(over, [40 * 1024 + 28], "only the segment holding the single 40 KiB record");
});
