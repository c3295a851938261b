import test from "ava";
import fc from "fast-check";
import { CommitLog, CorruptRecordError } from "../../src/server/log/index.js";
import { inspectPartition } from "../../src/server/log/log-inspection.js";
import { FaultFs } from "../helpers/fault-fs.js";

const DIR = "/data/streams/s/0";
const HEADER_BYTES = 28;

interface Layout {
  offset: number;
  segment: string;
  start: number;
  end: number;
  body: string;
}

/** A closed log of records with the given body sizes, and where each record sits. */
async function writeLog(
  sizes: number[],
): Promise<{ fs: FaultFs; layout: Layout[]; segments: string[] }> {
  const fs = new FaultFs();
  const log = await CommitLog.open(DIR, { sync: "always", segmentMaxBytes: 400, fs });
  const layout: Layout[] = [];
  for (const [i, size] of sizes.entries()) {
    const body = `r${i}:`.padEnd(size, "z");
    await log.append([{ timestamp: BigInt(i), leaderEpoch: 0, body: Buffer.from(body) }]);
  }
  await log.close();
  const segments = fs.list(DIR).filter((n) => n.endsWith(".log"));
  let offset = 0;
  for (const name of segments) {
    const bytes = fs.bytesOf(`${DIR}/${name}`);
    for (let at = 0; at < bytes.length; offset++) {
      const end = at + 8 + bytes.readUInt32BE(at + 4);
      layout.push({
        offset,
        segment: name,
        start: at,
        end,
        body: bytes.subarray(at + HEADER_BYTES, end).toString(),
      });
      at = end;
    }
  }
  return { fs, layout, segments };
}

async function readOne(
  log: CommitLog,
  offset: number,
): Promise<string | CorruptRecordError | undefined> {
  try {
    const [record] = await log.read(offset, 1);
    return record?.offset === offset ? Buffer.from(record.body).toString() : undefined;
  } catch (err) {
    if (err instanceof CorruptRecordError) return err;
    throw err;
  }
}

const damage = fc.record({
  sizes: fc.array(fc.integer({ min: 1, max: 90 }), { minLength: 1, maxLength: 40 }),
  filePick: fc.nat(),
  bytePick: fc.nat(),
  bit: fc.integer({ min: 0, max: 7 }),
  kind: fc.constantFrom("truncate", "flip"),
  dropRecoveryPoint: fc.boolean(),
});

test("random damage to any byte of a stopped log's files: never a start-up crash, a served damaged record or a reused offset", async (t) => {
  await fc.assert(
    fc.asyncProperty(
      damage,
      async ({ sizes, filePick, bytePick, bit, kind, dropRecoveryPoint }) => {
        const { fs, layout, segments } = await writeLog(sizes);
        // Segments, indexes and every checkpoint (recovery point, epochs, segment list, ...).
        const files = fs.list(DIR).filter((n) => !n.endsWith(".tmp"));
        const name = files[filePick % files.length]!;
        const path = `${DIR}/${name}`;
        const bytes = fs.bytesOf(path);
        const at = bytes.length === 0 ? 0 : bytePick % bytes.length;
        if (kind === "truncate") fs.setBytes(path, bytes.subarray(0, at));
        else if (bytes.length > 0) {
          bytes[at]! ^= 1 << bit;
          fs.setBytes(path, bytes);
        }
        if (dropRecoveryPoint) await fs.unlink(`${DIR}/recovery-point.checkpoint`);
        const isLastLog = name === segments.at(-1);

        const log = await CommitLog.open(DIR, { segmentMaxBytes: 400, fs });
        let highestServed = -1;
        for (const r of layout) {
          const outcome = await readOne(log, r.offset);
          if (typeof outcome === "string") {
            t.is(outcome, r.body, `record ${r.offset} is served intact or not at all`);
            highestServed = r.offset;
            continue;
          }
          const intact = r.segment !== name || r.end <= at || (kind === "flip" && r.start > at);
          if (name.endsWith(".log") && intact && !(isLastLog && dropRecoveryPoint)) {
            t.fail(
              `record ${r.offset}, untouched by the damage, is not served: ${String(outcome)}`,
            );
          }
          // A record the log cannot serve is reported, unless it was an unsynced torn tail.
          if (!(isLastLog && dropRecoveryPoint)) {
            t.truthy(
              log.damage().find((d) => d.fromOffset <= r.offset && r.offset <= d.toOffset),
              `record ${r.offset} is listed in damage()`,
            );
          }
        }
        const offset = await log.append([
          { timestamp: 99n, leaderEpoch: 0, body: Buffer.from("after") },
        ]);
        t.true(offset > highestServed, `append at ${offset} reuses no served offset`);
        for (const d of log.damage()) t.true(offset > d.toOffset, "nor a damaged one");
        if (!dropRecoveryPoint)
          t.is(offset, layout.length, "everything was synced: no offset is reused");
        await log.close();
      },
    ),
    { numRuns: 200 },
  );
});

test("inspection (lb log verify) reports every flipped record, wherever the flips are", async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 1, max: 90 }), { minLength: 1, maxLength: 40 }),
      fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 7 })), {
        minLength: 1,
        maxLength: 5,
      }),
      async (sizes, flips) => {
        const { fs, layout } = await writeLog(sizes);
        const original = new Map(layout.map((r) => [r.segment, fs.bytesOf(`${DIR}/${r.segment}`)]));
        for (const [recordPick, bytePick, bit] of flips) {
          const record = layout[recordPick % layout.length]!;
          const path = `${DIR}/${record.segment}`;
          const bytes = fs.bytesOf(path);
          bytes[record.start + (bytePick % (record.end - record.start))]! ^= 1 << bit;
          fs.setBytes(path, bytes);
        }
        // Two flips of the same bit cancel out: compare with the original bytes.
        const flipped = new Set(
          layout
            .filter((r) => {
              const now = fs.bytesOf(`${DIR}/${r.segment}`).subarray(r.start, r.end);
              return !now.equals(original.get(r.segment)!.subarray(r.start, r.end));
            })
            .map((r) => r.offset),
        );
        const reported = new Set<number>();
        let sound = 0;
        for await (const record of inspectPartition(DIR, fs)) {
          if (record.problem) reported.add(record.offset);
          else sound++;
        }
        for (const offset of flipped)
          t.true(reported.has(offset), `flipped record ${offset} not reported`);
        for (const offset of reported)
          t.true(flipped.has(offset), `record ${offset} reported but not flipped`);
        t.is(sound, layout.length - flipped.size);
      },
    ),
    { numRuns: 300 },
  );
});
