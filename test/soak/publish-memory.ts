/**
 * The full memory soak (`npm run test:soak`): 200,000 unary Publish and 200,000 PublishToSubject
 * calls with ack policy LEADER against an in-process broker on a real nats-server, the heap
 * measured after GC at 50,000 calls and at the end. Exits 1 if either retains 200 bytes a call
 * or more. test/integration/publish-memory.test.ts is the shorter run in the suite.
 */

import { mkdtemp, rm } from "node:fs/promises";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Broker } from "../../src/server/broker.js";
import { loadConfig } from "../../src/server/config/index.js";
import { createLogger } from "../../src/server/logger.js";
import { startNatsServer } from "../../src/server/nats/launcher.js";
import { encodeCreateStreamRequest } from "../../src/wire/api.js";
import { grpcCall } from "../helpers/h2-grpc.js";
import { measurePublishRetention, type PublishMethod } from "../helpers/publish-memory.js";

const CALLS = Number(process.argv[2] ?? 200_000);
const WARMUP = Math.min(50_000, Math.floor(CALLS / 4));
const BOUND_BYTES_PER_CALL = 200;

const nats = await startNatsServer({});
const dataDir = await mkdtemp(join(tmpdir(), "lb-soak-"));
const config = await loadConfig({
  flags: {
    "data.dir": dataDir,
    listen: "127.0.0.1:0",
    host: "127.0.0.1",
    "nats.servers": [nats.url],
    "logging.level": "error",
    "clustering.raft.bootstrap.seed": true,
  },
  env: {},
});
const broker = await Broker.start(config, createLogger("error"));
const session = http2.connect(`http://127.0.0.1:${broker.address.port}`);
let failed = false;
try {
  const created = await grpcCall(session, "/proto.API/CreateStream", {}, [
    encodeCreateStreamRequest({ name: "soak", subject: "soak" }),
  ]);
  if (created.code !== 0) throw new Error(`CreateStream: ${created.message}`);
  for (const method of ["Publish", "PublishToSubject"] as PublishMethod[]) {
    const started = Date.now();
    const r = await measurePublishRetention(session, {
      method,
      stream: "soak",
      calls: CALLS,
      warmup: WARMUP,
    });
    const mb = (n: number) => (n / 1e6).toFixed(1);
    console.log(
      `${method}: ${CALLS} calls in ${((Date.now() - started) / 1000).toFixed(1)} s; heap after GC ${mb(r.heapAtWarmup)} MB at ${WARMUP}, ${mb(r.heapAtEnd)} MB at ${CALLS}: ${r.bytesPerCall.toFixed(1)} bytes per call`,
    );
    if (r.bytesPerCall >= BOUND_BYTES_PER_CALL) failed = true;
  }
} finally {
  session.close();
  await broker.stop();
  await nats.stop();
  await rm(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
