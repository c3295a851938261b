import { writeFile } from "node:fs/promises";
import path from "node:path";
import test from "ava";
import {
  CONFIG_KEYS,
  ConfigError,
  describeKeys,
  FLAG_KEYS,
  loadConfig,
  parseGoDuration,
} from "../../src/server/config/index.js";
import { makeTempDir } from "../helpers/tmp.js";

const HOUR = 3_600_000;

async function writeConfig(t: Parameters<typeof makeTempDir>[1], yaml: string): Promise<string> {
  const dir = await makeTempDir("config", t);
  const file = path.join(dir, "liftbridge.yaml");
  await writeFile(file, yaml);
  return file;
}

async function configError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ConfigError) {
      if (err.message.includes("\n")) throw new Error(`multi-line ConfigError: ${err.message}`);
      return err.message;
    }
    throw err;
  }
  throw new Error("expected a ConfigError, got a config");
}

test("defaults match upstream's, with embedded NATS when no server is given", async (t) => {
  const config = await loadConfig({ flags: {}, env: {} });
  t.is(config.listenHost, "0.0.0.0");
  t.is(config.listenPort, 9292);
  t.is(config.advertiseHost, "127.0.0.1");
  t.is(config.advertisePort, 9292);
  t.is(config.namespace, "liftbridge-default");
  t.is(config.serverId, "");
  t.is(config.dataDir, "/tmp/liftbridge/liftbridge-default");
  t.is(config.logLevel, "info");
  t.deepEqual(config.nats, {
    servers: [],
    embedded: true,
    embeddedConfig: undefined,
    user: undefined,
    password: undefined,
    tlsCert: undefined,
    tlsKey: undefined,
    tlsCa: undefined,
  });
  t.is(config.batchMaxMessages, 1024);
  t.is(config.batchMaxTimeMs, 0);
  t.is(config.metadataCacheMaxAgeMs, 120_000);
  t.is(config.streams.retentionMaxAgeMs, 168 * HOUR);
  t.is(config.streams.segmentMaxAgeMs, 168 * HOUR);
  t.is(config.streams.segmentMaxBytes, 268_435_456);
  t.is(config.streams.cleanerIntervalMs, 300_000);
  t.is(config.streams.compactMaxGoroutines, 10);
  t.is(config.streams.syncPolicy, "always");
  t.is(config.streams.syncIntervalMs, 100);
  t.is(config.clustering.minInsyncReplicas, 1);
  t.is(config.clustering.replicationMaxBytes, 1_048_576);
  t.is(config.clustering.replicaMaxLagTimeMs, 15_000);
  t.is(config.clustering.replicaFetchTimeoutMs, 3_000);
  t.is(config.clustering.raftSnapshotRetain, 2);
  t.is(config.clustering.raftSnapshotThreshold, 8192);
  t.is(config.clustering.raftCacheSize, 512);
  t.deepEqual(config.clustering.raftBootstrapPeers, []);
  t.is(config.activity.streamPublishAckPolicy, "all");
  t.is(config.activity.streamPublishTimeoutMs, 5_000);
  t.is(config.cursors.streamPartitions, 0);
  t.is(config.cursors.streamReplicationFactor, -1);
  t.is(config.cursors.streamAutoPauseTimeMs, 60_000);
  t.is(config.groups.consumerTimeoutMs, 15_000);
  t.is(config.groups.coordinatorTimeoutMs, 15_000);
  t.is(config.tls.cert, undefined);
  t.false(config.tls.clientAuthEnabled);
  t.is(config.configFile, undefined);
});

