/**
 * Commit log micro-benchmark: appends/s and MB/s of 100-byte records under each sync policy
 * with 1 and 64 concurrent appenders, then read MB/s from the earliest offset.
 *
 *   node dist/bench/log.js [--seconds S] [--dir DIR]
 *
 * Prints a table and writes JSON to bench/results/log-<timestamp>.json. The log lives in a
 * fresh directory under DIR (default: the OS temp dir), removed afterwards: put DIR on the disk
 * you want measured (a tmpfs makes fdatasync free).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CommitLog } from "../src/server/log/index.js";

const RECORD_BODY_BYTES = 100;
const INTERVAL_SYNC_MS = 100;
const READ_CHUNK_BYTES = 1024 * 1024;

type Policy = "always" | "interval" | "none";

interface AppendResult {
  policy: Policy;
  appenders: number;
  records: number;
  seconds: number;
  appendsPerSecond: number;
  /** Record bodies appended per second, in MB (10^6 bytes). */
  megabytesPerSecond: number;
  /** Appends per group write: how much group commit shared. */
  appendsPerWrite: number;
}

interface ReadResult {
  records: number;
  bytes: number;
  seconds: number;
  megabytesPerSecond: number;
  recordsPerSecond: number;
}

async function benchAppends(
  root: string,
  policy: Policy,
  appenders: number,
  seconds: number,
): Promise<{ result: AppendResult; dir: string }> {
  const dir = await mkdtemp(join(root, `${policy}-${appenders}-`));
  const log = await CommitLog.open(dir, { sync: policy === "always" ? "always" : "none" });
  const body = Buffer.alloc(RECORD_BODY_BYTES, 0x62);
  let stop = false;
  let syncing: Promise<void> = Promise.resolve();
  const timer =
    policy === "interval"
      ? setInterval(() => {
          syncing = syncing.then(() => log.sync());
        }, INTERVAL_SYNC_MS)
      : undefined;
  const started = process.hrtime.bigint();
  const deadline = setTimeout(() => {
    stop = true;
  }, seconds * 1000);
  let timestamp = 0n;
  await Promise.all(
    Array.from({ length: appenders }, async () => {
      while (!stop) await log.append([{ timestamp: timestamp++, leaderEpoch: 0, body }]);
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  clearTimeout(deadline);
  if (timer) clearInterval(timer);
  await syncing;
  const stats = log.stats;
  await log.close();
  return {
    dir,
    result: {
      policy,
      appenders,
      records: stats.records,
      seconds: round(elapsed, 2),
      appendsPerSecond: Math.round(stats.appends / elapsed),
      megabytesPerSecond: round((stats.records * RECORD_BODY_BYTES) / elapsed / 1e6, 2),
      appendsPerWrite: round(stats.appends / Math.max(stats.writes, 1), 1),
    },
  };
}

async function benchReads(dir: string): Promise<ReadResult> {
  const log = await CommitLog.open(dir);
  const started = process.hrtime.bigint();
  let records = 0;
  let bytes = 0;
  for (let from = log.oldestOffset; ; ) {
    const batch = await log.read(from, READ_CHUNK_BYTES);
    if (batch.length === 0) break;
    records += batch.length;
    for (const record of batch) bytes += record.body.length + 28;
    from = batch.at(-1)!.offset + 1;
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  await log.close();
  return {
    records,
    bytes,
    seconds: round(elapsed, 3),
    megabytesPerSecond: round(bytes / elapsed / 1e6, 1),
    recordsPerSecond: Math.round(records / elapsed),
  };
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function printTable(appends: readonly AppendResult[], read: ReadResult): void {
  const rows = [
    ["sync", "appenders", "appends/s", "MB/s", "appends/write"],
    ...appends.map((r) => [
      r.policy === "interval" ? `interval (${INTERVAL_SYNC_MS}ms)` : r.policy,
      String(r.appenders),
      r.appendsPerSecond.toLocaleString("en-US"),
      r.megabytesPerSecond.toFixed(2),
      r.appendsPerWrite.toFixed(1),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padStart(widths[c]!)).join("  "));
  console.log(
    `\nread from earliest: ${read.megabytesPerSecond} MB/s (${read.recordsPerSecond.toLocaleString("en-US")} records/s, ${read.records.toLocaleString("en-US")} records of ${RECORD_BODY_BYTES + 28} bytes)`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "2" },
      dir: { type: "string", default: tmpdir() },
    },
  });
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) throw new RangeError(`--seconds is ${values.seconds}, expected a number > 0`);
  const root = await mkdtemp(join(values.dir!, "lb-bench-log-"));
  try {
    const appends: AppendResult[] = [];
    let largest = { dir: "", records: -1 };
    for (const policy of ["always", "interval", "none"] as const) {
      for (const appenders of [1, 64]) {
        const { result, dir } = await benchAppends(root, policy, appenders, seconds);
        appends.push(result);
        console.error(`${policy} x${appenders}: ${result.appendsPerSecond} appends/s`);
        if (result.records > largest.records) largest = { dir, records: result.records };
      }
    }
    const read = await benchReads(largest.dir);
    printTable(appends, read);
    const results = join(import.meta.dirname, "..", "..", "bench", "results");
    await mkdir(results, { recursive: true });
    const file = join(results, `log-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
    const environment = {
      node: process.version,
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      dir: values.dir,
    };
    await writeFile(
      file,
      `${JSON.stringify({ recordBodyBytes: RECORD_BODY_BYTES, secondsPerScenario: seconds, environment, appends, read }, null, 2)}\n`,
    );
    console.log(`\nwritten to ${file}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
