import { rmSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  connect,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
  StorageType,
} from "nats";
import { LiftbridgeClient } from "../src/client/index.js";
import { type NatsServerHandle, startNatsServer } from "../src/server/nats/launcher.js";
import {
  type BrokerProcess,
  freePort,
  type SyncPolicy,
  startBrokerProcess,
} from "./broker-process.js";
import { waitUntil } from "./wait.js";

/** Brokers or nats-servers per cluster, and the replication factor of its streams. */
export const CLUSTER_SIZE = 3;

/** How long a cluster may take to form, and a new stream to get all its replicas in sync. */
const FORM_TIMEOUT_MS = 60_000;

/** Three `lb serve` processes in one namespace on one nats-server. */
export interface LbClusterSystem {
  label: string;
  sync: SyncPolicy;
  nats: NatsServerHandle;
  brokers: BrokerProcess[];
  /** Connected to every broker, for admin calls. */
  client: LiftbridgeClient;
}

/** Three nats-servers with JetStream (file storage) in one NATS cluster. */
export interface JetStreamClusterSystem {
  label: string;
  servers: { name: string; nats: NatsServerHandle }[];
  /** Holds each server's config file and store dir. */
  dir: string;
  /** Connected to all three, for admin calls. */
  nc: NatsConnection;
  jsm: JetStreamManager;
}

/**
 * Starts the seed broker, then the two others, which join it by themselves, and waits until
 * the cluster's metadata lists all three.
 */
export async function startLbCluster(sync: SyncPolicy): Promise<LbClusterSystem> {
  const nats = await startNatsServer();
  const brokers: BrokerProcess[] = [];
  let client: LiftbridgeClient | undefined;
  try {
    const namespace = `lb-bench-${process.pid}-${sync}`;
    const start = async (n: number) => {
      const broker = await startBrokerProcess(nats.url, sync, {
        id: `b${n}`,
        namespace,
        seed: n === 1,
      });
      brokers.push(broker);
      leftBehind.add(broker.dataDir);
    };
    await start(1);
    const joiners = await Promise.allSettled(
      Array.from({ length: CLUSTER_SIZE - 1 }, (_, i) => start(i + 2)),
    );
    for (const joined of joiners) if (joined.status === "rejected") throw joined.reason;
    const connected = await LiftbridgeClient.connect(brokers.map((b) => b.address));
    client = connected;
    await waitUntil(`${CLUSTER_SIZE} brokers in FetchMetadata`, FORM_TIMEOUT_MS, async () =>
      (await connected.fetchMetadata()).brokers.length >= CLUSTER_SIZE ? true : undefined,
    );
    return { label: `lb sync=${sync}, 3 brokers`, sync, nats, brokers, client };
  } catch (err) {
    client?.close();
    await stopBrokers(brokers);
    await nats.stop();
    throw err;
  }
}

export async function stopLbCluster(cluster: LbClusterSystem): Promise<void> {
  cluster.client.close();
  await stopBrokers(cluster.brokers);
  await cluster.nats.stop();
}

async function stopBrokers(brokers: BrokerProcess[]): Promise<void> {
  await Promise.allSettled(brokers.map((b) => b.stop()));
  for (const b of brokers) leftBehind.delete(b.dataDir);
}

/**
 * Creates a one-partition stream with replication factor 3, waits until all three replicas are
 * in its ISR, and returns a client connected to the partition's leader.
 */
export async function createReplicatedStream(
  cluster: LbClusterSystem,
  name: string,
): Promise<LiftbridgeClient> {
  await cluster.client.createStream(name, name, {
    partitions: 1,
    replicationFactor: CLUSTER_SIZE,
  });
  const leader = await waitUntil(
    `stream "${name}" partition 0 with ${CLUSTER_SIZE} replicas in its ISR`,
    FORM_TIMEOUT_MS,
    async () => {
      const metadata = await cluster.client.fetchMetadata([name]);
      const partition = metadata.stream(name)?.partitions[0];
      if (!partition || partition.isr.length < CLUSTER_SIZE) return undefined;
      return metadata.broker(partition.leader)?.address;
    },
  );
  return LiftbridgeClient.connect([leader]);
}