test("nested and dotted keys are equivalent, in any mix and case", async (t) => {
  const dotted = await writeConfig(
    t,
    [
      "streams.retention.max.age: 24h",
      "streams.retention.max.messages: 100",
      "logging.level: debug",
      "clustering.replica.max.lag.time: 20s",
      "nats.servers: [nats://localhost:4300]",
    ].join("\n"),
  );
  const nested = await writeConfig(
    t,
    [
      "streams:",
      "  retention.max:",
      "    age: 24h",
      "    messages: 100",
      "Logging:",
      "  Level: DEBUG",
      "clustering:",
      "  replica:",
      "    max:",
      "      lag.time: 20s",
      "nats:",
      "  servers:",
      "    - nats://localhost:4300",
    ].join("\n"),
  );
  const a = await loadConfig({ configFile: dotted, flags: {}, env: {} });
  const b = await loadConfig({ configFile: nested, flags: {}, env: {} });
  t.deepEqual({ ...a, configFile: undefined }, { ...b, configFile: undefined });
  t.is(a.streams.retentionMaxAgeMs, 24 * HOUR);
  t.is(a.streams.segmentMaxAgeMs, 24 * HOUR, "segment age follows retention age");
  t.is(a.streams.retentionMaxMessages, 100);
  t.is(a.logLevel, "debug");
  t.is(a.clustering.replicaMaxLagTimeMs, 20_000);
  t.deepEqual(a.nats.servers, ["nats://localhost:4300"]);
  t.false(a.nats.embedded);
  t.is(a.configFile, dotted);
});

test("a file using every section of upstream's configuration loads", async (t) => {
  const dir = await makeTempDir("config-full", t);
  const natsConf = path.join(dir, "nats.conf");
  await writeFile(natsConf, "port: 4300\n");
  const file = path.join(dir, "full.yaml");
  await writeFile(
    file,
    `
listen: localhost:9293
host: broker-2.example.com
port: 5050
data.dir: ${dir}/data
metadata.cache.max.age: 1m
batch.max:
  messages: 10
  time: 1s
logging: { level: warn, recovery: true, raft: true, nats: true }
streams:
  retention.max: { bytes: 1024, messages: 100, age: 1h }
  cleaner.interval: 1m
  segment.max: { bytes: 65536, age: 1m }
  compact: { enabled: true, max.goroutines: 2 }
  auto.pause: { time: 30s, disable.if.subscribers: true }
  concurrency.control: true
  sync: { policy: interval, interval: 250ms }
clustering:
  server.id: server-2
  namespace: prod
  raft:
    snapshot: { retain: 10, threshold: 100 }
    cache.size: 5
    bootstrap.peers: [a, b]
    max.quorum.size: 3
  replica:
    max: { lag.time: 1m, leader.timeout: 30s, idle.wait: 2s }
    fetch.timeout: 4s
  min.insync.replicas: '2'
  replication.max.bytes: 2048
activity.stream: { enabled: true, publish.timeout: 1m, publish.ack.policy: leader }
nats:
  embedded.config: ${natsConf}
  user: alice
  password: secret
cursors.stream: { partitions: 2, replication.factor: 3, auto.pause.time: 2m }
groups: { consumer.timeout: 1m, coordinator.timeout: 2m }
telemetry: { enabled: false, interval.seconds: 60 }
`,
  );
  const config = await loadConfig({ configFile: file, flags: {}, env: {} });
  t.is(config.listenHost, "localhost");
  t.is(config.listenPort, 9293);
  t.is(config.advertiseHost, "broker-2.example.com");
  t.is(config.advertisePort, 5050);
  t.is(config.dataDir, `${dir}/data`);
  t.is(config.serverId, "server-2");
  t.is(config.namespace, "prod");
  t.is(config.logLevel, "warn");
  t.deepEqual(config.logging, { recovery: true, raft: true, nats: true });
  t.is(config.batchMaxMessages, 10);
  t.is(config.batchMaxTimeMs, 1000);
  t.is(config.metadataCacheMaxAgeMs, 60_000);
  t.deepEqual(config.streams, {
    retentionMaxBytes: 1024,
    retentionMaxMessages: 100,
    retentionMaxAgeMs: HOUR,
    cleanerIntervalMs: 60_000,
    segmentMaxBytes: 65536,
    segmentMaxAgeMs: 60_000,
    maxOpenFiles: 1024,
    maxPartitions: 1000,
    compactEnabled: true,
    compactMaxGoroutines: 2,
    autoPauseTimeMs: 30_000,
    autoPauseDisableIfSubscribers: true,
    concurrencyControl: true,
    encryption: false,
    syncPolicy: "interval",
    syncIntervalMs: 250,
  });
  t.deepEqual(config.clustering, {
    raftSnapshotRetain: 10,
    raftSnapshotThreshold: 100,
    raftCacheSize: 5,
    raftBootstrapSeed: false,
    raftBootstrapPeers: ["a", "b"],
    raftMaxQuorumSize: 3,
    raftJoinTimeoutMs: 30_000,
    replicaMaxLagTimeMs: 60_000,
    replicaMaxLeaderTimeoutMs: 30_000,
    replicaMaxIdleWaitMs: 2_000,
    replicaFetchTimeoutMs: 4_000,
    minInsyncReplicas: 2,
    replicationMaxBytes: 2048,
  });
  t.deepEqual(config.activity, {
    streamEnabled: true,
    streamPublishTimeoutMs: 60_000,
    streamPublishAckPolicy: "leader",
  });
  t.deepEqual(config.cursors, {
    streamPartitions: 2,
    streamReplicationFactor: 3,
    streamAutoPauseTimeMs: 120_000,
  });
  t.deepEqual(config.groups, { consumerTimeoutMs: 60_000, coordinatorTimeoutMs: 120_000 });
  t.true(config.nats.embedded, "nats.embedded.config implies an embedded server");
  t.is(config.nats.embeddedConfig, natsConf);
  t.is(config.nats.user, "alice");
  t.is(config.nats.password, "secret");
});

