import path from "node:path";
import type { LogLevel } from "../logger.js";
import { ConfigError } from "./errors.js";
import type { Settings } from "./settings.js";
import type { ActivityAckPolicy, BrokerConfig, SyncPolicy } from "./types.js";

const DEFAULT_LISTEN_HOST = "0.0.0.0";
const LOOPBACK = "127.0.0.1";
const WILDCARD_HOSTS = new Set(["", "0.0.0.0", "::", "[::]"]);
/** When the user disables the embedded server but names no NATS server: NATS's default URL. */
const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";
const MAX_IDENTIFIER_BYTES = 255;
const IDENTIFIER_EXPECTED = `a non-empty name of at most ${MAX_IDENTIFIER_BYTES} UTF-8 bytes without spaces, periods, '*' or '>'`;

/** Turns merged settings into a BrokerConfig, applying the rules that span several keys. */
export function resolveConfig(settings: Settings, env: NodeJS.ProcessEnv): BrokerConfig {
  const namespace = settings.string("clustering.namespace") ?? "";
  if (!isIdentifier(namespace)) throw settings.invalid("clustering.namespace", IDENTIFIER_EXPECTED);
  const serverId = settings.string("clustering.server.id") ?? "";
  if (serverId !== "" && !isIdentifier(serverId)) {
    throw settings.invalid("clustering.server.id", IDENTIFIER_EXPECTED);
  }
  const dataDir = settings.string("data.dir") ?? `/tmp/liftbridge/${namespace}`;
  const retentionMaxAgeMs = settings.number("streams.retention.max.age");
  const syncPolicy = settings.choice<SyncPolicy>("streams.sync.policy");
  const syncIntervalMs = settings.number("streams.sync.interval");
  if (syncPolicy === "interval" && syncIntervalMs <= 0) {
    throw settings.invalid("streams.sync.interval", "a duration above 0 with sync policy interval");
  }
  const encryption = settings.bool("streams.encryption");
  if (encryption && !env.LIFTBRIDGE_ENCRYPTION_KEY) {
    throw new ConfigError(
      `streams.encryption is enabled (${settings.origin("streams.encryption")}) but LIFTBRIDGE_ENCRYPTION_KEY is not set`,
    );
  }
  return {
    ...resolveAddresses(settings),
    dataDir: path.resolve(dataDir),
    serverId,
    namespace,
    logLevel: settings.choice<LogLevel>("logging.level"),
    logging: {
      recovery: settings.bool("logging.recovery"),
      raft: settings.bool("logging.raft"),
      nats: settings.bool("logging.nats"),
    },
    tls: resolveTls(settings),
    nats: resolveNats(settings),
    batchMaxMessages: settings.number("batch.max.messages"),
    batchMaxTimeMs: settings.number("batch.max.time"),
    metadataCacheMaxAgeMs: settings.number("metadata.cache.max.age"),
    streams: {
      retentionMaxBytes: settings.number("streams.retention.max.bytes"),
      retentionMaxMessages: settings.number("streams.retention.max.messages"),
      retentionMaxAgeMs,
      cleanerIntervalMs: settings.number("streams.cleaner.interval"),
      segmentMaxBytes: settings.number("streams.segment.max.bytes"),
      // As upstream: an unset or zero segment age follows the retention age.
      segmentMaxAgeMs: settings.number("streams.segment.max.age") || retentionMaxAgeMs,
      maxPartitions: settings.number("streams.max.partitions"),
      maxOpenFiles: settings.number("streams.max.open.files"),
      compactEnabled: settings.bool("streams.compact.enabled"),
      compactMaxGoroutines: settings.number("streams.compact.max.goroutines"),
      autoPauseTimeMs: settings.number("streams.auto.pause.time"),
      autoPauseDisableIfSubscribers: settings.bool("streams.auto.pause.disable.if.subscribers"),
      concurrencyControl: settings.bool("streams.concurrency.control"),
      encryption,
      syncPolicy,
      syncIntervalMs,
    },
    clustering: {
      raftSnapshotRetain: settings.number("clustering.raft.snapshot.retain"),
      raftSnapshotThreshold: settings.number("clustering.raft.snapshot.threshold"),
      raftCacheSize: settings.number("clustering.raft.cache.size"),
      raftBootstrapSeed: settings.bool("clustering.raft.bootstrap.seed"),
      raftBootstrapPeers: settings.list("clustering.raft.bootstrap.peers"),
      raftMaxQuorumSize: settings.number("clustering.raft.max.quorum.size"),
      raftJoinTimeoutMs: settings.number("clustering.raft.join.timeout"),
      replicaMaxLagTimeMs: settings.number("clustering.replica.max.lag.time"),
      replicaMaxLeaderTimeoutMs: settings.number("clustering.replica.max.leader.timeout"),
      replicaMaxIdleWaitMs: settings.number("clustering.replica.max.idle.wait"),
      replicaFetchTimeoutMs: settings.number("clustering.replica.fetch.timeout"),
      minInsyncReplicas: settings.number("clustering.min.insync.replicas"),
      replicationMaxBytes: settings.number("clustering.replication.max.bytes"),
    },
    activity: {
      streamEnabled: settings.bool("activity.stream.enabled"),
      streamPublishTimeoutMs: settings.number("activity.stream.publish.timeout"),
      streamPublishAckPolicy: settings.choice<ActivityAckPolicy>(
        "activity.stream.publish.ack.policy",
      ),
    },
    cursors: {
      streamPartitions: settings.number("cursors.stream.partitions"),
      streamReplicationFactor: settings.number("cursors.stream.replication.factor"),
      streamAutoPauseTimeMs: settings.number("cursors.stream.auto.pause.time"),
    },
    groups: {
      consumerTimeoutMs: settings.number("groups.consumer.timeout"),
      coordinatorTimeoutMs: settings.number("groups.coordinator.timeout"),
    },
    grpc: resolveGrpcLimits(settings),
    metadataMaxNames: settings.number("metadata.max.names"),
  };
}

