import test from "ava";
import {
  type DriverCommand,
  driverArgv,
  parseDriverOutput,
  runDriver,
  startDriverServer,
} from "../../bench/external-driver.js";
import { SharedServer } from "../../bench/scenarios/driver-rows.js";

/** A "driver" that is a node one-liner, to drive the runner's success and failure paths. */
const nodeDriver = (script: string): DriverCommand => ({
  name: "test driver",
  command: process.execPath,
  args: ["-e", script, "--"],
});

const LINE = {
  messages: 5000,
  seconds: 2,
  latencyUs: { p50: 850, p99: 4100, p999: 9000 },
  errors: 0,
  client: "some client",
};

test("the mode comes after the driver's own arguments, then the flags", (t) => {
  const argv = driverArgv({ name: "d", command: "x", args: ["script.py"] }, "lb-publish", {
    address: "127.0.0.1:1",
    stream: "s",
    size: 100,
    warmupMs: 500,
    natsUrl: undefined,
  });
  t.deepEqual(argv, [
    "script.py",
    "lb-publish",
    "--address",
    "127.0.0.1:1",
    "--stream",
    "s",
    "--size",
    "100",
    "--warmup-ms",
    "500",
  ]);
});

test("a driver's JSON line becomes a RunResult", async (t) => {
  const { result, client } = await runDriver(
    nodeDriver(`console.log(${JSON.stringify(JSON.stringify(LINE))})`),
    "lb-publish-async",
    { measureMs: 100, warmupMs: 0 },
    100,
  );
  t.deepEqual(result, { messages: 5000, seconds: 2, messageBytes: 100, latency: LINE.latencyUs });
  t.is(client, "some client");
});

test("a failing driver's error names it, its mode, its exit status and its stderr", async (t) => {
  const err = await t.throwsAsync(
    runDriver(
      nodeDriver(`console.error("cannot connect to 127.0.0.1:1"); process.exit(4)`),
      "lb-subscribe",
      { count: 10 },
      100,
    ),
  );
  t.is(err.message, "test driver lb-subscribe failed (exit 4): cannot connect to 127.0.0.1:1");
});

test("a driver that reports failed requests fails the run", async (t) => {
  const line = JSON.stringify({ ...LINE, errors: 3 });
  await t.throwsAsync(
    runDriver(nodeDriver(`console.log(${JSON.stringify(line)})`), "lb-publish", {}, 100),
    { message: "test driver lb-publish: 3 requests failed" },
  );
});

test("a missing driver program is a clear error", async (t) => {
  await t.throwsAsync(
    runDriver({ name: "gone", command: "/nonexistent/driver", args: [] }, "lb-publish", {}, 100),
    { message: /gone lb-publish: could not start \/nonexistent\/driver: .*ENOENT/ },
  );
});

test("stdout must be exactly one JSON line with the protocol's fields", (t) => {
  const ok = parseDriverOutput(`${JSON.stringify({ ...LINE, latencyUs: null })}\n`, "d");
  t.is(ok.latencyUs, null);
  t.throws(() => parseDriverOutput("", "d"), {
    message: /d: expected one JSON line on stdout, got 0/,
  });
  t.throws(() => parseDriverOutput('{"messages":1}\n{"messages":2}\n', "d"), {
    message: /got 2/,
  });
  t.throws(() => parseDriverOutput("ready\n", "d"), { message: /d: stdout is not JSON/ });
  t.throws(() => parseDriverOutput(JSON.stringify({ ...LINE, messages: -1 }), "d"), {
    message: 'd: "messages" is -1, expected a number ≥ 0',
  });
  t.throws(() => parseDriverOutput(JSON.stringify({ ...LINE, seconds: 0 }), "d"), {
    message: /"seconds" is 0/,
  });
  t.throws(() => parseDriverOutput(JSON.stringify({ ...LINE, client: "" }), "d"), {
    message: /"client" is "", expected a description/,
  });
  t.throws(
    () => parseDriverOutput(JSON.stringify({ ...LINE, latencyUs: { p50: 1, p99: "x" } }), "d"),
    { message: /"latencyUs.p99" is "x"/ },
  );
});

test("a null-server driver is ready once it prints where it listens, and stops on SIGTERM", async (t) => {
  const server = await startDriverServer(
    nodeDriver(
      `console.log(JSON.stringify({ listening: "127.0.0.1:4321" })); setInterval(() => {}, 1000)`,
    ),
    { listen: "127.0.0.1:4321" },
  );
  t.is(server.address, "127.0.0.1:4321");
  t.true(server.pid > 0);
  await server.stop();
  t.throws(() => process.kill(server.pid, 0));
  await t.throwsAsync(startDriverServer(nodeDriver(`console.log("ready")`), {}), {
    message: /test driver null-server: bad ready line ready/,
  });
  await t.throwsAsync(startDriverServer(nodeDriver(`process.exit(3)`), {}), {
    message: /test driver null-server exited with code 3 before listening/,
  });
});

test("a shared server starts once for all its holders and stops after the last release", async (t) => {
  const events: string[] = [];
  let n = 0;
  const shared = new SharedServer(
    async () => {
      events.push("start");
      return ++n;
    },
    async (server) => {
      events.push(`stop ${server}`);
    },
  );
  const a = await shared.acquire();
  const b = await shared.acquire();
  t.is(a.server, 1);
  t.is(b.server, 1);
  await a.release();
  await a.release();
  t.deepEqual(events, ["start"]);
  await b.release();
  t.deepEqual(events, ["start", "stop 1"]);
  t.is((await shared.acquire()).server, 2);
});