test("precedence is flags over environment over file over defaults", async (t) => {
  const file = await writeConfig(t, "port: 9300\nlogging.level: warn\nbatch.max.messages: 7\n");
  const env = { LIFTBRIDGE_PORT: "9301", LIFTBRIDGE_LOGGING_LEVEL: "error" };
  const fromFile = await loadConfig({ configFile: file, flags: {}, env: {} });
  t.is(fromFile.listenPort, 9300);
  t.is(fromFile.logLevel, "warn");
  const fromEnv = await loadConfig({ configFile: file, flags: {}, env });
  t.is(fromEnv.listenPort, 9301);
  t.is(fromEnv.logLevel, "error");
  t.is(fromEnv.batchMaxMessages, 7, "keys the environment does not set keep the file's value");
  const fromFlags = await loadConfig({
    configFile: file,
    flags: { port: 9302, "logging.level": undefined },
    env,
  });
  t.is(fromFlags.listenPort, 9302);
  t.is(fromFlags.advertisePort, 9302);
  t.is(fromFlags.logLevel, "error", "an undefined flag is not set");
});

test("any known key can be set from LIFTBRIDGE_* variables", async (t) => {
  const config = await loadConfig({
    flags: {},
    env: {
      LIFTBRIDGE_STREAMS_RETENTION_MAX_AGE: "1h",
      LIFTBRIDGE_NATS_SERVERS: "nats://a:4222, nats://b:4222",
      LIFTBRIDGE_STREAMS_COMPACT_ENABLED: "true",
      LIFTBRIDGE_CLUSTERING_MIN_INSYNC_REPLICAS: "2",
      LIFTBRIDGE_CLUSTERING_SERVER_ID: "",
      LIFTBRIDGE_ENCRYPTION_KEY: "not a setting, ignored",
      LIFTBRIDGE_SOMETHING_ELSE: "ignored",
    },
  });
  t.is(config.streams.retentionMaxAgeMs, HOUR);
  t.deepEqual(config.nats.servers, ["nats://a:4222", "nats://b:4222"]);
  t.false(config.nats.embedded);
  t.true(config.streams.compactEnabled);
  t.is(config.clustering.minInsyncReplicas, 2);
  t.is(config.serverId, "", "an empty variable counts as unset");
});

