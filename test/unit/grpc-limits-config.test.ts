import test from "ava";
import { ConfigError, loadConfig } from "../../src/server/config/index.js";

test("gRPC limits and metadata.max.names have documented defaults", async (t) => {
  const config = await loadConfig({ flags: {}, env: {} });
  t.deepEqual(config.grpc, {
    maxMessageBytes: 64 * 1024 * 1024,
    maxConcurrentStreams: 1000,
    maxSessionMemoryBytes: 256 * 1024 * 1024,
  });
  t.is(config.metadataMaxNames, 1000);
});

test("gRPC limits are read from flags and the environment", async (t) => {
  const config = await loadConfig({
    flags: { "grpc.max.message.bytes": 2048, "metadata.max.names": 5 },
    env: {
      LIFTBRIDGE_GRPC_MAX_CONCURRENT_STREAMS: "7",
      LIFTBRIDGE_GRPC_MAX_SESSION_MEMORY: "2097152",
    },
  });
  t.deepEqual(config.grpc, {
    maxMessageBytes: 2048,
    maxConcurrentStreams: 7,
    maxSessionMemoryBytes: 2097152,
  });
  t.is(config.metadataMaxNames, 5);
});

test("a session memory smaller than the message size limit is refused, naming both", async (t) => {
  const err = await t.throwsAsync(
    loadConfig({
      flags: {
        "grpc.max.message.bytes": 4 * 1024 * 1024,
        "grpc.max.session.memory": 2 * 1024 * 1024,
      },
      env: {},
    }),
    { instanceOf: ConfigError },
  );
  t.is(
    err?.message,
    "grpc.max.session.memory (2097152) must be at least grpc.max.message.bytes (4194304), or no message of the maximum size could be received",
  );
});

test("limits out of range are refused with the key", async (t) => {
  for (const [key, value] of [
    ["grpc.max.message.bytes", 0],
    ["grpc.max.concurrent.streams", 0],
    ["grpc.max.session.memory", 1000],
    ["metadata.max.names", 0],
  ] as const) {
    const err = await t.throwsAsync(loadConfig({ flags: { [key]: value }, env: {} }));
    t.regex(err?.message ?? "", new RegExp(key.replaceAll(".", "\\.")), key);
  }
});
