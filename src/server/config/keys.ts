import { formatDuration } from "./duration.js";

interface BaseSpec {
  /** Dotted configuration key, as written in the YAML file (lower case). */
  key: string;
  description: string;
  /** Shown instead of the literal default when the default is derived from other settings. */
  defaultText?: string;
}

export type KeySpec =
  | (BaseSpec & { type: "string"; default?: string })
  | (BaseSpec & {
      type: "int";
      default: number;
      min?: number;
      max?: number;
      /** Extra constraint beyond min/max, with the phrase used in error messages. */
      rule?: { test: (n: number) => boolean; expected: string };
    })
  | (BaseSpec & { type: "bool"; default: boolean })
  | (BaseSpec & {
      type: "duration";
      default: number;
      /** Smallest duration accepted other than 0, in milliseconds. */
      minNonZero?: number;
      /** Refuse 0. */
      nonZero?: boolean;
    })
  | (BaseSpec & { type: "list"; default: readonly string[] })
  | (BaseSpec & { type: "enum"; values: readonly string[]; default: string })
  /** "host:port", ":port" or a bare port number. */
  | (BaseSpec & { type: "address" });

export type KeyType = KeySpec["type"];

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * Every configuration key `lb serve` accepts: upstream Liftbridge's keys (same names, types and
 * defaults, so an upstream config file loads unchanged) plus lb's own `streams.sync.*`.
 */
