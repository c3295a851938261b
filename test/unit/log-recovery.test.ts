import {
  appendFile,
  mkdtemp,
  open,
  readdir,
  readFile,
  stat,
  truncate,
  unlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import {
  type AppendRecord,
  CommitLog,
  CorruptRecordError,
  type LogOptions,
  type StoredRecord,
} from "../../src/server/log/index.js";

const HEADER_BYTES = 28;
const BODY_BYTES = 72;
/** Every test record is stored in exactly this many bytes. */
const RECORD_BYTES = HEADER_BYTES + BODY_BYTES;
/** Three records per segment. */
const OPTIONS: LogOptions = { segmentMaxBytes: 3 * RECORD_BYTES };

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lb-log-recovery-"));
  t.teardown(() => CommitLog.destroy(dir));
  return dir;
}

function recordFor(i: number): AppendRecord {
  return {
    timestamp: 5000n + BigInt(i),
    leaderEpoch: 1,
    body: Buffer.from(`record-${i}-`.padEnd(BODY_BYTES, "y")),
  };
}

function plain(records: StoredRecord[]) {
  return records.map((r) => ({
    offset: r.offset,
    timestamp: r.timestamp,
    body: Buffer.from(r.body).toString(),
  }));
}

function expected(from: number, to: number) {
  const out = [];
  for (let i = from; i <= to; i++) {
    const r = recordFor(i);
    out.push({ offset: i, timestamp: r.timestamp, body: Buffer.from(r.body).toString() });
  }
  return out;
}

/** A closed log in a fresh dir holding records 0..count-1, three per segment. */
async function closedLog(t: ExecutionContext, count: number): Promise<string> {
  const dir = await tempDir(t);
  const log = await CommitLog.open(dir, OPTIONS);
  for (let i = 0; i < count; i++) await log.append([recordFor(i)]);
  await log.close();
  return dir;
}

async function reopen(t: ExecutionContext, dir: string): Promise<CommitLog> {
  const log = await CommitLog.open(dir, OPTIONS);
  t.teardown(() => log.close());
  return log;
}

function segmentPath(dir: string, base: number, ext: "log" | "index"): string {
  return join(dir, `${String(base).padStart(20, "0")}.${ext}`);
}

async function flipByte(path: string, position: number): Promise<void> {
  const file = await open(path, "r+");
  try {
    const byte = Buffer.alloc(1);
    await file.read(byte, 0, 1, position);
    byte[0] = byte[0]! ^ 0x40;
    await file.write(byte, 0, 1, position);
  } finally {
    await file.close();
  }
}

test("a torn tail is cut at reopen and appends continue at the right offset", async (t) => {
  const dir = await closedLog(t, 8); // segments 0, 3, 6; the last holds offsets 6 and 7
  const last = segmentPath(dir, 6, "log");
  await truncate(last, 2 * RECORD_BYTES - 5);
  // Without it, record 7 was never known to be on disk: a torn write, not lost data.
  await unlink(join(dir, "recovery-point.checkpoint"));

  const log = await reopen(t, dir);
  t.is(log.newestOffset, 6);
  t.is(log.recovery.truncatedBytes, RECORD_BYTES - 5);
  t.regex(log.recovery.truncationReason ?? "", /torn record/);
  t.deepEqual(log.recovery.rebuiltIndexes, [segmentPath(dir, 6, "index")]);
  t.is((await stat(last)).size, RECORD_BYTES);
  t.is((await stat(segmentPath(dir, 6, "index"))).size, 8);

  t.is(await log.append([recordFor(7)]), 7);
  t.is(await log.append([recordFor(8)]), 8);
  t.deepEqual(plain(await log.read(0, 1 << 20)), expected(0, 8));
});

test("a partial header at the end of the last segment is dropped", async (t) => {
  const dir = await closedLog(t, 4);
  await appendFile(segmentPath(dir, 3, "log"), Buffer.alloc(11, 0xab));

  const log = await reopen(t, dir);
  t.is(log.newestOffset, 3);
  t.is(log.recovery.truncatedBytes, 11);
  t.regex(log.recovery.truncationReason ?? "", /torn record header/);
  t.deepEqual(log.recovery.rebuiltIndexes, []);
  t.is(await log.append([recordFor(4)]), 4);
  t.deepEqual(plain(await log.read(0, 1 << 20)), expected(0, 4));
});

