/**
 * Scale benchmark: how a broker's cost grows with the number of partitions it holds.
 *
 *   node dist/bench/scale.js [--sizes 1000,5000,10000] [--cluster-sizes 1000,5000] [--json]
 *
 * For each size N it starts a real broker (`node bin/run.js serve`, a child process on its own
 * nats-server, sync policy `always`), creates N partitions in streams of up to 1,000 partitions
 * (`streams.max.partitions` is per stream), publishes one message to every partition and reads
 * the broker's descriptors (/proc/<pid>/fd) and RSS; then stops it, starts it again on the same
 * data and measures the time until it is ready (every partition is open before `lb ready`),
 * its descriptors and RSS with every partition idle, FetchMetadata of all streams, and that a
 * sample of partitions still serve their message. `--cluster-sizes` repeats this on three
 * brokers with replication factor 3 (the figures are per broker). Extra broker settings go
 * through the environment (e.g. LIFTBRIDGE_STREAMS_MAX_OPEN_FILES=256).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { LiftbridgeClient } from "../src/client/index.js";
import { startNatsServer } from "../src/server/nats/launcher.js";
import { freePort, waitUntilReady } from "./broker-process.js";
import { waitUntil } from "./wait.js";

const LB_BIN = fileURLToPath(new URL("../../bin/run.js", import.meta.url));
const PARTITIONS_PER_STREAM = 1000;
const PUBLISH_WINDOW = 200;
const METADATA_RUNS = 9;
/** /proc/<pid>/stat counts CPU time in clock ticks of 1/100 s on Linux. */
const TICKS_PER_SECOND = 100;
const SAMPLE_READS = 20;
/** Settled: time for timers and the garbage of creation to quiet down before RSS is read. */
const SETTLE_MS = 3000;
/** Longer than the broker's idle time for a log file's descriptor (10 s, checked every 5 s). */
const IDLE_MS = 16_000;
/** Creating 1,000 partitions replicated on three brokers takes longer than a client's default. */
const REQUEST_TIMEOUT_MS = 600_000;
const START_TIMEOUT_MS = 300_000;

interface Row {
  brokers: number;
  partitions: number;
  createSeconds: number;
  publishSeconds: number;
  /** Per broker (the largest of the cluster's). */
  fdsAfterCreate: number;
  fdsIdleAfterRestart: number;
  fdsPerPartition: number;
  rssBaseMiB: number;
  rssIdleAfterRestartMiB: number;
  /** (RSS idle after restart - RSS of an empty broker) / partitions held by the broker. */
  idleKiBPerPartition: number;
  restartSeconds: number;
  /** CPU (user + system) the restarted broker used until it was ready: what load does not skew. */
  restartCpuSeconds: number;
  /** The clean stop before the restart (the largest of the cluster's). */
  stopSeconds: number;
  /** The first after the restart: it reads each partition's first and latest timestamps. */
  firstFetchMetadataMs: number;
  fetchMetadataMs: number;
  fetchMetadataMinMs: number;
  maxOpenFiles: string;
}

interface Broker {
  dir: string;
  id: string;
  port: number;
  child?: ChildProcess;
  address?: string;
}