export const CONFIG_KEYS: readonly KeySpec[] = [
  {
    key: "listen",
    type: "address",
    description:
      "Address to bind the gRPC server to, as host:port. Unset: bind host and port (host defaults to 0.0.0.0).",
    defaultText: "0.0.0.0:9292",
  },
  {
    key: "host",
    type: "string",
    description:
      "Host advertised to clients in metadata. Unset: the listen host, or 127.0.0.1 when listening on a wildcard address.",
    defaultText: "listen host, or 127.0.0.1",
  },
  {
    key: "port",
    type: "int",
    default: 9292,
    min: 1,
    max: 65535,
    description: "Port advertised to clients, and bound to when listen is unset.",
  },
  {
    key: "data.dir",
    type: "string",
    description: "Directory holding the broker's logs and metadata.",
    defaultText: "/tmp/liftbridge/<namespace>",
  },
  {
    key: "metadata.cache.max.age",
    type: "duration",
    default: 2 * MINUTE,
    description: "How long cached broker metadata stays valid.",
  },
  {
    key: "batch.max.messages",
    type: "int",
    default: 1024,
    min: 1,
    description: "Most messages written to disk in one batch.",
  },
  {
    key: "batch.max.time",
    type: "duration",
    default: 0,
    description: "How long to wait for a batch to fill before writing it; 0 writes at once.",
  },
  {
    key: "logging.level",
    type: "enum",
    values: ["debug", "info", "warn", "error"],
    default: "info",
    description: "Log level.",
  },
  {
    key: "logging.recovery",
    type: "bool",
    default: false,
    description: "Log the metadata replayed while recovering at start-up.",
  },
  { key: "logging.raft", type: "bool", default: false, description: "Log Raft internals." },
  {
    key: "logging.nats",
    type: "bool",
    default: false,
    description: "Forward the embedded nats-server's log to the broker's log.",
  },
  {
    key: "tls.key",
    type: "string",
    description: "Private key file of the server certificate; set together with tls.cert.",
  },
  {
    key: "tls.cert",
    type: "string",
    description: "Server certificate file; set together with tls.key to serve gRPC over TLS.",
  },
  {
    key: "tls.client.auth.enabled",
    type: "bool",
    default: false,
    description: "Require clients to present a certificate.",
  },
  {
    key: "tls.client.auth.ca",
    type: "string",
    description: "CA certificate file used to verify client certificates.",
  },
  {
    key: "tls.client.authz.enabled",
    type: "bool",
    default: false,
    description: "Authorize stream operations with an ACL (needs the model and policy files).",
  },
  {
    key: "tls.client.authz.model",
    type: "string",
    description: "Casbin ACL model file for authorization.",
  },
  {
    key: "tls.client.authz.policy",
    type: "string",
    description: "Casbin ACL policy file for authorization.",
  },
  {
    key: "nats.servers",
    type: "list",
    default: [],
    description: "NATS servers to connect to. None given: run an embedded nats-server.",
    defaultText: "none (embedded nats-server)",
  },
  { key: "nats.user", type: "string", description: "User name for the NATS connection." },
  { key: "nats.password", type: "string", description: "Password for the NATS connection." },
  { key: "nats.tls.cert", type: "string", description: "Client certificate file for NATS TLS." },
  { key: "nats.tls.key", type: "string", description: "Client key file for NATS TLS." },
  { key: "nats.tls.ca", type: "string", description: "CA certificate file for NATS TLS." },
  {
    key: "nats.embedded",
    type: "bool",
    default: false,
    description: "Run a nats-server child process on loopback and connect to it.",
    defaultText: "true when nats.servers is empty",
  },
  {
    key: "nats.embedded.config",
    type: "string",
    description: "nats-server configuration file for the embedded server (implies nats.embedded).",
  },
  {
    key: "streams.retention.max.bytes",
    type: "int",
    default: 0,
    min: 0,
    description: "Size in bytes past which a partition's oldest segments are deleted; 0: no limit.",
  },
  {
    key: "streams.retention.max.messages",
    type: "int",
    default: 0,
    min: 0,
    description: "Message count past which a partition's oldest segments are deleted; 0: no limit.",
  },
  {
    key: "streams.retention.max.age",
    type: "duration",
    default: 168 * HOUR,
    minNonZero: SECOND,
    description: "Age after which a segment is deleted: 0 (no limit) or at least 1s.",
  },
  {
    key: "streams.cleaner.interval",
    type: "duration",
    default: 5 * MINUTE,
    nonZero: true,
    description: "How often retention, segment rolling and compaction run.",
  },
  {
    key: "streams.segment.max.bytes",
    type: "int",
    default: 256 * 1024 * 1024,
    min: 1024,
    max: 2 ** 31 - 1,
    description: "Size in bytes at which a new segment is started (1 KiB to 2 GiB - 1).",
  },
  {
    key: "streams.segment.max.age",
    type: "duration",
    default: 0,
    minNonZero: SECOND,
    description:
      "Age at which a new segment is started: 0 (follow streams.retention.max.age) or at least 1s.",
    defaultText: "streams.retention.max.age",
  },
  {
    key: "streams.max.partitions",
    type: "int",
    default: 1000,
    min: 1,
    max: 10_000,
    description:
      "Most partitions a CreateStream may ask for (lb's own; each open partition holds files open).",
  },
  {
    key: "streams.max.open.files",
    type: "int",
    default: 1024,
    min: 8,
    max: 1_000_000,
    description:
      "Most segment and index files the broker's logs keep open at once (lb's own): the least recently used are closed and reopened on demand.",
  },
  {
    key: "streams.compact.enabled",
    type: "bool",
    default: false,
    description: "Compact logs: keep only the newest message of each key.",
  },
  {
    key: "streams.compact.max.goroutines",
    type: "int",
    default: 10,
    min: 1,
    description: "Most segments compacted concurrently per partition.",
  },
  {
    key: "streams.auto.pause.time",
    type: "duration",
    default: 0,
    description: "Idle time after which a partition is paused; 0: never.",
  },
  {
    key: "streams.auto.pause.disable.if.subscribers",
    type: "bool",
    default: false,
    description: "Do not auto-pause partitions that have subscribers.",
  },
  {
    key: "streams.concurrency.control",
    type: "bool",
    default: false,
    description: "Enable optimistic concurrency control on publishes for all streams.",
  },
  {
    key: "streams.encryption",
    type: "bool",
    default: false,
    description:
      "Encrypt stored messages (data at rest); needs an AES key in LIFTBRIDGE_ENCRYPTION_KEY.",
  },
  {
    key: "streams.sync.policy",
    type: "enum",
    values: ["always", "interval", "none"],
    default: "always",
    description:
      "When appended messages are fsynced: always (before acking), interval (every streams.sync.interval), none (left to the OS).",
  },
  {
    key: "streams.sync.interval",
    type: "duration",
    default: 100,
    description: "fsync period when streams.sync.policy is interval.",
  },
  {
    key: "clustering.server.id",
    type: "string",
    description: "This broker's ID (no spaces or periods). Unset: a stored or generated ID.",
    defaultText: "generated",
  },
  {
    key: "clustering.namespace",
    type: "string",
    default: "liftbridge-default",
    description: "Cluster namespace, prefix of internal NATS subjects (no spaces or periods).",
  },
  {
    key: "clustering.raft.snapshot.retain",
    type: "int",
    default: 2,
    min: 1,
    description: "Raft snapshots kept on disk.",
  },
  {
    key: "clustering.raft.snapshot.threshold",
    type: "int",
    default: 8192,
    min: 1,
    description: "Raft log entries accumulated before a snapshot is taken.",
  },
  {
    key: "clustering.raft.cache.size",
    type: "int",
    default: 512,
    min: 0,
    description: "Raft log entries cached in memory.",
  },
  {
    key: "clustering.raft.bootstrap.seed",
    type: "bool",
    default: false,
    description: "With no Raft state yet, bootstrap a cluster with this broker as its only voter.",
  },
  {
    key: "clustering.raft.bootstrap.peers",
    type: "list",
    default: [],
    description: "With no Raft state yet, bootstrap a cluster with these server IDs as voters.",
  },
  {
    key: "clustering.raft.join.timeout",
    type: "duration",
    default: 30 * SECOND,
    description:
      "lb's own: how long a broker with no Raft state asks the cluster on NATS to add it before start-up fails.",
  },
  {
    key: "clustering.raft.max.quorum.size",
    type: "int",
    default: 0,
    min: 0,
    description: "Most Raft voters; brokers beyond it join as non-voters. 0: no limit.",
  },
  {
    key: "clustering.replica.max.lag.time",
    type: "duration",
    default: 15 * SECOND,
    description: "A follower that has not caught up for this long is removed from the ISR.",
  },
  {
    key: "clustering.replica.max.leader.timeout",
    type: "duration",
    default: 15 * SECOND,
    description: "A leader silent for this long is reported to the controller by its followers.",
  },
  {
    key: "clustering.replica.max.idle.wait",
    type: "duration",
    default: 10 * SECOND,
    description: "Longest a caught-up follower waits before its next fetch.",
  },
  {
    key: "clustering.replica.fetch.timeout",
    type: "duration",
    default: 3 * SECOND,
    description: "Timeout of a follower's replication request.",
  },
  {
    key: "clustering.min.insync.replicas",
    type: "int",
    default: 1,
    min: 1,
    description: "Replicas that must have a message before it commits.",
  },
  {
    key: "clustering.replication.max.bytes",
    type: "int",
    default: 1024 * 1024,
    min: 1,
    description: "Largest replication response; keep it equal to NATS max_payload.",
  },
  {
    key: "activity.stream.enabled",
    type: "bool",
    default: false,
    description: "Publish metadata events to the internal __activity stream.",
  },
  {
    key: "activity.stream.publish.timeout",
    type: "duration",
    default: 5 * SECOND,
    description: "How long an activity event publish waits for its ack.",
  },
  {
    key: "activity.stream.publish.ack.policy",
    type: "enum",
    values: ["none", "leader", "all"],
    default: "all",
    description: "Ack policy of activity event publishes.",
  },
  {
    key: "cursors.stream.partitions",
    type: "int",
    default: 0,
    min: 0,
    description: "Partitions of the internal __cursors stream; 0 disables cursors.",
  },
  {
    key: "cursors.stream.replication.factor",
    type: "int",
    default: -1,
    min: -1,
    rule: { test: (n) => n !== 0, expected: "-1 (all brokers) or a positive integer" },
    description: "Replication factor of the __cursors stream; -1: every broker in the cluster.",
  },
  {
    key: "cursors.stream.auto.pause.time",
    type: "duration",
    default: MINUTE,
    description: "Idle time after which a __cursors partition is paused; 0: never.",
  },
  {
    key: "groups.consumer.timeout",
    type: "duration",
    default: 15 * SECOND,
    description: "A consumer that has not fetched its assignments for this long leaves its group.",
  },
  {
    key: "groups.coordinator.timeout",
    type: "duration",
    default: 15 * SECOND,
    description: "A coordinator silent for this long is reported to the controller by members.",
  },
  {
    key: "telemetry.enabled",
    type: "bool",
    default: true,
    description: "Accepted so upstream config files load; lb sends no telemetry.",
  },
  {
    key: "telemetry.interval.seconds",
    type: "int",
    default: 86400,
    min: 0,
    description: "Accepted so upstream config files load; lb sends no telemetry.",
  },
  // lb's gRPC limits (upstream has none of these keys).
  {
    key: "grpc.max.message.bytes",
    type: "int",
    default: 64 * 1024 * 1024,
    min: 1,
    max: 2 ** 31 - 1,
    description:
      "Largest gRPC message received or sent, in bytes; larger ones end the call with ResourceExhausted.",
  },
  {
    key: "grpc.max.concurrent.streams",
    type: "int",
    default: 1000,
    min: 1,
    max: 2 ** 31 - 1,
    description:
      "Calls open at once on one client connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS); more are refused.",
  },
  {
    key: "grpc.max.session.memory",
    type: "int",
    default: 256 * 1024 * 1024,
    min: 1024 * 1024,
    max: Number.MAX_SAFE_INTEGER,
    description:
      "Memory one client connection may hold, in bytes: partly received messages across its calls (more ends the call with ResourceExhausted) and HTTP/2 session buffers (more refuses new calls). At least grpc.max.message.bytes.",
  },
  {
    key: "metadata.max.names",
    type: "int",
    default: 1000,
    min: 1,
    max: 2 ** 31 - 1,
    description: "Most stream names one FetchMetadata request may list (InvalidArgument above).",
  },
];

