import { execFile } from "node:child_process";
import { mkdtemp, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import test from "ava";
import { CommitLog } from "../../src/server/log/index.js";

const run = promisify(execFile);

// Runs in a child process whose file size limit is 8 KiB, so writes past it fail with EFBIG
// (SIGXFSZ is ignored): real failed writes, partial ones included, against a real file.
const CHILD = `
const { CommitLog } = await import(process.env.LB_MODULE);
const log = await CommitLog.open(process.env.LB_DIR, { sync: "always" });
const body = Buffer.alloc(1000, 1);
const record = (i) => ({ timestamp: BigInt(i), leaderEpoch: 0, body });
const outcome = (p) => p.then((base) => base, (err) => err.code);
// One group write of 12 records (12336 bytes) crosses the limit and must fail as a whole.
const grouped = await Promise.all(Array.from({ length: 12 }, (_, i) => outcome(log.append([record(i)]))));
const afterGroup = log.nextOffset;
const sequential = [];
for (let i = 0; i < 10; i++) sequential.push(await outcome(log.append([record(i)])));
const readBack = (await log.read(0, 1 << 20)).map((r) => r.offset);
await log.close();
console.log(JSON.stringify({ grouped, afterGroup, sequential, nextOffset: log.nextOffset, readBack }));
`;

test("a failed write rejects its appends and leaves the log consistent", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "lb-log-efbig-"));
  t.teardown(() => CommitLog.destroy(dir));
  const { stdout } = await run(
    "bash",
    ["-c", 'trap "" XFSZ; ulimit -f 8; exec "$LB_NODE" --input-type=module -e "$LB_CHILD"'],
    {
      env: {
        ...process.env,
        LB_NODE: process.execPath,
        LB_CHILD: CHILD,
        LB_DIR: dir,
        LB_MODULE: new URL("../../src/server/log/index.js", import.meta.url).href,
      },
    },
  );
  const result = JSON.parse(stdout);
  t.deepEqual(result.grouped, Array(12).fill("EFBIG"));
  t.is(result.afterGroup, 0, "a failed group write consumes no offsets");
  // 7 records of 1028 bytes fit under 8192; the 8th write is cut short by the limit.
  t.deepEqual(result.sequential, [0, 1, 2, 3, 4, 5, 6, "EFBIG", "EFBIG", "EFBIG"]);
  t.is(result.nextOffset, 7);
  t.deepEqual(result.readBack, [0, 1, 2, 3, 4, 5, 6]);
  t.is((await stat(join(dir, "00000000000000000000.log"))).size, 7 * 1028);
  t.is((await stat(join(dir, "00000000000000000000.index"))).size, 7 * 8);

  const log = await CommitLog.open(dir);
  t.teardown(() => log.close());
  t.deepEqual(log.recovery, {
    truncatedBytes: 0,
    rebuiltIndexes: [],
    scannedBytes: 0,
    damagedSegments: [],
    damage: [],
  });
  t.is(await log.append([{ timestamp: 7n, leaderEpoch: 0, body: Buffer.alloc(1000, 1) }]), 7);
  t.deepEqual(
    (await log.read(0, 1 << 20)).map((r) => r.offset),
    [0, 1, 2, 3, 4, 5, 6, 7],
  );
});
