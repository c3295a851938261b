import type { LogLevel } from "../logger.js";

export type SyncPolicy = "always" | "interval" | "none";
export type ActivityAckPolicy = "none" | "leader" | "all";

/** Everything `lb serve` needs, validated, with defaults applied. Durations are milliseconds. */
export interface BrokerConfig {
  /** The YAML file the settings were read from, if any. */
  configFile?: string;
  /** Address the gRPC server binds to; port 0 (only via `listen`) means any free port. */
  listenHost: string;
  listenPort: number;
  /** Address given to clients in metadata: never empty and never a wildcard address. */
  advertiseHost: string;
  /** 0 only when listenPort is 0 and `port` is unset: advertise the port actually bound. */
  advertisePort: number;
  /** Absolute path. */
  dataDir: string;
  /** "" when unset: the broker then uses its stored ID or generates and stores one. */
  serverId: string;
  namespace: string;
  logLevel: LogLevel;
  logging: { recovery: boolean; raft: boolean; nats: boolean };
  tls: {
    /** Both set, or both unset. */
    cert?: string;
    key?: string;
    clientAuthEnabled: boolean;
    clientAuthCa?: string;
    clientAuthzEnabled: boolean;
    clientAuthzModel?: string;
    clientAuthzPolicy?: string;
  };
  nats: {
    /** Empty when embedded: connect to the embedded server's URL instead. */
    servers: string[];
    embedded: boolean;
    embeddedConfig?: string;
    user?: string;
    password?: string;
    tlsCert?: string;
    tlsKey?: string;
    tlsCa?: string;
  };
  batchMaxMessages: number;
  batchMaxTimeMs: number;
  metadataCacheMaxAgeMs: number;
  streams: {
    retentionMaxBytes: number;
    retentionMaxMessages: number;
    retentionMaxAgeMs: number;
    cleanerIntervalMs: number;
    segmentMaxBytes: number;
    segmentMaxAgeMs: number;
    /** The most partitions one stream may have (lb's own streams.max.partitions). */
    maxPartitions: number;
    /** Descriptors the commit logs may hold open at once (lb's own streams.max.open.files). */
    maxOpenFiles: number;
    compactEnabled: boolean;
    compactMaxGoroutines: number;
    autoPauseTimeMs: number;
    autoPauseDisableIfSubscribers: boolean;
    concurrencyControl: boolean;
    encryption: boolean;
    syncPolicy: SyncPolicy;
    syncIntervalMs: number;
  };
  clustering: {
    raftSnapshotRetain: number;
    raftSnapshotThreshold: number;
    raftCacheSize: number;
    raftBootstrapSeed: boolean;
    raftBootstrapPeers: string[];
    raftMaxQuorumSize: number;
    raftJoinTimeoutMs: number;
    replicaMaxLagTimeMs: number;
    replicaMaxLeaderTimeoutMs: number;
    replicaMaxIdleWaitMs: number;
    replicaFetchTimeoutMs: number;
    minInsyncReplicas: number;
    replicationMaxBytes: number;
  };
  activity: {
    streamEnabled: boolean;
    streamPublishTimeoutMs: number;
    streamPublishAckPolicy: ActivityAckPolicy;
  };
  cursors: {
    streamPartitions: number;
    /** -1: every broker in the cluster when the stream is created. */
    streamReplicationFactor: number;
    streamAutoPauseTimeMs: number;
  };
  groups: { consumerTimeoutMs: number; coordinatorTimeoutMs: number };
  /** gRPC limits; maxSessionMemoryBytes is at least maxMessageBytes. */
  grpc: { maxMessageBytes: number; maxConcurrentStreams: number; maxSessionMemoryBytes: number };
  metadataMaxNames: number;
}
