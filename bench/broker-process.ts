import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export type SyncPolicy = "always" | "none";

export interface BrokerProcess {
  /** host:port of its gRPC API. */
  readonly address: string;
  readonly pid: number;
  readonly dataDir: string;
  /** SIGTERM (a clean stop, so a --cpu-prof profile gets written), then removes the data dir. */
  stop(): Promise<void>;
}

/** Where a broker sits in a multi-broker cluster: all members share a namespace on one NATS. */
export interface ClusterMembership {
  /** Its server id (`--id`). */
  id: string;
  /** `--ns`, the same for every member. */
  namespace: string;
  /** The one broker that bootstraps the cluster (`--raft-bootstrap-seed`); the others join it. */
  seed: boolean;
}

const LB_BIN = fileURLToPath(new URL("../../bin/run.js", import.meta.url));
const NULL_BROKER = fileURLToPath(new URL("./null-broker.js", import.meta.url));
/** The advertised address when the line names one (lb serve), else the only one (null broker). */
const READY = /lb ready on (?:\S+, advertised )?(\S+):(\d+),/;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

/**
 * Runs `lb serve` in a child process, as a deployment would, so the broker does not share an
 * event loop with the load generator. LB_BENCH_BROKER_NODE_ARGS adds node flags (for example
 * "--cpu-prof --cpu-prof-dir=/tmp/prof") to profile it. Without `membership` it is a cluster of
 * one: the seed of its own namespace.
 */
export async function startBrokerProcess(
  natsUrl: string,
  sync: SyncPolicy,
  membership?: ClusterMembership,
): Promise<BrokerProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), `lb-bench-${sync}-`));
  const nodeArgs = (process.env.LB_BENCH_BROKER_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const port = String(await freePort());
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      LB_BIN,
      "serve",
      "-d",
      dataDir,
      "-p",
      port,
      "--host",
      "127.0.0.1",
      "-n",
      natsUrl,
      "-l",
      "error",
      ...(membership ? ["--id", membership.id, "--ns", membership.namespace] : []),
      ...(membership?.seed === false ? [] : ["--raft-bootstrap-seed"]),
    ],
    {
      env: { ...process.env, LIFTBRIDGE_STREAMS_SYNC_POLICY: sync },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  running.add(child);
  child.once("exit", () => running.delete(child));
  try {
    const address = await waitUntilReady(child);
    return {
      address,
      pid: child.pid!,
      dataDir,
      stop: async () => {
        await stopChild(child);
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    child.kill("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Starts bench/null-broker.ts in a child process: the client-bound baseline. `replayCount`
 * synthetic messages of `size` bytes are what it serves each Subscribe.
 */
export async function startNullBrokerProcess(
  replay: { replayCount: number; size: number } = { replayCount: 0, size: 100 },
): Promise<Omit<BrokerProcess, "dataDir">> {
  const child = spawn(
    process.execPath,
    [NULL_BROKER, "--replay-count", String(replay.replayCount), "--size", String(replay.size)],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  running.add(child);
  child.once("exit", () => running.delete(child));
  try {
    const address = await waitUntilReady(child);
    return { address, pid: child.pid!, stop: () => stopChild(child) };
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
}

/** Brokers still running; killed if this process exits without stopping them. */
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Resolves with the address `lb serve` (child) says it is ready on; rejects if it exits first or
 * takes longer than `timeoutMs`. Later output is echoed with `label`.
 */
export function waitUntilReady(
  child: ChildProcess,
  label = "lb",
  timeoutMs = START_TIMEOUT_MS,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let stderr = "";
    const timer = setTimeout(
      () => fail(new Error(`${label} was not ready within ${timeoutMs} ms; stderr: ${stderr}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      stderr += chunk.toString();
      const ready = READY.exec(stderr);
      if (!ready) return;
      clearTimeout(timer);
      child.off("exit", onExit);
      // Keep draining stderr so the broker never blocks on a full pipe; echo what it says later.
      child.stderr!.off("data", onData);
      child.stderr!.on("data", (more: Buffer) => process.stderr.write(`[${label}] ${more}`));
      resolve(`${ready[1]}:${ready[2]}`);
    };
    const onExit = (code: number | null) =>
      fail(new Error(`${label} exited with code ${code} before it was ready; stderr: ${stderr}`));
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(err);
    };
    child.stderr!.on("data", onData);
    child.once("exit", onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** A loopback port that was free a moment ago (lb serve wants an explicit port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
