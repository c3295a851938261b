import test from "ava";
import fc from "fast-check";
import { CommitLog, type LogOptions, type StoredRecord } from "../../src/server/log/index.js";
import { FaultFs } from "../helpers/fault-fs.js";

const DIR = "/data/streams/s/0";

type Step =
  | { kind: "append"; sizes: number[][] }
  | { kind: "sync" }
  | { kind: "roll" }
  | { kind: "epoch" }
  | { kind: "crash" }
  | { kind: "crashDuringAppends"; after: number; sizes: number[][] }
  | { kind: "reopen" };

const appendSizes = fc.array(
  fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 1, maxLength: 3 }),
  {
    minLength: 1,
    maxLength: 6,
  },
);

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("append" as const), sizes: appendSizes }) },
  { weight: 1, arbitrary: fc.constant({ kind: "sync" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "roll" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "epoch" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "crash" as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("crashDuringAppends" as const),
      after: fc.integer({ min: 1, max: 12 }),
      sizes: appendSizes,
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "reopen" as const }) },
);

let bodyCounter = 0;
function body(size: number): Buffer {
  const id = `#${bodyCounter++}#`;
  return Buffer.from(id.padEnd(Math.max(size, id.length), "x"));
}

async function readAll(log: CommitLog): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  let from = log.oldestOffset;
  for (;;) {
    const records = await log.read(from, 4096);
    if (records.length === 0) return out;
    out.push(...records);
    from = records.at(-1)!.offset + 1;
  }
}

/**
 * The model: what the log held after its last recovery, and every record attempted since, in
 * append order (the log assigns offsets in that order). After a crash the log must hold
 * `recovered ++ attempted[0..k]` for some k covering every acknowledged record: nothing
 * acknowledged is lost, and nothing is served that was not appended there.
 */
test("with sync always no acknowledged record is lost and nothing else is served", async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
      const fs = new FaultFs();
      const options: LogOptions = {
        sync: "always",
        segmentMaxBytes: 600,
        recoveryPointBytes: 400,
        fs,
      };
      let log = await CommitLog.open(DIR, options);
      let recovered: string[] = [];
      let attempted: { body: string; epoch: number }[] = [];
      let acknowledgedEnd = 0;
      let epoch = 0;

      const appendAll = async (sizes: number[][]) => {
        const results = await Promise.allSettled(
          sizes.map((group) => {
            const records = group.map((size) => ({
              timestamp: 1n,
              leaderEpoch: epoch,
              body: body(size),
            }));
            attempted.push(...records.map((r) => ({ body: r.body.toString(), epoch })));
            return log.append(records).then((base) => ({ base, count: records.length }));
          }),
        );
        for (const result of results) {
          if (result.status === "fulfilled") {
            acknowledgedEnd = Math.max(acknowledgedEnd, result.value.base + result.value.count);
          }
        }
        return results;
      };

      const recover = async () => {
        await log.close().catch(() => {});
        fs.restart();
        log = await CommitLog.open(DIR, options);
        const bodies = (await readAll(log)).map((r) => Buffer.from(r.body).toString());
        const expected = [...recovered, ...attempted.map((a) => a.body)];
        t.true(
          bodies.length >= acknowledgedEnd,
          `lost acknowledged records: ${bodies.length} < ${acknowledgedEnd}`,
        );
        t.deepEqual(
          bodies,
          expected.slice(0, bodies.length),
          "recovered log is a prefix of what was appended",
        );
        t.is(log.nextOffset, bodies.length);
        // The leader epochs match the records that survived.
        const epochs: { epoch: number; startOffset: number }[] = [];
        const all = await readAll(log);
        for (const r of all) {
          if (epochs.length === 0 || r.leaderEpoch > epochs.at(-1)!.epoch) {
            epochs.push({ epoch: r.leaderEpoch, startOffset: r.offset });
          }
        }
        t.deepEqual(log.leaderEpochs, epochs);
        recovered = bodies;
        attempted = [];
        acknowledgedEnd = bodies.length;
      };

      for (const s of steps) {
        switch (s.kind) {
          case "append": {
            const results = await appendAll(s.sizes);
            t.true(results.every((r) => r.status === "fulfilled"));
            break;
          }
          case "sync":
            await log.sync();
            break;
          case "roll":
            await log.roll();
            break;
          case "epoch":
            epoch++;
            break;
          case "crash":
            fs.crash();
            await recover();
            break;
          case "crashDuringAppends":
            fs.crashAfter(s.after);
            await appendAll(s.sizes);
            if (!fs.isHalted) fs.crash();
            await recover();
            break;
          case "reopen":
            await log.close();
            await recover();
            break;
        }
      }
      fs.crash();
      await recover();
      await log.close();
    }),
    { numRuns: 150 },
  );
});

test("with sync none a crash still recovers a consistent prefix", async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(appendSizes, { minLength: 1, maxLength: 10 }),
      fc.nat(30),
      async (bursts, after) => {
        const fs = new FaultFs();
        const options: LogOptions = { sync: "none", segmentMaxBytes: 500, fs };
        const log = await CommitLog.open(DIR, options);
        const appended: string[] = [];
        fs.crashAfter(after + 1);
        for (const sizes of bursts) {
          await Promise.allSettled(
            sizes.map((group) => {
              const records = group.map((size) => ({
                timestamp: 1n,
                leaderEpoch: 0,
                body: body(size),
              }));
              appended.push(...records.map((r) => r.body.toString()));
              return log.append(records);
            }),
          );
        }
        if (!fs.isHalted) fs.crash();
        await log.close().catch(() => {});
        fs.restart();
        const reopened = await CommitLog.open(DIR, options);
        const bodies = (await readAll(reopened)).map((r) => Buffer.from(r.body).toString());
        t.deepEqual(bodies, appended.slice(0, bodies.length));
        await reopened.close();
      },
    ),
    { numRuns: 100 },
  );
});
