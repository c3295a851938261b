import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials } from "@grpc/grpc-js";
import {
  connect,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
  StorageType,
} from "nats";
import { LiftbridgeClient } from "../src/client/index.js";
import { type NatsServerHandle, startNatsServer } from "../src/server/nats/launcher.js";
import { ApiClient } from "../src/wire/service.js";
import { type BrokerProcess, type SyncPolicy, startBrokerProcess } from "./broker-process.js";

/** An lb broker (child process) on its own nats-server, with the clients the scenarios use. */
export interface LbSystem {
  kind: "lb";
  label: string;
  sync: SyncPolicy;
  nats: NatsServerHandle;
  broker: BrokerProcess;
  client: LiftbridgeClient;
  /** The raw grpc-js client of proto.API. */
  api: ApiClient;
  /** A NATS connection of the load generator to the broker's nats-server. */
  nc: NatsConnection;
}

/** nats-server with JetStream on file storage, and nats.js clients. */
export interface JetStreamSystem {
  kind: "jetstream";
  label: string;
  nats: NatsServerHandle;
  storeDir: string;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/** A plain nats-server without JetStream. */
export interface CoreNatsSystem {
  kind: "core";
  label: string;
  nats: NatsServerHandle;
  nc: NatsConnection;
}

export type System = LbSystem | JetStreamSystem | CoreNatsSystem;

const GRPC_OPTIONS = {
  "grpc.max_receive_message_length": -1,
  "grpc.max_send_message_length": -1,
};

export async function startLb(sync: SyncPolicy): Promise<LbSystem> {
  const nats = await startNatsServer();
  try {
    const broker = await startBrokerProcess(nats.url, sync);
    const client = await LiftbridgeClient.connect([broker.address]);
    const api = new ApiClient(broker.address, credentials.createInsecure(), GRPC_OPTIONS);
    const nc = await connect({ servers: nats.url });
    return { kind: "lb", label: `lb sync=${sync}`, sync, nats, broker, client, api, nc };
  } catch (err) {
    await nats.stop();
    throw err;
  }
}

export async function startJetStream(): Promise<JetStreamSystem> {
  const storeDir = await mkdtemp(join(tmpdir(), "lb-bench-js-"));
  const nats = await startNatsServer({ jetstream: true, storeDir });
  const nc = await connect({ servers: nats.url });
  return {
    kind: "jetstream",
    label: "JetStream R1 file",
    nats,
    storeDir,
    nc,
    js: nc.jetstream(),
    jsm: await nc.jetstreamManager(),
  };
}

export async function startCoreNats(): Promise<CoreNatsSystem> {
  const nats = await startNatsServer();
  return { kind: "core", label: "core NATS", nats, nc: await connect({ servers: nats.url }) };
}

export async function stopSystem(system: System): Promise<void> {
  await system.nc.drain().catch(() => undefined);
  if (system.kind === "lb") {
    system.client.close();
    system.api.close();
    await system.broker.stop();
  }
  await system.nats.stop();
  if (system.kind === "jetstream") await rm(system.storeDir, { recursive: true, force: true });
}

let streamCounter = 0;

/** A fresh stream name, also used as its subject. */
export function freshStreamName(scenario: string): string {
  return `bench-${scenario}-${process.pid}-${++streamCounter}`;
}

/** Creates a one-partition stream (RF 1 / R1) named and subjected `name`. */
export async function createStream(
  system: LbSystem | JetStreamSystem,
  name: string,
): Promise<void> {
  if (system.kind === "lb") {
    await system.client.createStream(name, name, { partitions: 1, replicationFactor: 1 });
  } else {
    await system.jsm.streams.add({
      name,
      subjects: [name],
      storage: StorageType.File,
      num_replicas: 1,
    });
  }
}

export async function deleteStream(
  system: LbSystem | JetStreamSystem,
  name: string,
): Promise<void> {
  if (system.kind === "lb") await system.client.deleteStream(name);
  else await system.jsm.streams.delete(name);
}

/** How many messages the stream holds (lb: high watermark + 1 of partition 0). */
export async function storedCount(
  system: LbSystem | JetStreamSystem,
  name: string,
): Promise<number> {
  if (system.kind === "lb") {
    const metadata = await system.client.fetchPartitionMetadata(name, 0);
    return metadata.highWatermark + 1;
  }
  const info = await system.jsm.streams.info(name);
  return info.state.messages;
}
