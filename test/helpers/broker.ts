import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecutionContext } from "ava";
import { Broker } from "../../src/server/broker.js";
import { loadConfig } from "../../src/server/config/index.js";
import type { LogFileSystem } from "../../src/server/log/index.js";
import { createLogger } from "../../src/server/logger.js";

export interface TestBroker {
  broker: Broker;
  address: string;
  dataDir: string;
  stop(): Promise<void>;
  /** Stops and starts again on the same data dir and port. */
  restart(): Promise<TestBroker>;
}

/**
 * Starts an in-process broker on a free loopback port with a fresh data dir, connected to the
 * given NATS url. Stopped (and its dir removed) when the test ends.
 */
export async function startBroker(
  t: ExecutionContext,
  natsUrl: string,
  options: {
    dataDir?: string;
    port?: number;
    flags?: Record<string, unknown>;
    logFileSystem?: LogFileSystem;
  } = {},
): Promise<TestBroker> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "lb-broker-")));
  const config = await loadConfig({
    flags: {
      "data.dir": dataDir,
      listen: `127.0.0.1:${options.port ?? 0}`,
      host: "127.0.0.1",
      "nats.servers": [natsUrl],
      "logging.level": "error",
      "clustering.raft.bootstrap.seed": true,
      ...options.flags,
    },
    env: {},
  });
  const broker = await Broker.start(config, createLogger("error"), {
    logFileSystem: options.logFileSystem,
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await broker.stop();
  };
  if (!options.dataDir) {
    t.teardown(async () => {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    });
  } else {
    t.teardown(stop);
  }
  const handle: TestBroker = {
    broker,
    address: `127.0.0.1:${broker.address.port}`,
    dataDir,
    stop,
    restart: async () => {
      await stop();
      return startBroker(t, natsUrl, { ...options, dataDir, port: broker.address.port });
    },
  };
  return handle;
}
