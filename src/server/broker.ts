import { randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { connect, type NatsConnection } from "nats";
import { ActivityPublisher } from "./activity.js";
import { AckRouter } from "./api/ack-router.js";
import type { ApiContext } from "./api/context.js";
import { createRpcServer } from "./api/server.js";
import { nowNanos } from "./clock.js";
import { clusterStatus } from "./cluster/cluster-status.js";
import { Controller } from "./cluster/controller.js";
import { BrokerLiveness } from "./cluster/liveness.js";
import { type Bootstrap, MetadataRaft } from "./cluster/metadata-raft.js";
import type { BrokerConfig } from "./config/index.js";
import { CursorManager } from "./cursors.js";
import { prepareDataDir, resolveServerId, StartupError } from "./data-dir.js";
import { type DataDirLock, lockDataDir } from "./data-dir-lock.js";
import { DiskSpace, isNoSpace, spaceAwareFileSystem } from "./disk-space.js";
import { ENCRYPTION_KEY_ENV, masterKeyFromEnv } from "./encryption.js";
import { GroupCoordinator } from "./groups.js";
import type { TlsFiles } from "./grpc/http2-server.js";
import type { RpcServer } from "./grpc/rpc-server.js";
import { plaintextExposureWarning } from "./listen-exposure.js";
import { type LogFileSystem, nodeFileSystem } from "./log/index.js";
import type { Logger } from "./logger.js";
import { MetadataState } from "./metadata/state.js";
import { credentialsFromUrls, redactUrl } from "./nats/credentials.js";
import { type NatsServerHandle, startNatsServer } from "./nats/launcher.js";
import { PartitionStore } from "./partition/registry.js";
import { type ReplicationControl, replicationSettings } from "./replication/control.js";
import { ReplicationNotifications } from "./replication/notifications.js";

/** How often partitions are checked against their auto-pause time. */
const AUTO_PAUSE_CHECK_MS = 250;
/** How often the cleaner looks for partitions whose cleaner interval has passed. */
const CLEANER_CHECK_MS = 500;
/** How often group coordinators look for consumers that stopped fetching assignments. */
const GROUP_CHECK_MS = 500;
/**
 * Longest wait for each step of a stop. A step that overruns is abandoned (and logged) so that
 * a stop always ends: NATS may be gone already (the embedded nats-server got the same Ctrl-C,
 * or an external one was stopped together with the broker), and nothing then answers.
 */
const STOP_STEP_MS = { default: 3000, partitions: 5000, natsDrain: 2000 } as const;

/** Start-up was stopped by a signal (options.signal); not a failure. */
export class StartupAbortedError extends Error {
  constructor(reason: string) {
    super(`stopped during start-up (${reason})`);
    this.name = "StartupAbortedError";
  }
}

export interface BrokerAddress {
  host: string;
  port: number;
}

/**
 * One lb broker: NATS (embedded or external), the metadata log, the partitions it leads and
 * the gRPC API. `start` brings them up in dependency order; `stop` takes them down in reverse,
 * finishing in-flight appends and syncing logs before it returns.
 */
export class Broker {
  private stopping?: Promise<void>;

  private constructor(
    readonly serverId: string,
    /** What clients are told to dial (FetchMetadata). */
    readonly address: BrokerAddress,
    /** Where the gRPC server is bound: 0.0.0.0 by default, as upstream. */
    readonly listenAddress: BrokerAddress,
    readonly natsUrl: string,
    private readonly grpc: RpcServer,
    private readonly nc: NatsConnection,
    private readonly embeddedNats: NatsServerHandle | undefined,
    private readonly partitions: PartitionStore,
    private readonly metadataLog: MetadataRaft,
    private readonly liveness: BrokerLiveness,
    private readonly controller: Controller,
    private readonly acks: AckRouter,
    private readonly shutdown: AbortController,
    private readonly timers: NodeJS.Timeout[],
    private readonly activity: ActivityPublisher,
    private readonly diskSpace: DiskSpace,
    private readonly lock: DataDirLock,
    private readonly logger: Logger,
  ) {}

  static async start(
    config: BrokerConfig,
    logger: Logger,
    options: {
      logFileSystem?: LogFileSystem;
      /** Aborting it stops a start in progress: start() undoes what it did and throws a StartupAbortedError. */
      signal?: AbortSignal;
    } = {},
  ): Promise<Broker> {
    const { signal } = options;
    const checkAborted = () => {
      if (signal?.aborted) throw new StartupAbortedError(String(signal.reason ?? "aborted"));
    };
    // Every start-up failure that can be seen before touching anything is reported first.
    if (config.streams.encryption || process.env[ENCRYPTION_KEY_ENV]) masterKeyFromEnv();
    const natsAuth = natsCredentials(config);
    await prepareDataDir(config.dataDir);
    const lock = await lockDataDir(config.dataDir).catch(async (err) => {
      if (!isNoSpace(err)) throw err;
      // The lock file needs a block: on a full disk the reserve gives up its room for it.
      if (await DiskSpace.releaseAtStart(config.dataDir)) return lockDataDir(config.dataDir);
      throw new StartupError(
        `no space left on device to write the lock file in ${config.dataDir}: free space on its file system and start again`,
      );
    });
    const cleanup: (() => Promise<unknown>)[] = [() => lock.release()];
    /** A long start-up step, given up as soon as the start is aborted (cleanup then undoes it). */
    const unlessAborted = <T>(step: Promise<T>): Promise<T> => {
      if (!signal) return step;
      return new Promise<T>((resolve, reject) => {
        const onAbort = () => reject(new StartupAbortedError(String(signal.reason ?? "aborted")));
        if (signal.aborted) return onAbort();
        signal.addEventListener("abort", onAbort, { once: true });
        step.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
      });
    };
    try {
      checkAborted();
      const serverId = await resolveServerId(config.dataDir, config.serverId);
      const diskSpace = await DiskSpace.open(config.dataDir, logger);
      cleanup.push(async () => diskSpace.close());
      let embeddedNats: NatsServerHandle | undefined;
      let servers = config.nats.servers;
      if (config.nats.embedded) {
        // With a config file of its own, the embedded server listens where that file says.
        const own = config.nats.embeddedConfig !== undefined;
        embeddedNats = await startNatsServer({
          host: own ? undefined : "127.0.0.1",
          port: own ? undefined : 0,
          configFile: config.nats.embeddedConfig,
          onLogLine: config.logging.nats
            ? (line) => logger.info(line, { source: "nats" })
            : undefined,
        });
        cleanup.push(() => embeddedNats!.stop());
        servers = [embeddedNats.url];
      }
      checkAborted();
      const nc = await connectNats(servers, natsAuth, config, serverId);
      cleanup.push(() => nc.close());
      checkAborted();

      const state = new MetadataState(logger);
      const metadataLog = await MetadataRaft.open({
        dir: join(config.dataDir, "raft"),
        serverId,
        namespace: config.namespace,
        nc,
        state,
        logger,
        bootstrap: bootstrapMode(config),
        maxQuorumSize: config.clustering.raftMaxQuorumSize,
        snapshotThreshold: config.clustering.raftSnapshotThreshold,
        joinTimeoutMs: config.clustering.raftJoinTimeoutMs,
        signal,
        reserve: diskSpace,
      }).catch((err) => {
        checkAborted();
        throw new StartupError(
          isNoSpace(err)
            ? `no space left on device for the metadata log in ${join(config.dataDir, "raft")} (${(err as Error).message}): free space on its file system and start again`
            : (err as Error).message,
        );
      });
      cleanup.push(() => metadataLog.close());
      checkAborted();

      const notifications = new ReplicationNotifications(nc, config.namespace, serverId, logger);
      notifications.start();
      cleanup.push(async () => notifications.close());
      const acks = new AckRouter(nc, `_INBOX.lb.${serverId}.${randomBytes(4).toString("hex")}`);
      const partitions = new PartitionStore({
        dataDir: config.dataDir,
        serverId,
        nc,
        logger,
        deliverAckLocally: (inbox, ack) => acks.deliverLocally(inbox, ack),
        defaults: config.streams,
        fs: spaceAwareFileSystem(options.logFileSystem ?? nodeFileSystem, diskSpace),
        replication: {
          settings: replicationSettings(config, serverId),
          control: replicationControl(metadataLog, serverId),
          notifications,
        },
      });
      cleanup.push(() => partitions.closeAll());
      // Roles come from the metadata: catch up with the controller before taking any, so a
      // broker that was down does not act as leader of partitions that moved meanwhile.
      if (!(await unlessAborted(metadataLog.waitCaughtUp(CATCH_UP_TIMEOUT_MS)))) {
        logger.warn("no controller answered; starting from the local metadata");
      }
      state.onEvent((event) => {
        switch (event.type) {
          case "streamCreated":
            void partitions.add(event.stream);
            break;
          case "streamDeleted":
            void partitions.remove(event.stream.name);
            break;
          case "partitionsChanged":
            void partitions.changed(event.stream, event.partitions);
            break;
          case "leaderChanged":
            void partitions.leaderChanged(event.stream, event.partition);
            break;
          case "isrChanged":
            partitions.isrChanged(event.stream, event.partition);
            break;
          case "restored":
            void partitions.restored(state.listStreams());
            break;
        }
      });
      // After the listener: changes applied while these open are queued behind them.
      for (const stream of state.listStreams()) await partitions.add(stream);

      let liveness: BrokerLiveness | undefined;
      const register = async (port: number) => {
        const advertised = { host: config.advertiseHost, port };
        const current = state.listBrokers().find((b) => b.id === serverId);
        if (
          current?.host !== advertised.host ||
          current?.port !== advertised.port ||
          current.alive === false
        ) {
          await unlessAborted(
            metadataLog.propose(
              { op: "upsertBroker", broker: { id: serverId, ...advertised } },
              Date.now() + REGISTER_TIMEOUT_MS,
            ),
          );
        }
        liveness = new BrokerLiveness(nc, config.namespace, { id: serverId, ...advertised }, () =>
          partitions.localFailures(),
        );
        await liveness.start();
        cleanup.push(async () => liveness?.stop());
      };
      // With a fixed port, register before serving so no request sees an empty cluster; with
      // port 0 (tests) nobody can reach us before bind tells us the port.
      if (config.listenPort !== 0) await register(config.advertisePort || config.listenPort);

      await acks.flush();
      const shutdown = new AbortController();
      // Every call waiting for an ack listens for shutdown; their number has no useful limit.
      setMaxListeners(0, shutdown.signal);
      const ctx: ApiContext = {
        serverId,
        config,
        logger,
        nc,
        metadata: state,
        replicatedLog: metadataLog,
        partitions,
        cluster: {
          status: () =>
            clusterStatus(serverId, metadataLog, state, (id) =>
              id === serverId ? partitions.localFailures() : (liveness?.failuresOf(id) ?? []),
            ),
        },
        acks,
        shutdown: shutdown.signal,
      };
      const cursors = new CursorManager(ctx);
      const groups = new GroupCoordinator(ctx);
      const grpc = createRpcServer(ctx, cursors, groups);
      const boundPort = await bind(grpc, config.listenHost, config.listenPort, config.tls);
      cleanup.push(async () => grpc.forceShutdown());
      if (config.listenPort === 0) await register(config.advertisePort || boundPort);
      const controller = new Controller(metadataLog, state, liveness!, logger);
      controller.start();
      cleanup.push(async () => controller.stop());
      await cursors.initialize();
      const activity = new ActivityPublisher(ctx, shutdown.signal, metadataLog);
      activity.start();
      cleanup.push(() => {
        shutdown.abort();
        return activity.stop();
      });
      const autoPauseTimer = setInterval(() => {
        for (const { stream, partition } of partitions.takeIdlePartitions(
          Date.now(),
          config.streams,
        )) {
          logger.info("auto-pausing idle partition", { stream, partition });
          void metadataLog
            .propose({
              op: "pauseStream",
              stream,
              partitions: [partition],
              resumeAll: false,
              timestamp: nowNanos().toString(),
            })
            .catch((err) => logger.warn("auto-pause failed", { stream, partition, error: err }));
        }
      }, AUTO_PAUSE_CHECK_MS);
      cleanup.push(async () => clearInterval(autoPauseTimer));
      // Streams may choose `interval` even when the broker default is another policy.
      const syncTimer = setInterval(
        () => void partitions.syncIntervalPartitions(),
        config.streams.syncIntervalMs,
      );
      cleanup.push(async () => clearInterval(syncTimer));
      let cleaning = false;
      const cleanerTimer = setInterval(() => {
        if (cleaning) return;
        cleaning = true;
        void partitions.clean().finally(() => {
          cleaning = false;
        });
      }, CLEANER_CHECK_MS);
      cleanup.push(async () => clearInterval(cleanerTimer));
      const groupTimer = setInterval(() => void groups.expireMembers(), GROUP_CHECK_MS);
      cleanup.push(async () => clearInterval(groupTimer));
      checkAborted();
      const natsUrl = embeddedNats?.url ?? servers.map(redactUrl).join(",");
      const exposure = plaintextExposureWarning(
        config.listenHost,
        boundPort,
        config.tls.cert !== undefined,
      );
      if (exposure) logger.warn(exposure, { listen: `${config.listenHost}:${boundPort}` });
      logger.info("broker started", {
        id: serverId,
        listen: `${config.listenHost}:${boundPort}`,
        nats: natsUrl,
        data: config.dataDir,
      });
      return new Broker(
        serverId,
        { host: config.advertiseHost, port: config.advertisePort || boundPort },
        { host: config.listenHost, port: boundPort },
        natsUrl,
        grpc,
        nc,
        embeddedNats,
        partitions,
        metadataLog,
        liveness!,
        controller,
        acks,
        shutdown,
        [autoPauseTimer, syncTimer, cleanerTimer, groupTimer],
        activity,
        diskSpace,
        lock,
        logger,
      );
    } catch (err) {
      for (const undo of cleanup.reverse()) {
        await bounded(undo(), STOP_STEP_MS.default).catch(() => undefined);
      }
      throw err;
    }
  }

  /** Graceful stop: refuse new calls, end subscriptions, drain appends, sync, close. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  /**
   * Every step runs even when an earlier one fails (a full disk can fail the final syncs), so
   * that the process can exit; the first failure is thrown at the end.
   */
  private async doStop(): Promise<void> {
    this.logger.info("broker stopping", { id: this.serverId });
    try {
      for (const timer of this.timers) clearInterval(timer);
      const drained = new Promise<void>((resolve) => this.grpc.tryShutdown(() => resolve()));
      this.shutdown.abort();
      await this.step("activity stream", () => this.activity.stop());
      await this.step("partitions", () => this.partitions.closeAll(), STOP_STEP_MS.partitions);
      const forced = setTimeout(() => this.grpc.forceShutdown(), 2000);
      await this.step("gRPC calls", () => drained);
      clearTimeout(forced);
      this.acks.close();
      this.controller.stop();
      this.liveness.stop();
      await this.step("metadata log", () => this.metadataLog.close());
      this.diskSpace.close();
      await this.closeNats();
      if (this.embeddedNats)
        await this.step("embedded nats-server", () => this.embeddedNats!.stop());
    } finally {
      await this.lock.release();
    }
    this.logger.info("broker stopped", { id: this.serverId });
  }

  /** Drains the connection (delivers what was published) when NATS is there to take it. */
  private async closeNats(): Promise<void> {
    const gone =
      this.nc.isClosed() || (this.embeddedNats !== undefined && !this.embeddedNats.running);
    if (!gone) {
      // Ends early if the embedded server exits meanwhile: nothing would answer the drain then.
      const serverExit = this.embeddedNats?.exited ?? new Promise<never>(() => {});
      await this.step(
        "NATS drain",
        () => Promise.race([this.nc.drain(), serverExit]),
        STOP_STEP_MS.natsDrain,
      );
    }
    // drain() can end without closing (when its flush fails): close in any case.
    await this.step("NATS connection", () => this.nc.close());
  }

  /** One stop step, abandoned with a warning if it fails or overruns, so that stop() ends. */
  private async step(
    name: string,
    run: () => Promise<unknown>,
    timeoutMs: number = STOP_STEP_MS.default,
  ): Promise<void> {
    try {
      await bounded(run(), timeoutMs);
    } catch (err) {
      this.logger.warn(`stopping: ${name} did not finish; going on`, { error: err });
    }
  }
}

/** The promise, or a rejection after timeoutMs. */
function bounded<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Replicas' requests to the controller become metadata commands or controller reports. */
function replicationControl(raft: MetadataRaft, serverId: string): ReplicationControl {
  const isr =
    (op: "shrinkIsr" | "expandIsr") =>
    async (stream: string, partition: number, replica: string, leaderEpoch: number) => {
      await raft.propose({ op, stream, partition, replica, leaderEpoch });
    };
  return {
    shrinkIsr: isr("shrinkIsr"),
    expandIsr: isr("expandIsr"),
    reportLeader: async (stream, partition, leader, leaderEpoch) => {
      await raft.requestController({
        kind: "reportLeader",
        stream,
        partition,
        leader,
        leaderEpoch,
        reporter: serverId,
      });
    },
    resignLeader: async (stream, partition, leaderEpoch, reason) => {
      const answer = await raft.requestController({
        kind: "resignLeader",
        stream,
        partition,
        leaderEpoch,
        leader: serverId,
        reason,
      });
      return answer.moved === true
        ? { moved: true, leader: String(answer.leader) }
        : { moved: false, reason: String(answer.reason) };
    },
  };
}

/** How long a starting broker waits to learn the current metadata from the controller. */
const CATCH_UP_TIMEOUT_MS = 10_000;

/** How long a starting broker waits to register with the controller. */
const REGISTER_TIMEOUT_MS = 30_000;

/**
 * How a broker with no Raft state starts: as upstream, `--raft-bootstrap-peers` or
 * `--raft-bootstrap-seed` found a cluster, and a broker on NATS it does not run itself joins
 * one found there. A broker running its own embedded nats-server (with or without a
 * configuration file for it, `--nc`) is the first broker on that server: it is a seed. Brokers
 * that each run an embedded server routed to the others' found their cluster with
 * `--raft-bootstrap-peers`.
 */
export function bootstrapMode(config: BrokerConfig): Bootstrap {
  const { raftBootstrapPeers, raftBootstrapSeed } = config.clustering;
  if (raftBootstrapPeers.length > 0) return { mode: "peers", peers: raftBootstrapPeers };
  if (raftBootstrapSeed || config.nats.embedded) return { mode: "seed" };
  return { mode: "join" };
}

/** Credentials from nats.user/nats.password, else from the URLs (`nats://user:pass@host`). */
function natsCredentials(config: BrokerConfig): NatsAuth {
  let fromUrls: ReturnType<typeof credentialsFromUrls>;
  try {
    fromUrls = credentialsFromUrls(config.nats.servers);
  } catch (err) {
    throw new StartupError((err as Error).message);
  }
  if (config.nats.user || config.nats.password) {
    return { servers: fromUrls.servers, user: config.nats.user, pass: config.nats.password };
  }
  return fromUrls;
}

interface NatsAuth {
  servers: string[];
  user?: string;
  pass?: string;
  token?: string;
}

async function connectNats(
  servers: string[],
  auth: NatsAuth,
  config: BrokerConfig,
  serverId: string,
): Promise<NatsConnection> {
  // The embedded server's URL carries no credentials; external ones had them taken out.
  const urls = config.nats.embedded ? servers : auth.servers;
  try {
    return await connect({
      servers: urls,
      name: `lb-${serverId}`,
      user: auth.user || undefined,
      pass: auth.pass || undefined,
      token: auth.token || undefined,
      tls:
        config.nats.tlsCert || config.nats.tlsCa
          ? {
              certFile: config.nats.tlsCert,
              keyFile: config.nats.tlsKey,
              caFile: config.nats.tlsCa,
            }
          : undefined,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      pingInterval: 10_000,
    });
  } catch (err) {
    const where = (config.nats.embedded ? servers : config.nats.servers).map(redactUrl).join(",");
    const code = (err as { code?: string }).code;
    if (code === "AUTHORIZATION_VIOLATION" || code === "AUTHENTICATION_EXPIRED") {
      const given =
        auth.user || auth.token ? "refused the credentials given" : "requires credentials";
      throw new StartupError(
        `NATS at ${where} ${given} (${(err as Error).message}): check the user and password, given in the URL as user:password@host or as nats.user and nats.password`,
      );
    }
    throw new StartupError(
      `cannot connect to NATS at ${where} (${(err as Error).message}): start nats-server there, or omit --nats-servers to run an embedded one`,
    );
  }
}

/** The TLS certificate and key to serve with, or undefined for plaintext. */
async function tlsFiles(tls: BrokerConfig["tls"]): Promise<TlsFiles | undefined> {
  if (!tls.cert && !tls.key) return undefined;
  if (!tls.cert || !tls.key) {
    throw new StartupError("TLS needs both --tls-cert and --tls-key (tls.cert and tls.key)");
  }
  const [cert, key] = await Promise.all([readFile(tls.cert), readFile(tls.key)]).catch((err) => {
    throw new StartupError(`cannot read the TLS certificate or key: ${(err as Error).message}`);
  });
  return { cert, key };
}

async function bind(
  server: RpcServer,
  host: string,
  port: number,
  tls: BrokerConfig["tls"],
): Promise<number> {
  const files = await tlsFiles(tls);
  try {
    return await server.listen(host, port, files);
  } catch (err) {
    const message = (err as Error).message;
    const inUse = /EADDRINUSE|address already in use|No address added/i.test(message);
    throw new StartupError(
      inUse
        ? `port ${port} on ${host} is in use: stop the other process or choose another with --port`
        : `cannot listen on ${host}:${port} (${message}): check --host/--port`,
    );
  }
}