/** Starts three JetStream nats-servers routed to each other and waits for JetStream to answer. */
export async function startJetStreamCluster(): Promise<JetStreamClusterSystem> {
  const dir = await mkdtemp(join(tmpdir(), "lb-bench-js-cluster-"));
  leftBehind.add(dir);
  const names = Array.from({ length: CLUSTER_SIZE }, (_, i) => `js${i + 1}`);
  const servers: JetStreamClusterSystem["servers"] = [];
  try {
    const routePorts = await distinctFreePorts(CLUSTER_SIZE);
    const started = await Promise.allSettled(
      names.map(async (name, i) => {
        const configFile = join(dir, `${name}.conf`);
        await writeFile(configFile, jetStreamClusterConfig(name, routePorts[i]!, routePorts));
        const nats = await startNatsServer({
          configFile,
          host: "127.0.0.1",
          port: 0,
          jetstream: true,
          storeDir: join(dir, name),
        });
        servers.push({ name, nats });
      }),
    );
    for (const each of started) if (each.status === "rejected") throw each.reason;
    const nc = await connect({ servers: servers.map((s) => s.nats.url) });
    // jetstreamManager() asks for account info, which fails until a meta leader is elected.
    const jsm = await waitUntil(
      "the JetStream cluster to elect a meta leader",
      FORM_TIMEOUT_MS,
      () => nc.jetstreamManager({ timeout: 5000 }),
    ).catch(async (err) => {
      await nc.close();
      throw err;
    });
    return { label: "JetStream R3 file, 3 nodes", servers, dir, nc, jsm };
  } catch (err) {
    await Promise.allSettled(servers.map((s) => s.nats.stop()));
    await removeDir(dir);
    throw err;
  }
}

export async function stopJetStreamCluster(cluster: JetStreamClusterSystem): Promise<void> {
  await cluster.nc.drain().catch(() => undefined);
  await Promise.allSettled(cluster.servers.map((s) => s.nats.stop()));
  await removeDir(cluster.dir);
}

/**
 * Creates an R3 file stream named and subjected `name`, waits until its two followers are
 * current, and returns a connection to the server that leads it (and that server's URL).
 */
export async function createR3Stream(
  cluster: JetStreamClusterSystem,
  name: string,
): Promise<{ nc: NatsConnection; js: JetStreamClient; url: string }> {
  // A fresh cluster may still refuse to place streams ("insufficient resources") for a moment.
  await waitUntil(`JetStream to create R3 stream "${name}"`, FORM_TIMEOUT_MS, () =>
    cluster.jsm.streams.add({
      name,
      subjects: [name],
      storage: StorageType.File,
      num_replicas: CLUSTER_SIZE,
    }),
  );
  const leader = await waitUntil(
    `stream "${name}" with a leader and ${CLUSTER_SIZE - 1} current followers`,
    FORM_TIMEOUT_MS,
    async () => {
      const { cluster: raft } = await cluster.jsm.streams.info(name);
      const followers = raft?.replicas ?? [];
      const ready =
        raft?.leader &&
        followers.length === CLUSTER_SIZE - 1 &&
        followers.every((f) => f.current && !f.offline);
      return ready ? raft.leader : undefined;
    },
  );
  const server = cluster.servers.find((s) => s.name === leader);
  if (!server) throw new Error(`stream "${name}": leader "${leader}" is none of ${names(cluster)}`);
  const nc = await connect({ servers: server.nats.url });
  return { nc, js: nc.jetstream(), url: server.nats.url };
}

function names(cluster: JetStreamClusterSystem): string {
  return cluster.servers.map((s) => s.name).join(", ");
}

/** server_name and the cluster block; client port and JetStream come from the launcher's flags. */
function jetStreamClusterConfig(name: string, routePort: number, routePorts: number[]): string {
  const routes = routePorts.map((port) => `    "nats-route://127.0.0.1:${port}"`);
  return [
    `server_name: "${name}"`,
    "cluster {",
    '  name: "lb-bench-js"',
    `  listen: "127.0.0.1:${routePort}"`,
    "  routes: [",
    ...routes,
    "  ]",
    "}",
    "",
  ].join("\n");
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  leftBehind.delete(dir);
}

/**
 * Data dirs of cluster members still running. bench.ts stops only the systems it started on an
 * interrupt; its exit then kills these processes (their modules' exit hooks), and this removes
 * their files.
 */
const leftBehind = new Set<string>();
process.on("exit", () => {
  for (const dir of leftBehind) rmSync(dir, { recursive: true, force: true });
});