test("Go durations parse to milliseconds", (t) => {
  const cases: [string, number][] = [
    ["0", 0],
    ["100ms", 100],
    ["5s", 5000],
    ["1h30m", 90 * 60_000],
    ["2h45m30.5s", 2 * HOUR + 45 * 60_000 + 30_500],
    ["1.1s", 1100],
    [".5s", 500],
    ["1.5h", 1.5 * HOUR],
    ["168h", 168 * HOUR],
    ["1us", 0.001],
    ["1\u00b5s", 0.001],
    ["1500ns", 0.0015],
    ["-1s", -1000],
    ["+2m", 120_000],
  ];
  for (const [text, ms] of cases) t.is(parseGoDuration(text), ms, text);
  for (const bad of ["", "5", "1x", "1h 30m", "s", ".s", "1.2.3s", "h1", "--1s", "1d"]) {
    t.is(parseGoDuration(bad), undefined, JSON.stringify(bad));
  }
});

test("duration keys accept Go syntax and reject bare numbers and negatives", async (t) => {
  const ok = await writeConfig(t, "batch.max.time: 0\nstreams.cleaner.interval: 1m30s\n");
  const config = await loadConfig({ configFile: ok, flags: {}, env: {} });
  t.is(config.batchMaxTimeMs, 0);
  t.is(config.streams.cleanerIntervalMs, 90_000);
  const bare = await writeConfig(t, "streams.cleaner.interval: 5\n");
  t.is(
    await configError(loadConfig({ configFile: bare, flags: {}, env: {} })),
    `invalid value 5 for streams.cleaner.interval (in ${bare}): expected a duration such as "100ms", "5s", "1h30m" or "0"`,
  );
  const message = await configError(
    loadConfig({ flags: {}, env: { LIFTBRIDGE_GROUPS_CONSUMER_TIMEOUT: "-5s" } }),
  );
  t.regex(message, /groups\.consumer\.timeout/);
  t.regex(message, /LIFTBRIDGE_GROUPS_CONSUMER_TIMEOUT/);
  t.regex(message, /not negative/);
});

test("an unknown key is an error naming it, with the closest known key", async (t) => {
  const typo = await writeConfig(t, "streams:\n  retention.max.aeg: 1h\n");
  t.is(
    await configError(loadConfig({ configFile: typo, flags: {}, env: {} })),
    `unknown configuration key "streams.retention.max.aeg" in ${typo}; did you mean streams.retention.max.age?`,
  );
  const missingSection = await writeConfig(t, "retention.max.age: 1h\n");
  t.regex(
    await configError(loadConfig({ configFile: missingSection, flags: {}, env: {} })),
    /"retention\.max\.age".*did you mean streams\.retention\.max\.age\?$/,
  );
  const unrelated = await writeConfig(t, "frobnicate: yes\n");
  t.is(
    await configError(loadConfig({ configFile: unrelated, flags: {}, env: {} })),
    `unknown configuration key "frobnicate" in ${unrelated}`,
  );
  t.regex(
    await configError(loadConfig({ flags: { "data.dri": "/x" }, env: {} })),
    /unknown configuration key "data\.dri" given as a flag; did you mean data\.dir\?/,
  );
});

