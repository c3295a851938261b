import test from "ava";
import { CommitLog, type LogOptions, type StoredRecord } from "../../src/server/log/index.js";
import { FaultFs } from "../helpers/fault-fs.js";

const DIR = "/data/streams/s/0";

const keyOf = (body: Uint8Array): Uint8Array | undefined => {
  const text = Buffer.from(body).toString();
  return text.includes("=") ? Buffer.from(text.split("=")[0]!) : undefined;
};

async function readAll(log: CommitLog): Promise<string[]> {
  const out: StoredRecord[] = [];
  let from = 0;
  for (;;) {
    const records = await log.read(from, 1000);
    if (records.length === 0) break;
    out.push(...records);
    from = records.at(-1)!.offset + 1;
  }
  return out.map((r) => `${r.offset}:${Buffer.from(r.body).toString()}`);
}

/** The same log every time: 60 records over keys k0..k6 and some without a key. */
async function setUp(): Promise<{ fs: FaultFs; log: CommitLog; options: LogOptions }> {
  const fs = new FaultFs();
  const options: LogOptions = { sync: "always", segmentMaxBytes: 300, keyOf, fs };
  const log = await CommitLog.open(DIR, options);
  for (let i = 0; i < 60; i++) {
    const body = i % 5 === 0 ? `plain-${i}` : `k${i % 7}=${i}`;
    await log.append([{ timestamp: BigInt(i), leaderEpoch: 0, body: Buffer.from(body) }]);
  }
  return { fs, log, options };
}

test("a crash at any point of a compaction leaves the old or the new segment set", async (t) => {
  const reference = await setUp();
  const before = await readAll(reference.log);
  const start = reference.fs.mutationCount;
  await reference.log.compact();
  const after = await readAll(reference.log);
  const steps = reference.fs.mutationCount - start;
  await reference.log.close();
  t.notDeepEqual(before, after);

  const outcomes = { old: 0, new: 0 };
  for (let step = 1; step <= steps; step++) {
    const { fs, log, options } = await setUp();
    fs.crashAfter(step);
    await t.throwsAsync(log.compact(), undefined, `crash at step ${step}`);
    await log.close().catch(() => {});
    fs.restart();

    const recovered = await CommitLog.open(DIR, options);
    const records = await readAll(recovered);
    const which = JSON.stringify(records) === JSON.stringify(before) ? "old" : "new";
    t.deepEqual(records, which === "old" ? before : after, `crash at step ${step}`);
    outcomes[which]++;
    t.false(
      fs
        .list(DIR)
        .some(
          (name) => name.includes("compacted") || name.includes("swap") || name.endsWith(".tmp"),
        ),
      `leftovers after a crash at step ${step}: ${fs.list(DIR).join()}`,
    );
    t.is(
      await recovered.append([{ timestamp: 99n, leaderEpoch: 0, body: Buffer.from("k1=new") }]),
      60,
    );
    await recovered.close();
    const again = await CommitLog.open(DIR, options);
    t.deepEqual((await readAll(again)).slice(0, -1), records, "stable across another reopen");
    await again.close();
  }
  t.true(outcomes.old > 0 && outcomes.new > 0, JSON.stringify(outcomes));
});