test("a flipped byte in a record makes reads of it throw CorruptRecordError", async (t) => {
  const dir = await closedLog(t, 9);
  // Offset 4 is the second record of the sealed segment starting at 3.
  const sealed = segmentPath(dir, 3, "log");
  await flipByte(sealed, RECORD_BYTES + HEADER_BYTES + 10);

  const log = await reopen(t, dir);
  t.deepEqual(log.recovery, {
    truncatedBytes: 0,
    rebuiltIndexes: [],
    scannedBytes: 0,
    damagedSegments: [],
    damage: [],
  });
  const error = await t.throwsAsync(log.read(0, 1 << 20), { instanceOf: CorruptRecordError });
  t.is(error?.offset, 4);
  t.is(error?.position, RECORD_BYTES);
  t.is(error?.segment, sealed);
  t.regex(error?.message ?? "", /offset 4.*CRC-32C mismatch/);
  await t.throwsAsync(log.read(4, 1), { instanceOf: CorruptRecordError });
  t.deepEqual(plain(await log.read(0, 1 << 20, 3)), expected(0, 3));
  t.deepEqual(plain(await log.read(5, 1 << 20)), expected(5, 8));
});

test("a damaged offset field is caught even when the CRC was recomputed", async (t) => {
  const dir = await closedLog(t, 6);
  // Offset 1 claims to be offset 2: a bug elsewhere, not bit rot, so the CRC is valid.
  const path = segmentPath(dir, 0, "log");
  const bytes = await readFile(path);
  bytes.writeUInt32BE(2, RECORD_BYTES + 12);
  const { crc32c } = await import("@node-rs/crc32");
  bytes.writeUInt32BE(crc32c(bytes.subarray(RECORD_BYTES + 4, 2 * RECORD_BYTES)), RECORD_BYTES);
  await writeFile(path, bytes);

  const log = await reopen(t, dir);
  const error = await t.throwsAsync(log.read(1, 1), { instanceOf: CorruptRecordError });
  t.is(error?.offset, 1);
  t.regex(error?.message ?? "", /carries offset 2/);
});

test("a corrupt record in the last segment with valid ones after it is damage: kept, never served, never reused", async (t) => {
  const dir = await closedLog(t, 8); // last segment holds offsets 6 and 7
  await flipByte(segmentPath(dir, 6, "log"), HEADER_BYTES + 3);
  // Without a recovery point the whole last segment is scanned (see the next test for with).
  await unlink(join(dir, "recovery-point.checkpoint"));

  const log = await reopen(t, dir);
  t.regex(log.recovery.recoveryPointIgnored ?? "", /recovery-point.checkpoint is missing/);
  t.is(log.recovery.truncatedBytes, 0);
  t.is(log.newestOffset, 7);
  t.like(log.damage(), [
    { fromOffset: 6, toOffset: 6, kind: "corrupt", segment: segmentPath(dir, 6, "log") },
  ]);
  t.deepEqual(log.recovery.damage, log.damage());
  const error = await t.throwsAsync(log.read(6, 1 << 20), { instanceOf: CorruptRecordError });
  t.is(error?.offset, 6);
  t.deepEqual(plain(await log.read(7, 1 << 20)), expected(7, 7));
  t.deepEqual(plain(await log.read(0, 1 << 20)), expected(0, 5), "stops before the damage");
  t.is(await log.append([recordFor(8)]), 8);
  await log.close();

  // The damage is remembered, though the recovery point now covers it.
  const again = await reopen(t, dir);
  t.like(again.damage(), [{ fromOffset: 6, toOffset: 6, kind: "corrupt" }]);
  await t.throwsAsync(again.read(6, 1 << 20), { instanceOf: CorruptRecordError });
  t.deepEqual(plain(await again.read(7, 1 << 20)), expected(7, 8));
  t.is(await again.append([recordFor(9)]), 9);
});