test("bad values name the key, the value, the source and what was expected", async (t) => {
  t.is(
    await configError(loadConfig({ flags: { port: "abc" }, env: {} })),
    'invalid value "abc" for port (from flag --port): expected an integer from 1 to 65535',
  );
  t.is(
    await configError(loadConfig({ flags: { port: 70000 }, env: {} })),
    "invalid value 70000 for port (from flag --port): expected an integer from 1 to 65535",
  );
  t.is(
    await configError(loadConfig({ flags: {}, env: { LIFTBRIDGE_LOGGING_LEVEL: "loud" } })),
    'invalid value "loud" for logging.level (from environment variable LIFTBRIDGE_LOGGING_LEVEL): expected one of debug, info, warn, error',
  );
  const policy = await writeConfig(t, "streams:\n  sync.policy: sometimes\n");
  t.is(
    await configError(loadConfig({ configFile: policy, flags: {}, env: {} })),
    `invalid value "sometimes" for streams.sync.policy (in ${policy}): expected one of always, interval, none`,
  );
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ "clustering.min.insync.replicas": 0 }, /min\.insync\.replicas.*expected an integer >= 1/],
    [
      { "clustering.namespace": "a.b" },
      /"a\.b" for clustering\.namespace.*without spaces, periods/,
    ],
    [{ "clustering.namespace": "" }, /"" for clustering\.namespace/],
    [{ "clustering.server.id": "has space" }, /"has space" for clustering\.server\.id/],
    [{ listen: "nonsense" }, /"nonsense" for listen.*"host:port"/],
    [{ listen: "127.0.0.1:99999" }, /listen/],
    [
      { "streams.compact.enabled": "maybe" },
      /"maybe" for streams\.compact\.enabled.*true or false/,
    ],
    [{ "cursors.stream.replication.factor": 0 }, /-1 \(all brokers\) or a positive integer/],
    [{ "batch.max.messages": 1.5 }, /1\.5 for batch\.max\.messages.*integer/],
    [{ "nats.servers": { a: 1 } }, /nats\.servers.*a list/],
    [
      { "tls.cert": "/x/cert.pem" },
      /tls\.cert is set \(from flag --tls-cert\) but tls\.key is not/,
    ],
    [
      { "streams.sync.policy": "interval", "streams.sync.interval": "0" },
      /streams\.sync\.interval.*above 0/,
    ],
    [{ "streams.encryption": true }, /LIFTBRIDGE_ENCRYPTION_KEY is not set/],
    [{ "nats.embedded.config": "/nonexistent/nats.conf" }, /nats\.embedded\.config.*no such file/],
  ];
  for (const [flags, pattern] of cases) {
    t.regex(await configError(loadConfig({ flags, env: {} })), pattern, JSON.stringify(flags));
  }
});

test("file problems are reported with the file's path", async (t) => {
  const dir = await makeTempDir("config-errors", t);
  const missing = path.join(dir, "missing.yaml");
  t.is(
    await configError(loadConfig({ configFile: missing, flags: {}, env: {} })),
    `config file ${missing} does not exist`,
  );
  const invalid = await writeConfig(t, "port: [1,\n");
  t.regex(
    await configError(loadConfig({ configFile: invalid, flags: {}, env: {} })),
    new RegExp(`config file ${invalid} is not valid YAML: .+`),
  );
  const twice = await writeConfig(
    t,
    "streams.retention.max.age: 1h\nstreams:\n  retention.max.age: 2h\n",
  );
  t.is(
    await configError(loadConfig({ configFile: twice, flags: {}, env: {} })),
    `configuration key streams.retention.max.age is set twice in ${twice}`,
  );
  const empty = await writeConfig(t, "host:\n");
  t.is(
    await configError(loadConfig({ configFile: empty, flags: {}, env: {} })),
    `configuration key host has no value in ${empty}`,
  );
  const list = await writeConfig(t, "- a\n- b\n");
  t.regex(
    await configError(loadConfig({ configFile: list, flags: {}, env: {} })),
    /must hold a mapping/,
  );
  const blank = await writeConfig(t, "# nothing set\n");
  t.is((await loadConfig({ configFile: blank, flags: {}, env: {} })).listenPort, 9292);
});

