import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import test, { type ExecutionContext } from "ava";
import { startNullBrokerProcess } from "../../bench/broker-process.js";
import { GRPC_JS_DRIVER, LB_CLIENT_DRIVER } from "../../bench/external-clients.js";
import { type DriverCommand, runDriver } from "../../bench/external-driver.js";
import { LiftbridgeClient } from "../../src/client/index.js";
import { startBroker } from "../helpers/broker.js";
import { startNats } from "../helpers/nats.js";

const python = "/usr/bin/python3";
const PYTHON_DRIVER: DriverCommand = {
  name: "Python grpcio driver",
  command: python,
  args: [new URL("../../../bench/drivers/lb_driver.py", import.meta.url).pathname],
};
const required = process.env.LB_REQUIRE_COMPAT === "1";

async function pythonHasGrpc(): Promise<boolean> {
  if (!existsSync(python)) return false;
  return promisify(execFile)(python, ["-c", "import grpc, grpc_tools"]).then(
    () => true,
    () => false,
  );
}

const SHORT = { warmupMs: 100, measureMs: 400, size: 100 };

/**
 * Each driver publishes through PublishAsync and unary Publish into a real broker, every
 * message it counts as acked is stored, and it replays exactly what is stored.
 */
async function driverAgainstBroker(t: ExecutionContext, driver: DriverCommand) {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url);
  const client = await LiftbridgeClient.connect([address]);
  t.teardown(() => client.close());
  const stream = "bench-driver";
  await client.createStream(stream, stream);
  const stored = async () => (await client.fetchPartitionMetadata(stream, 0)).highWatermark + 1;

  const async = await runDriver(
    driver,
    "lb-publish-async",
    { ...SHORT, address, stream, window: 50, ack: "leader" },
    100,
  );
  t.true(async.result.messages > 0, `${async.result.messages} acked`);
  t.true((await stored()) >= async.result.messages);
  t.truthy(async.result.latency);
  t.is(async.result.seconds, 0.4);

  const before = await stored();
  const unary = await runDriver(driver, "lb-publish", { ...SHORT, address, stream }, 100);
  t.true(unary.result.messages > 0);
  t.true((await stored()) - before >= unary.result.messages);
  t.true(unary.result.latency!.p50 <= unary.result.latency!.p99);

  const count = await stored();
  const replay = await runDriver(driver, "lb-subscribe", { address, stream, count }, 100);
  t.is(replay.result.messages, count);
  t.is(replay.result.latency, undefined);
  t.regex(replay.client, /\S/);

  // The do-nothing server serves Subscribe and unary Publish to the same client.
  const nullBroker = await startNullBrokerProcess({ replayCount: 2000, size: 100 });
  t.teardown(() => nullBroker.stop());
  const fromNull = await runDriver(
    driver,
    "lb-subscribe",
    { address: nullBroker.address, stream: "null", count: 2000 },
    100,
  );
  t.is(fromNull.result.messages, 2000);
  const nullAcks = await runDriver(
    driver,
    "lb-publish",
    { ...SHORT, address: nullBroker.address, stream: "null" },
    100,
  );
  t.true(nullAcks.result.messages > 0);
}

test.serial("the grpc-js driver publishes, publishes one at a time and replays", (t) =>
  driverAgainstBroker(t, GRPC_JS_DRIVER),
);

test.serial("the lb TS client driver publishes, publishes one at a time and replays", (t) =>
  driverAgainstBroker(t, LB_CLIENT_DRIVER),
);

test.serial(
  "the Python grpcio driver publishes, publishes one at a time and replays",
  async (t) => {
    if (!(await pythonHasGrpc())) {
      if (required) t.fail("LB_REQUIRE_COMPAT=1 but /usr/bin/python3 lacks grpc and grpc_tools");
      else t.log("skipped: apt-get install python3-grpcio python3-grpc-tools to run it");
      t.pass();
      return;
    }
    await driverAgainstBroker(t, PYTHON_DRIVER);
  },
);

test.serial("a driver's bad flag fails with its one-line message", async (t) => {
  await t.throwsAsync(runDriver(GRPC_JS_DRIVER, "lb-publish", { stream: "s", size: 100 }, 100), {
    message: /grpc-js driver lb-publish failed \(exit 2\): .*--address host:port is required/,
  });
});

const GO_DRIVER: DriverCommand = {
  name: "Go driver",
  command: new URL("../../../bench/go/bin/lb-bench-go", import.meta.url).pathname,
  args: [],
};

test.serial("the Go driver, when built, runs the same modes through the same runner", async (t) => {
  if (!existsSync(GO_DRIVER.command)) {
    t.log("skipped: bash bench/go/build.sh builds bench/go/bin/lb-bench-go");
    t.pass();
    return;
  }
  await driverAgainstBroker(t, GO_DRIVER);
});
