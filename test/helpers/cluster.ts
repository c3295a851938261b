import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials } from "@grpc/grpc-js";
import type { ExecutionContext } from "ava";
import type { NatsServerOptions } from "../../src/server/nats/launcher.js";
import { AdminClient, type DescribeClusterResponse } from "../../src/wire/admin.js";
import { type ServeProcess, startServe } from "./cli.js";
import { freePort, startNats } from "./nats.js";
import { makeTempDir } from "./tmp.js";

/** One `lb serve` process of a test cluster; start() brings it back on the same dir and port. */
export interface ClusterNode {
  readonly id: string;
  readonly dataDir: string;
  readonly port: number;
  readonly address: string;
  process?: ServeProcess;
  start(): Promise<void>;
  /** Sends the signal and waits for the exit (SIGKILL: a crash). */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface TestCluster {
  natsUrl: string;
  namespace: string;
  nodes: ClusterNode[];
  node(id: string): ClusterNode;
}

/**
 * A real nats-server and `size` real `lb serve` processes in one namespace on free loopback
 * ports: the first bootstraps the cluster as the seed, the others join it by themselves.
 * `config` is written to each broker's YAML file (dotted keys).
 */
export async function startCluster(
  t: ExecutionContext,
  size: number,
  config: Record<string, unknown> = {},
  options: {
    natsUrlFor?: (id: string, natsUrl: string) => Promise<string>;
    /** "seed" (default): the first broker bootstraps, the others join; "peers": all listed. */
    bootstrap?: "seed" | "peers";
    /** How the cluster's nats-server is started (e.g. a small maxPayload). */
    nats?: NatsServerOptions;
  } = {},
): Promise<TestCluster> {
  const nats = await startNats(t, options.nats);
  const namespace = `lbtest${randomBytes(4).toString("hex")}`;
  const nodes: ClusterNode[] = [];
  const configDir = await makeTempDir("lb-cluster-config-", t);
  const logs = new Map<string, ServeProcess[]>();
  // A failed test keeps every broker's log (LB_TEST_LOGS, default the temp dir) for the post-mortem.
  t.teardown(async () => {
    if (t.passed) return;
    const dir = join(process.env.LB_TEST_LOGS ?? tmpdir(), `lb-failed-${namespace}`);
    await mkdir(dir, { recursive: true });
    for (const [id, runs] of logs) {
      await writeFile(
        join(dir, `${id}.log`),
        runs.map((r) => r.stderr()).join("\n--- restart ---\n"),
      );
    }
    t.log(`broker logs kept in ${dir}`);
    // CI machines are gone after the run: the tail of each log goes into the report itself.
    if (process.env.CI) {
      for (const [id, runs] of logs) {
        const tail = runs.at(-1)?.stderr().split("\n").slice(-60).join("\n") ?? "";
        t.log(`--- last lines of ${id}'s log ---\n${tail}`);
      }
    }
  });
  for (let i = 1; i <= size; i++) {
    const id = `b${i}`;
    const dataDir = await makeTempDir(`lb-cluster-${id}-`, t);
    const port = await freePort();
    const configFile = join(configDir, `${id}.yaml`);
    const lines = Object.entries({ "logging.level": "info", ...config }).map(
      ([key, value]) => `${key}: ${JSON.stringify(value)}`,
    );
    await writeFile(configFile, `${lines.join("\n")}\n`);
    const natsUrl = (await options.natsUrlFor?.(id, nats.url)) ?? nats.url;
    const args = [
      "-c",
      configFile,
      "-n",
      natsUrl,
      "--id",
      id,
      "--ns",
      namespace,
      "-d",
      dataDir,
      "-p",
      String(port),
      "--host",
      "127.0.0.1",
      ...(options.bootstrap === "peers"
        ? ["--raft-bootstrap-peers", Array.from({ length: size }, (_, n) => `b${n + 1}`).join(",")]
        : i === 1
          ? ["--raft-bootstrap-seed"]
          : []),
    ];
    const runs: ServeProcess[] = [];
    logs.set(id, runs);
    const node: ClusterNode = {
      id,
      dataDir,
      port,
      address: `127.0.0.1:${port}`,
      async start() {
        node.process = await startServe(t, args);
        runs.push(node.process);
      },
      async kill(signal: NodeJS.Signals = "SIGKILL") {
        await node.process?.stop(signal);
        node.process = undefined;
      },
    };
    nodes.push(node);
  }
  if (options.bootstrap === "peers") {
    // Peers need a quorum of each other to start: all at once.
    await Promise.all(nodes.map((n) => n.start()));
  } else {
    // The seed first: the others find the cluster through it.
    await nodes[0]!.start();
    await Promise.all(nodes.slice(1).map((n) => n.start()));
  }
  return {
    natsUrl: nats.url,
    namespace,
    nodes,
    node: (id) => {
      const found = nodes.find((n) => n.id === id);
      if (!found) throw new Error(`no node ${id} in the test cluster`);
      return found;
    },
  };
}

/** lb.admin.Admin/DescribeCluster asked of one broker. */
export function clusterStatusOf(
  t: ExecutionContext,
  address: string,
  timeoutMs = 5000,
): Promise<DescribeClusterResponse> {
  const client = new AdminClient(address, credentials.createInsecure());
  t.teardown(() => client.close());
  return new Promise((resolve, reject) => {
    client.describeCluster({}, { deadline: Date.now() + timeoutMs }, (err, res) =>
      err ? reject(err) : resolve(res!),
    );
  });
}