test("listen binds, host and port advertise, and a wildcard is never advertised", async (t) => {
  const load = (flags: Record<string, unknown>) => loadConfig({ flags, env: {} });
  const pick = (c: Awaited<ReturnType<typeof load>>) => [
    `${c.listenHost}:${c.listenPort}`,
    `${c.advertiseHost}:${c.advertisePort}`,
  ];
  t.deepEqual(pick(await load({})), ["0.0.0.0:9292", "127.0.0.1:9292"]);
  t.deepEqual(pick(await load({ port: 9300 })), ["0.0.0.0:9300", "127.0.0.1:9300"]);
  t.deepEqual(pick(await load({ host: "10.0.0.5" })), ["10.0.0.5:9292", "10.0.0.5:9292"]);
  t.deepEqual(pick(await load({ listen: "127.0.0.1:9400" })), ["127.0.0.1:9400", "127.0.0.1:9400"]);
  t.deepEqual(pick(await load({ listen: ":9400" })), ["0.0.0.0:9400", "127.0.0.1:9400"]);
  t.deepEqual(pick(await load({ listen: 9400 })), ["0.0.0.0:9400", "127.0.0.1:9400"]);
  t.deepEqual(pick(await load({ listen: "[::1]:9400" })), ["::1:9400", "::1:9400"]);
  t.deepEqual(pick(await load({ listen: "0.0.0.0:9293", host: "broker.example.com" })), [
    "0.0.0.0:9293",
    "broker.example.com:9293",
  ]);
  t.deepEqual(pick(await load({ listen: "0.0.0.0:9293", host: "lb", port: 443 })), [
    "0.0.0.0:9293",
    "lb:443",
  ]);
  t.deepEqual(pick(await load({ host: "0.0.0.0" })), ["0.0.0.0:9292", "127.0.0.1:9292"]);
  t.deepEqual(pick(await load({ listen: "127.0.0.1:0" })), ["127.0.0.1:0", "127.0.0.1:0"]);
});

test("embedded NATS runs unless NATS servers are given", async (t) => {
  const load = (flags: Record<string, unknown>) => loadConfig({ flags, env: {} });
  const nats = async (flags: Record<string, unknown>) => {
    const { servers, embedded } = (await load(flags)).nats;
    return { servers, embedded };
  };
  t.deepEqual(await nats({}), { servers: [], embedded: true });
  t.deepEqual(await nats({ "nats.servers": "nats://a:4222,nats://b:4222" }), {
    servers: ["nats://a:4222", "nats://b:4222"],
    embedded: false,
  });
  t.deepEqual(await nats({ "nats.servers": ["nats://a:4222,nats://b:4222", "nats://c:4222"] }), {
    servers: ["nats://a:4222", "nats://b:4222", "nats://c:4222"],
    embedded: false,
  });
  t.deepEqual(await nats({ "nats.servers": "nats://a:4222", "nats.embedded": true }), {
    servers: [],
    embedded: true,
  });
  t.deepEqual(await nats({ "nats.servers": [] }), { servers: [], embedded: true });
  t.deepEqual(await nats({ "nats.embedded": false }), {
    servers: ["nats://127.0.0.1:4222"],
    embedded: false,
  });
});

test("data dir follows the namespace and is made absolute; lists split on commas", async (t) => {
  const byNamespace = await loadConfig({ flags: { "clustering.namespace": "blue" }, env: {} });
  t.is(byNamespace.dataDir, "/tmp/liftbridge/blue");
  const relative = await loadConfig({ flags: { "data.dir": "data/x" }, env: {} });
  t.is(relative.dataDir, path.resolve("data/x"));
  const peers = await loadConfig({
    flags: { "clustering.raft.bootstrap.peers": "a, b,,c", "clustering.raft.bootstrap.seed": true },
    env: {},
  });
  t.deepEqual(peers.clustering.raftBootstrapPeers, ["a", "b", "c"]);
  t.true(peers.clustering.raftBootstrapSeed);
});

test("the flag table maps upstream's flags to known keys", (t) => {
  const known = new Set(CONFIG_KEYS.map((spec) => spec.key));
  for (const flag of FLAG_KEYS) {
    if (flag.key !== null) t.true(known.has(flag.key), flag.name);
  }
  const byName = new Map(FLAG_KEYS.map((flag) => [flag.name, flag]));
  const expected: [string, string | undefined, string[], string | null][] = [
    ["config", "c", [], null],
    ["data-dir", "d", ["data"], "data.dir"],
    ["port", "p", [], "port"],
    ["host", undefined, [], "host"],
    ["server-id", undefined, ["id"], "clustering.server.id"],
    ["namespace", undefined, ["ns"], "clustering.namespace"],
    ["nats-servers", "n", [], "nats.servers"],
    ["embedded-nats", "e", [], "nats.embedded"],
    ["embedded-nats-config", undefined, ["nc"], "nats.embedded.config"],
    ["tls-cert", undefined, [], "tls.cert"],
    ["tls-key", undefined, [], "tls.key"],
    ["level", "l", [], "logging.level"],
    ["raft-bootstrap-seed", undefined, [], "clustering.raft.bootstrap.seed"],
    ["raft-bootstrap-peers", undefined, [], "clustering.raft.bootstrap.peers"],
  ];
  for (const [name, char, aliases, key] of expected) {
    const flag = byName.get(name);
    t.truthy(flag, name);
    t.is(flag?.char, char, name);
    t.deepEqual(flag?.aliases, aliases, name);
    t.is(flag?.key, key, name);
  }
});