const BY_KEY = new Map(CONFIG_KEYS.map((spec) => [spec.key, spec]));

export function keySpec(key: string): KeySpec | undefined {
  return BY_KEY.get(key);
}

/** `streams.retention.max.age` → `LIFTBRIDGE_STREAMS_RETENTION_MAX_AGE`. */
export function envNameForKey(key: string): string {
  return `LIFTBRIDGE_${key.toUpperCase().replaceAll(".", "_")}`;
}

export interface KeyDescription {
  key: string;
  type: KeyType;
  default: string;
  env: string;
  description: string;
}

/** One row per configuration key, for `lb serve --help` and the README. */
export function describeKeys(): KeyDescription[] {
  return CONFIG_KEYS.map((spec) => ({
    key: spec.key,
    type: spec.type,
    default: spec.defaultText ?? formatDefault(spec),
    env: envNameForKey(spec.key),
    description:
      spec.type === "enum" ? `${spec.description} [${spec.values.join("|")}]` : spec.description,
  }));
}

function formatDefault(spec: KeySpec): string {
  switch (spec.type) {
    case "duration":
      return formatDuration(spec.default);
    case "list":
      return spec.default.join(",");
    case "address":
      return "";
    case "string":
      return spec.default ?? "";
    default:
      return String(spec.default);
  }
}
