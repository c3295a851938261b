import { readdir, readFile, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import { CommitLog } from "../../src/server/log/index.js";
import { encodeMessage } from "../../src/wire/api.js";
import { runLb } from "../helpers/cli.js";
import { makeTempDir } from "../helpers/tmp.js";

const BASE_NS = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z

/**
 * A stopped broker's data dir written by CommitLog directly: stream "orders" with partitions
 * 0 and 1, 12 records each over 300-byte segments; record i has key "k<i%4>" and i value bytes.
 */
async function dataDir(t: ExecutionContext): Promise<string> {
  const data = await makeTempDir("log-tools", t);
  for (const partition of [0, 1]) {
    const log = await CommitLog.open(join(data, "streams", "orders", String(partition)), {
      segmentMaxBytes: 300,
      sync: "always",
    });
    for (let i = 0; i < 12; i++) {
      const body = encodeMessage({ key: Buffer.from(`k${i % 4}`), value: Buffer.alloc(i, 0x61) });
      await log.append([{ timestamp: BASE_NS + BigInt(i) * 1_000_000n, leaderEpoch: 1, body }]);
    }
    await log.close();
  }
  return data;
}

/** Positions of every record in a segment file, by walking the length fields. */
async function recordPositions(path: string): Promise<number[]> {
  const bytes = await readFile(path);
  const positions: number[] = [];
  for (let at = 0; at < bytes.length; at += 8 + bytes.readUInt32BE(at + 4)) positions.push(at);
  return positions;
}

async function flipByte(path: string, position: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[position]! ^= 0x10;
  await writeFile(path, bytes);
}

/** Every file under `dir` with its size and bytes, to prove a command changed nothing. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const info = await stat(path);
    files.set(path, `${info.size}:${info.mtimeMs}:${(await readFile(path)).toString("base64")}`);
  }
  return files;
}

const segment = (data: string, partition: number, base: number) =>
  join(data, "streams", "orders", String(partition), `${String(base).padStart(20, "0")}.log`);

test("lb log verify: a clean data dir passes with exit 0", async (t) => {
  const data = await dataDir(t);
  const result = await runLb(["log", "verify", data]);
  t.is(result.code, 0, result.stderr);
  t.is(result.stdout, "");
  t.regex(result.stderr, /checked 24 records in 2 partitions: no damage found/);
});

test("lb log verify lists every flipped record and exits 1, changing nothing", async (t) => {
  const data = await dataDir(t);
  const first = segment(data, 1, 0);
  const positions = await recordPositions(first);
  // Damage the body of the second record and the header of the fourth in partition 1.
  await flipByte(first, positions[1]! + 30);
  await flipByte(first, positions[3]! + 17);
  const before = await snapshot(data);

  for (const path of [
    data,
    join(data, "streams", "orders"),
    join(data, "streams", "orders", "1"),
  ]) {
    const result = await runLb(["log", "verify", path]);
    t.is(result.code, 1, result.stderr);
    const lines = result.stdout.trim().split("\n");
    t.is(lines.length, 2, result.stdout);
    t.is(
      lines[0],
      `damaged: orders/1 segment ${first} offset 1 position ${positions[1]}: CRC-32C mismatch`,
    );
    t.is(
      lines[1],
      `damaged: orders/1 segment ${first} offset 3 position ${positions[3]}: CRC-32C mismatch`,
    );
    t.regex(result.stderr, /2 damaged/);
  }
  const json = await runLb(["log", "verify", data, "--json"]);
  t.is(json.code, 1);
  const report = JSON.parse(json.stdout);
  t.is(report.damaged, 2);
  t.deepEqual(
    report.partitions.map((p: { partition: string; damaged: { offset: number }[] }) => [
      p.partition,
      p.damaged.map((d) => d.offset),
    ]),
    [
      ["0", []],
      ["1", [1, 3]],
    ],
  );
  t.deepEqual(await snapshot(data), before, "verify only reads");
});

test("lb log verify reports a torn tail without truncating it", async (t) => {
  const data = await dataDir(t);
  const dir = join(data, "streams", "orders", "0");
  const last = (await readdir(dir))
    .filter((n) => n.endsWith(".log"))
    .sort()
    .at(-1)!;
  const path = join(dir, last);
  const size = (await stat(path)).size;
  await truncate(path, size - 3);
  const result = await runLb(["log", "verify", dir]);
  t.is(result.code, 1, result.stderr);
  t.regex(result.stdout, /damaged: orders\/0 segment .* offset 11 position \d+: /);
  t.is((await stat(path)).size, size - 3);
});

test("lb log dump prints offset, timestamp, key, value size and CRC state", async (t) => {
  const data = await dataDir(t);
  const first = segment(data, 0, 0);
  await flipByte(first, (await recordPositions(first))[2]! + 30);
  const before = await snapshot(data);
  const partition = join(data, "streams", "orders", "0");

  const result = await runLb(["log", "dump", partition, "--from", "1", "--count", "3"]);
  t.is(result.code, 1, "it printed a damaged record");
  t.regex(result.stderr, /1 damaged record printed/);
  t.deepEqual(result.stdout.trim().split("\n"), [
    "OFFSET\tTIMESTAMP\tKEY\tVALUE SIZE\tCRC",
    '1\t2026-01-01T00:00:00.001000000Z\t"k1"\t1\tok',
    // The flip hit the key's first byte: shown as stored, and marked.
    '2\t2026-01-01T00:00:00.002000000Z\t"{2"\t2\tBAD (CRC-32C mismatch)',
    '3\t2026-01-01T00:00:00.003000000Z\t"k3"\t3\tok',
  ]);

  const json = await runLb([
    "log",
    "dump",
    join(data, "streams", "orders"),
    "--json",
    "--from",
    "10",
  ]);
  t.is(json.code, 0, json.stderr);
  const records = json.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  t.deepEqual(
    records.map((r) => [r.partition, r.offset, r.key, r.valueSize, r.crcOk, r.timestamp]),
    [
      [0, 10, "k2", 10, true, "2026-01-01T00:00:00.010000000Z"],
      [0, 11, "k3", 11, true, "2026-01-01T00:00:00.011000000Z"],
      [1, 10, "k2", 10, true, "2026-01-01T00:00:00.010000000Z"],
      [1, 11, "k3", 11, true, "2026-01-01T00:00:00.011000000Z"],
    ],
  );
  t.is(records[0].stream, "orders");
  t.false("value" in records[0], "values only when asked");

  const values = await runLb(["log", "dump", partition, "--values", "--from", "3", "--count", "1"]);
  t.is(values.code, 0, values.stderr);
  t.deepEqual(values.stdout.trim().split("\n"), [
    "OFFSET\tTIMESTAMP\tKEY\tVALUE SIZE\tCRC\tVALUE",
    '3\t2026-01-01T00:00:00.003000000Z\t"k3"\t3\tok\t"aaa"',
  ]);
  const valuesJson = await runLb(["log", "dump", partition, "--values", "--json", "--from", "3"]);
  t.is(JSON.parse(valuesJson.stdout.split("\n")[0]!).value, "aaa");
  t.deepEqual(await snapshot(data), before, "dump only reads");
});

test("lb log verify and dump exit 2 on bad usage", async (t) => {
  const empty = await makeTempDir("log-tools-empty", t);
  for (const args of [
    ["log", "verify", join(empty, "missing")],
    ["log", "verify", empty],
    ["log", "verify"],
    ["log", "dump", empty],
    ["log", "dump", empty, "--count", "-1"],
  ]) {
    const result = await runLb(args);
    t.is(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    t.regex(result.stderr, /^lb: /);
  }
  const notLog = await runLb(["log", "verify", empty]);
  t.regex(notLog.stderr, /holds no commit log/);
});