test("describeKeys lists every key with its type, default and variable", (t) => {
  const rows = describeKeys();
  t.is(rows.length, CONFIG_KEYS.length);
  const age = rows.find((row) => row.key === "streams.retention.max.age");
  t.deepEqual(
    { type: age?.type, default: age?.default, env: age?.env },
    { type: "duration", default: "168h", env: "LIFTBRIDGE_STREAMS_RETENTION_MAX_AGE" },
  );
  const policy = rows.find((row) => row.key === "streams.sync.policy");
  t.is(policy?.default, "always");
  t.regex(policy?.description ?? "", /\[always\|interval\|none\]/);
  t.is(rows.find((row) => row.key === "streams.sync.interval")?.default, "100ms");
  for (const row of rows) t.truthy(row.description, row.key);
});

test("limits that keep a broker serving: segment sizes and ages, partitions, snapshots", async (t) => {
  const refused: [string, unknown, string][] = [
    [
      "streams.segment.max.bytes",
      1,
      "1 for streams.segment.max.bytes",
      "an integer from 1024 to 2147483647",
    ],
    [
      "streams.segment.max.age",
      "1ms",
      '"1ms" for streams.segment.max.age',
      "0 or a duration of at least 1s",
    ],
    [
      "streams.retention.max.age",
      "500ms",
      '"500ms" for streams.retention.max.age',
      "0 or a duration of at least 1s",
    ],
    ["streams.cleaner.interval", "0", '"0" for streams.cleaner.interval', "a duration above 0"],
    [
      "clustering.raft.snapshot.threshold",
      0,
      "0 for clustering.raft.snapshot.threshold",
      "an integer >= 1",
    ],
    ["streams.max.partitions", 0, "0 for streams.max.partitions", "an integer from 1 to 10000"],
  ].map(([key, value, what, expected]) => [
    key as string,
    value,
    `invalid value ${what} (from flag ORIGIN): expected ${expected}`,
  ]);
  for (const [key, value, message] of refused) {
    const got = await configError(loadConfig({ flags: { [key]: value }, env: {} }));
    t.is(got.replace(/\(from flag [^)]+\)/, "(from flag ORIGIN)"), message, key);
  }
  t.regex(
    await configError(loadConfig({ flags: { "clustering.namespace": "n".repeat(256) }, env: {} })),
    /for clustering\.namespace .*expected a non-empty name of at most 255 UTF-8 bytes/,
  );
  const config = await loadConfig({
    flags: {
      "clustering.namespace": "n".repeat(255),
      "streams.segment.max.bytes": 1024,
      "streams.segment.max.age": "1s",
      "streams.retention.max.age": "0",
      "streams.max.partitions": 10_000,
    },
    env: {},
  });
  t.is(config.streams.segmentMaxBytes, 1024);
  t.is(config.streams.segmentMaxAgeMs, 1000);
  t.is(config.streams.retentionMaxAgeMs, 0);
  t.is(config.streams.maxPartitions, 10_000);
  t.is((await loadConfig({ flags: {}, env: {} })).streams.maxPartitions, 1000);
});

test("a YAML alias bomb is refused in one line naming the file", async (t) => {
  const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    const name = String.fromCharCode(97 + i);
    levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`);
  }
  const bomb = await writeConfig(t, `${levels.join("\n")}\n`);
  t.is(
    await configError(loadConfig({ configFile: bomb, flags: {}, env: {} })),
    `config file ${bomb} expands YAML aliases too much (limit 100); refused as a resource exhaustion attack`,
  );
});
