import test from "ava";
import { startBroker } from "../helpers/broker.js";
import { h2Connect } from "../helpers/h2-grpc.js";
import { startNats } from "../helpers/nats.js";
import { measurePublishRetention, type PublishMethod } from "../helpers/publish-memory.js";
import { call, rawClient } from "../helpers/rpc.js";

// The full 200,000-call run is `npm run test:soak`; this shorter one still tells a leak of
// ~850 bytes a call (AbortSignal.any on the shutdown signal) from none.
const CALLS = 20_000;
const WARMUP = 5_000;
const BOUND_BYTES_PER_CALL = 200;

for (const method of ["Publish", "PublishToSubject"] as PublishMethod[]) {
  test.serial(`unary ${method} with an ack leaves the broker's heap flat`, async (t) => {
    const nats = await startNats(t);
    const { address } = await startBroker(t, nats.url);
    await call(rawClient(t, address), "createStream", { name: "mem", subject: "mem" });
    const retention = await measurePublishRetention(h2Connect(t, address), {
      method,
      stream: "mem",
      calls: CALLS,
      warmup: WARMUP,
    });
    t.log(`${method}: ${retention.bytesPerCall.toFixed(1)} bytes retained per call`);
    t.true(
      retention.bytesPerCall < BOUND_BYTES_PER_CALL,
      `${retention.bytesPerCall.toFixed(1)} bytes per call`,
    );
  });
}