async function startBroker(
  broker: Broker,
  natsUrl: string,
  namespace: string,
  seed: boolean,
): Promise<number> {
  const started = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    [
      LB_BIN,
      "serve",
      "-d",
      broker.dir,
      "-p",
      String(broker.port),
      "--host",
      "127.0.0.1",
      "-n",
      natsUrl,
      "-l",
      "error",
      "--id",
      broker.id,
      "--ns",
      namespace,
      ...(seed ? ["--raft-bootstrap-seed"] : []),
    ],
    {
      env: { LIFTBRIDGE_STREAMS_SYNC_POLICY: "always", ...process.env },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  running.add(child);
  child.once("exit", () => running.delete(child));
  broker.child = child;
  broker.address = await waitUntilReady(child, `broker ${broker.id}`, START_TIMEOUT_MS);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start at field 3; utime, stime: 14, 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

async function stopBroker(broker: Broker): Promise<number> {
  const started = process.hrtime.bigint();
  const child = broker.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return 0;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  await exited;
  clearTimeout(timer);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

async function fds(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kib / 1024;
}

async function maxOpenFiles(pid: number): Promise<string> {
  const limits = await readFile(`/proc/${pid}/limits`, "utf8");
  const line = /Max open files\s+(\S+)\s+(\S+)/.exec(limits);
  return line ? `${line[1]}/${line[2]}` : "?";
}

function streamsFor(partitions: number): { name: string; partitions: number }[] {
  const streams: { name: string; partitions: number }[] = [];
  for (let left = partitions, i = 0; left > 0; left -= PARTITIONS_PER_STREAM, i++) {
    streams.push({ name: `scale-${i}`, partitions: Math.min(left, PARTITIONS_PER_STREAM) });
  }
  return streams;
}

const settle = (ms = SETTLE_MS) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(partitions: number, brokerCount: number): Promise<Row> {
  const nats = await startNatsServer();
  const root = await mkdtemp(join(tmpdir(), "lb-scale-"));
  const namespace = `lb-scale-${process.pid}-${partitions}-${brokerCount}`;
  const brokers: Broker[] = [];
  for (let i = 1; i <= brokerCount; i++) {
    brokers.push({ dir: join(root, `b${i}`), id: `b${i}`, port: await freePort() });
  }
  let client: LiftbridgeClient | undefined;
  const startAll = async () => {
    const seconds = [await startBroker(brokers[0]!, nats.url, namespace, true)];
    seconds.push(
      ...(await Promise.all(
        brokers.slice(1).map((b) => startBroker(b, nats.url, namespace, false)),
      )),
    );
    cpuAtReady = Math.max(...(await Promise.all(brokers.map((b) => cpuSeconds(b.child!.pid!)))));
    return Math.max(...seconds);
  };
  let cpuAtReady = 0;
  const perBroker = async (read: (pid: number) => Promise<number>) =>
    Math.max(...(await Promise.all(brokers.map((b) => read(b.child!.pid!)))));
  try {
    await startAll();
    client = await LiftbridgeClient.connect(
      brokers.map((b) => b.address!),
      { requestTimeoutMs: REQUEST_TIMEOUT_MS, connectTimeoutMs: REQUEST_TIMEOUT_MS },
    );
    const connected = client;
    await waitUntil(`${brokerCount} brokers in FetchMetadata`, 60_000, async () =>
      (await connected.fetchMetadata()).brokers.length >= brokerCount ? true : undefined,
    );
    await settle();
    const rssBase = await perBroker(rssMiB);
    const limit = await maxOpenFiles(brokers[0]!.child!.pid!);

    const streams = streamsFor(partitions);
    let t = process.hrtime.bigint();
    for (const [i, s] of streams.entries()) {
      await client.createStream(`scale.${i}`, s.name, {
        partitions: s.partitions,
        replicationFactor: brokerCount,
      });
    }
    const createSeconds = Number(process.hrtime.bigint() - t) / 1e9;

    t = process.hrtime.bigint();
    const publisher = client.publisher({ timeoutMs: 60_000 });
    const targets = streams.flatMap((s) =>
      Array.from({ length: s.partitions }, (_, p) => ({ stream: s.name, partition: p })),
    );
    let next = 0;
    await Promise.all(
      Array.from({ length: PUBLISH_WINDOW }, async () => {
        while (next < targets.length) {
          const { stream, partition } = targets[next++]!;
          await publisher.publish(stream, Buffer.from(`${stream}/${partition}`), {
            partition,
            ackPolicy: "all",
          });
        }
      }),
    );
    const publishSeconds = Number(process.hrtime.bigint() - t) / 1e9;
    await publisher.close();
    await settle();
    const fdsAfterCreate = await perBroker(fds);
    client.close();
    client = undefined;

    const stopSeconds = Math.max(...(await Promise.all(brokers.map((b) => stopBroker(b)))));
    const restartSeconds = await startAll();
    const restartCpuSeconds = cpuAtReady;
    client = await LiftbridgeClient.connect(
      brokers.map((b) => b.address!),
      { requestTimeoutMs: REQUEST_TIMEOUT_MS, connectTimeoutMs: REQUEST_TIMEOUT_MS },
    );
    await settle(IDLE_MS);
    const fdsIdle = await perBroker(fds);
    const rssIdle = await perBroker(rssMiB);

    const times: number[] = [];
    let listed = 0;
    const first = process.hrtime.bigint();
    await client.fetchMetadata();
    const firstFetchMetadataMs = Number(process.hrtime.bigint() - first) / 1e6;
    for (let i = 0; i < METADATA_RUNS; i++) {
      const t0 = process.hrtime.bigint();
      const metadata = await client.fetchMetadata();
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      listed = metadata.streams.reduce((sum, s) => sum + s.partitions.length, 0);
    }
    if (listed !== partitions) {
      throw new Error(`FetchMetadata listed ${listed} partitions, expected ${partitions}`);
    }
    await checkSample(client, targets);

    return {
      brokers: brokerCount,
      partitions,
      createSeconds,
      publishSeconds,
      fdsAfterCreate,
      fdsIdleAfterRestart: fdsIdle,
      fdsPerPartition: fdsIdle / partitions,
      rssBaseMiB: rssBase,
      rssIdleAfterRestartMiB: rssIdle,
      idleKiBPerPartition: ((rssIdle - rssBase) * 1024) / partitions,
      restartSeconds,
      restartCpuSeconds,
      stopSeconds,
      firstFetchMetadataMs,
      fetchMetadataMs: median(times),
      fetchMetadataMinMs: Math.min(...times),
      maxOpenFiles: limit,
    };
  } finally {
    client?.close();
    for (const b of brokers) await stopBroker(b).catch(() => undefined);
    await nats.stop();
    await rm(root, { recursive: true, force: true });
  }
}

/** Reads the one message of a spread of partitions back: they serve after the restart. */
async function checkSample(
  client: LiftbridgeClient,
  targets: { stream: string; partition: number }[],
): Promise<void> {
  const step = Math.max(1, Math.floor(targets.length / SAMPLE_READS));
  for (let i = 0; i < targets.length; i += step) {
    const { stream, partition } = targets[i]!;
    const subscription = await client.subscribe(stream, {
      partition,
      start: { kind: "earliest" },
      stop: { kind: "latest" },
    });
    const got: string[] = [];
    for await (const message of subscription) got.push(Buffer.from(message.value).toString());
    // More than one copy is the publisher's retry after an ack slower than its attempt wait.
    if (got.length === 0 || got.some((v) => v !== `${stream}/${partition}`)) {
      throw new Error(`${stream}/${partition} read back ${JSON.stringify(got)}`);
    }
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function sizes(text: string | undefined, fallback: number[]): number[] {
  if (text === undefined) return fallback;
  if (text === "" || text === "none") return [];
  return text.split(",").map((s) => {
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new Error(`--sizes: ${JSON.stringify(s)} is not a positive integer`);
    }
    return n;
  });
}

function table(rows: Row[]): string {
  const header = [
    "brokers",
    "partitions",
    "create s",
    "publish 1/partition s",
    "fds after create",
    "fds idle (restarted)",
    "fds/partition",
    "RSS empty MiB",
    "RSS idle MiB",
    "idle KiB/partition",
    "stop s",
    "restart s (CPU s)",
    "FetchMetadata ms: first, then median (min)",
  ];
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  for (const r of rows) {
    lines.push(
      `| ${[
        r.brokers === 1 ? "1" : `${r.brokers}, RF ${r.brokers}`,
        r.partitions.toLocaleString("en-US"),
        r.createSeconds.toFixed(1),
        r.publishSeconds.toFixed(1),
        r.fdsAfterCreate,
        r.fdsIdleAfterRestart,
        r.fdsPerPartition.toFixed(2),
        r.rssBaseMiB.toFixed(0),
        r.rssIdleAfterRestartMiB.toFixed(0),
        r.idleKiBPerPartition.toFixed(1),
        r.stopSeconds.toFixed(1),
        `${r.restartSeconds.toFixed(1)} (${r.restartCpuSeconds.toFixed(1)})`,
        `${r.firstFetchMetadataMs.toFixed(0)}, ${r.fetchMetadataMs.toFixed(0)} (${r.fetchMetadataMinMs.toFixed(0)})`,
      ].join(" | ")} |`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string" },
      "cluster-sizes": { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const rows: Row[] = [];
  const plan = [
    ...sizes(values.sizes, [1000, 5000, 10000]).map((n) => ({ n, brokers: 1 })),
    ...sizes(values["cluster-sizes"], [1000, 5000]).map((n) => ({ n, brokers: 3 })),
  ];
  for (const { n, brokers } of plan) {
    process.stderr.write(`scale: ${n} partitions on ${brokers} broker(s)...\n`);
    const row = await measure(n, brokers);
    process.stderr.write(`${JSON.stringify(row)}\n`);
    rows.push(row);
  }
  if (rows[0])
    process.stderr.write(`broker's open-file limit (soft/hard): ${rows[0].maxOpenFiles}\n`);
  console.log(values.json ? JSON.stringify(rows, null, 2) : table(rows));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