test("damage before the recovery point is not scanned at open but fails the reads", async (t) => {
  const dir = await closedLog(t, 8); // last segment holds offsets 6 and 7
  await flipByte(segmentPath(dir, 6, "log"), HEADER_BYTES + 3);

  const log = await reopen(t, dir);
  t.is(log.recovery.scannedBytes, 0);
  t.is(log.recovery.truncatedBytes, 0);
  t.is(log.newestOffset, 7);
  const error = await t.throwsAsync(log.read(6, 1 << 20), { instanceOf: CorruptRecordError });
  t.is(error?.offset, 6);
  t.deepEqual(plain(await log.read(7, 1 << 20)), expected(7, 7));
});

test("deleted, truncated or garbled index files are rebuilt from their segments", async (t) => {
  const dir = await closedLog(t, 10); // segments 0, 3, 6, 9
  const original = await readFile(segmentPath(dir, 0, "index"));
  const originalActive = await readFile(segmentPath(dir, 9, "index"));
  await unlink(segmentPath(dir, 0, "index"));
  await truncate(segmentPath(dir, 3, "index"), 13);
  const garbled = await readFile(segmentPath(dir, 6, "index"));
  garbled.writeUInt32BE(999, garbled.length - 4);
  await writeFile(segmentPath(dir, 6, "index"), garbled);
  await truncate(segmentPath(dir, 9, "index"), 0);

  const log = await reopen(t, dir);
  t.deepEqual(
    [...log.recovery.rebuiltIndexes].sort(),
    [0, 3, 6, 9].map((base) => segmentPath(dir, base, "index")),
  );
  t.is(log.recovery.truncatedBytes, 0);
  t.true((await readFile(segmentPath(dir, 0, "index"))).equals(original));
  t.true((await readFile(segmentPath(dir, 9, "index"))).equals(originalActive));
  for (const base of [3, 6]) t.is((await stat(segmentPath(dir, base, "index"))).size, 24);
  t.deepEqual(plain(await log.read(0, 1 << 20)), expected(0, 9));
  t.is(await log.offsetForTimestamp(5004n), 4);
  t.is(await log.append([recordFor(10)]), 10);
});

test("an empty last segment left by a roll is adopted", async (t) => {
  const dir = await closedLog(t, 3);
  await writeFile(segmentPath(dir, 3, "log"), Buffer.alloc(0));

  const log = await reopen(t, dir);
  t.is(log.newestOffset, 2);
  t.is(await log.append([recordFor(3)]), 3);
  t.deepEqual(plain(await log.read(0, 1 << 20)), expected(0, 3));
  const names = (await readdir(dir)).filter((n) => n.endsWith(".log"));
  t.is(names.length, 2);
});

test("broken framing in a sealed segment without a usable index fails reads there, not the open", async (t) => {
  const dir = await closedLog(t, 7);
  await unlink(segmentPath(dir, 3, "index"));
  // The length field of offset 4 now runs past the end of its segment.
  const file = await open(segmentPath(dir, 3, "log"), "r+");
  await file.write(Buffer.from([0x00, 0x10, 0x00, 0x00]), 0, 4, RECORD_BYTES + 4);
  await file.close();

  const log = await reopen(t, dir);
  t.like(log.damage(), [
    { segment: segmentPath(dir, 3, "log"), fromOffset: 4, toOffset: 4, position: RECORD_BYTES },
  ]);
  t.deepEqual(plain(await log.read(0, 1 << 20)), expected(0, 3), "stops before the damage");
  const error = await t.throwsAsync(log.read(4, 1 << 20), { instanceOf: CorruptRecordError });
  t.is(error?.offset, 4);
  t.is(error?.position, RECORD_BYTES);
  t.is(error?.segment, segmentPath(dir, 3, "log"));
  t.deepEqual(plain(await log.read(5, 1)), expected(5, 5), "the record after it is served");
  t.deepEqual(plain(await log.read(6, 1 << 20)), expected(6, 6));
});