function resolveGrpcLimits(settings: Settings): BrokerConfig["grpc"] {
  const maxMessageBytes = settings.number("grpc.max.message.bytes");
  const maxSessionMemoryBytes = settings.number("grpc.max.session.memory");
  if (maxSessionMemoryBytes < maxMessageBytes) {
    throw new ConfigError(
      `grpc.max.session.memory (${maxSessionMemoryBytes}) must be at least grpc.max.message.bytes (${maxMessageBytes}), or no message of the maximum size could be received`,
    );
  }
  return {
    maxMessageBytes,
    maxConcurrentStreams: settings.number("grpc.max.concurrent.streams"),
    maxSessionMemoryBytes,
  };
}

/**
 * Binding follows upstream: `listen` if set, else `host`:`port`, else 0.0.0.0:`port`.
 * Advertising differs where upstream hands clients an unusable address: clients get `host` if
 * set, else the listen host; a wildcard (0.0.0.0, ::) or empty host is advertised as 127.0.0.1,
 * which is right for the common single-machine setup. Brokers on several machines must set
 * `host` to an address the clients and the other brokers can reach. The advertised port is
 * `port` if set, else the listen port.
 */
function resolveAddresses(settings: Settings) {
  const listen = settings.address("listen");
  const host = settings.string("host");
  const port = settings.number("port");
  const listenHost = listen ? listen.host || DEFAULT_LISTEN_HOST : (host ?? DEFAULT_LISTEN_HOST);
  const listenPort = listen ? listen.port : port;
  const advertiseCandidate = host ?? listenHost;
  return {
    listenHost,
    listenPort,
    advertiseHost: WILDCARD_HOSTS.has(advertiseCandidate) ? LOOPBACK : advertiseCandidate,
    advertisePort: settings.isSet("port") || !listen ? port : listenPort,
  };
}

function resolveTls(settings: Settings): BrokerConfig["tls"] {
  requirePair(settings, "tls.cert", "tls.key");
  const cert = settings.string("tls.cert");
  const clientAuthEnabled = settings.bool("tls.client.auth.enabled");
  if (clientAuthEnabled && !cert) {
    throw new ConfigError("tls.client.auth.enabled needs TLS: set tls.cert and tls.key");
  }
  const clientAuthzEnabled = settings.bool("tls.client.authz.enabled");
  const clientAuthzModel = settings.string("tls.client.authz.model");
  const clientAuthzPolicy = settings.string("tls.client.authz.policy");
  if (clientAuthzEnabled && (!clientAuthzModel || !clientAuthzPolicy)) {
    throw new ConfigError(
      "tls.client.authz.enabled needs tls.client.authz.model and tls.client.authz.policy",
    );
  }
  return {
    cert,
    key: settings.string("tls.key"),
    clientAuthEnabled,
    clientAuthCa: settings.string("tls.client.auth.ca"),
    clientAuthzEnabled,
    clientAuthzModel,
    clientAuthzPolicy,
  };
}

/**
 * Embedded when asked for (nats.embedded, nats.embedded.config) or when no NATS server is given
 * anywhere; the broker then connects to the embedded server only, so `servers` is empty. An
 * explicit `nats.embedded: false` with no servers means NATS's default local URL, as upstream.
 */
function resolveNats(settings: Settings): BrokerConfig["nats"] {
  requirePair(settings, "nats.tls.cert", "nats.tls.key");
  const given = settings.list("nats.servers");
  const embeddedConfig = settings.string("nats.embedded.config");
  const explicitlyOff = settings.isSet("nats.embedded") && !settings.bool("nats.embedded");
  const embedded =
    settings.bool("nats.embedded") ||
    embeddedConfig !== undefined ||
    (given.length === 0 && !explicitlyOff);
  return {
    servers: embedded ? [] : given.length > 0 ? given : [DEFAULT_NATS_URL],
    embedded,
    embeddedConfig: embeddedConfig === undefined ? undefined : path.resolve(embeddedConfig),
    user: settings.string("nats.user"),
    password: settings.string("nats.password"),
    tlsCert: settings.string("nats.tls.cert"),
    tlsKey: settings.string("nats.tls.key"),
    tlsCa: settings.string("nats.tls.ca"),
  };
}

function requirePair(settings: Settings, a: string, b: string): void {
  const hasA = settings.string(a) !== undefined;
  const hasB = settings.string(b) !== undefined;
  if (hasA !== hasB) {
    const [set, missing] = hasA ? [a, b] : [b, a];
    throw new ConfigError(
      `${set} is set (${settings.origin(set)}) but ${missing} is not: set both`,
    );
  }
}

/** Namespaces and server IDs become NATS subject tokens: no separators, wildcards or spaces. */
/** One NATS subject token, short enough that every internal subject stays a short line. */
function isIdentifier(name: string): boolean {
  return (
    name !== "" && !/[\s.*>\p{Cc}]/u.test(name) && Buffer.byteLength(name) <= MAX_IDENTIFIER_BYTES
  );
}
