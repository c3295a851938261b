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
  segmentPick: fc.nat(),
  bytePick: fc.nat(),
  bit: fc.integer({ min: 0, max: 7 }),
  kind: fc.constantFrom("truncate", "flip"),
  dropRecoveryPoint: fc.boolean(),
});

test("recovery keeps exactly the valid prefix of the last segment; damage elsewhere fails its reads", async (t) => {
  await fc.assert(
    fc.asyncProperty(
      damage,
      async ({ sizes, segmentPick, bytePick, bit, kind, dropRecoveryPoint }) => {
        const { fs, layout, segments } = await writeLog(sizes);
        const segment = segments[segmentPick % segments.length]!;
        const path = `${DIR}/${segment}`;
        const bytes = fs.bytesOf(path);
        const isLast = segment === segments.at(-1);
        const at = bytePick % bytes.length;
        if (kind === "truncate") fs.setBytes(path, bytes.subarray(0, at));
        else {
          bytes[at]! ^= 1 << bit;
          fs.setBytes(path, bytes);
        }
        if (dropRecoveryPoint) await fs.unlink(`${DIR}/recovery-point.checkpoint`);
        // The first damaged record: the one holding the byte (or the cut).
        const damaged = layout.find((r) => r.segment === segment && r.end > at)!;

        const log = await CommitLog.open(DIR, { segmentMaxBytes: 400, fs });
        for (const r of layout.filter((r) => r.offset < damaged.offset)) {
          t.is(await readOne(log, r.offset), r.body, `record ${r.offset} before the damage`);
        }
        const outcome = await readOne(log, damaged.offset);
        if (isLast && (kind === "truncate" || dropRecoveryPoint)) {
          // Scanned at open: cut back to exactly the records before the damaged one.
          t.is(log.nextOffset, damaged.offset);
          t.is(outcome, undefined);
          // A cut at a record boundary leaves nothing torn to remove.
          if (kind === "flip") t.true(log.recovery.truncatedBytes > 0);
          t.is(
            await log.append([{ timestamp: 99n, leaderEpoch: 0, body: Buffer.from("after") }]),
            damaged.offset,
          );
        } else if (isLast && log.nextOffset === damaged.offset) {
          // The flip hit a header the recovery point is checked against, forcing a full scan.
          t.is(outcome, undefined);
        } else {
          t.true(
            outcome instanceof CorruptRecordError,
            `read of ${damaged.offset} gave ${String(outcome)}`,
          );
          t.is((outcome as CorruptRecordError).offset, damaged.offset);
          t.is((outcome as CorruptRecordError).segment, path);
          for (const r of layout.filter((r) => r.segment > segment)) {
            t.is(
              await readOne(log, r.offset),
              r.body,
              `record ${r.offset} after the damaged segment`,
            );
          }
        }
        await log.close();
      },
    ),
    { numRuns: 300 },
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
