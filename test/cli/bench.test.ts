import { spawn } from "node:child_process";
import { once } from "node:events";
import test, { type ExecutionContext } from "ava";
import type { FetchMetadataResponse, FetchPartitionMetadataResponse } from "../../src/wire/api.js";
import { startBroker } from "../helpers/broker.js";
import { LB_BIN, runLb, runOnTerminal } from "../helpers/cli.js";
import { freePort, startNats } from "../helpers/nats.js";
import { call, rawClient } from "../helpers/rpc.js";
import { waitFor } from "../helpers/wait.js";

async function oneBroker(t: ExecutionContext) {
  const nats = await startNats(t);
  const broker = await startBroker(t, nats.url);
  return { env: { LB_ADDRESS: broker.address }, rpc: rawClient(t, broker.address) };
}

async function streamNames(rpc: ReturnType<typeof rawClient>): Promise<string[]> {
  const metadata = await call<unknown, FetchMetadataResponse>(rpc, "fetchMetadata", {});
  return metadata.streamMetadata.map((stream) => stream.name);
}

async function highWatermark(
  rpc: ReturnType<typeof rawClient>,
  stream: string,
  partition: number,
): Promise<number> {
  const response = await call<unknown, FetchPartitionMetadataResponse>(
    rpc,
    "fetchPartitionMetadata",
    { stream, partition },
  );
  return response.metadata!.highWatermark;
}

test("lb bench --json: every message acked and stored in a temporary stream, deleted afterwards", async (t) => {
  const { env, rpc } = await oneBroker(t);
  const run = await runLb(["bench", "--msgs", "2000", "--partitions", "2", "--json"], { env });
  t.is(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  t.regex(report.stream.name, /^lb-bench-[0-9a-f]{8}$/);
  t.like(report.stream, { created: true, deleted: true, partitions: 2 });
  t.like(report.publish.total, { client: "all", sent: 2000, acked: 2000, errors: 0 });
  t.is(report.stored, 2000);
  t.is(report.errors, 0);
  t.is(report.firstError, null);
  const latency = report.publish.total.latencyMs;
  t.true(latency.p50 > 0 && latency.p50 <= latency.p90 && latency.p90 <= latency.p99);
  t.true(latency.p99 <= latency.p999 && latency.p999 <= latency.max);
  t.is(report.publish.total.bytes, 2000 * 128);
  t.deepEqual(await streamNames(rpc), [], "the temporary stream is gone");
});

test("Ctrl-C stops a timed run, prints what it measured, deletes its stream and exits 130", async (t) => {
  const { env, rpc } = await oneBroker(t);
  const child = spawn(process.execPath, [LB_BIN, "bench", "--duration", "5m", "--json"], {
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  t.teardown(() => child.kill("SIGKILL"));
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const closed = once(child, "close");
  await waitFor(
    async () => {
      const [name] = await streamNames(rpc);
      return name !== undefined && (await highWatermark(rpc, name, 0)) >= 0;
    },
    { timeoutMs: 30_000, message: "the run to store its first message" },
  );
  child.kill("SIGINT");
  const [code] = await closed;
  t.is(code, 130, stderr);
  const report = JSON.parse(stdout);
  t.like(report, { interrupted: true, errors: 0, stream: { created: true, deleted: true } });
  t.true(report.publish.total.acked > 0);
  t.is(report.stored, report.publish.total.acked);
  t.regex(stderr, /interrupted: the numbers above cover the run until Ctrl-C/);
  t.deepEqual(await streamNames(rpc), []);
});

test("lb bench --stream: an existing stream is used and left in place; its high watermarks match the acks", async (t) => {
  const { env, rpc } = await oneBroker(t);
  const created = await runLb(
    ["stream", "create", "orders", "--subject", "orders", "--partitions", "2"],
    { env },
  );
  t.is(created.code, 0, created.stderr);
  const earlier = await runLb(["pub", "orders", "--partitioner", "round-robin", "-q"], {
    env,
    input: "a\nb\nc\nd\ne\n",
  });
  t.is(earlier.code, 0, earlier.stderr);

  const run = await runLb(
    [
      "bench",
      "--stream",
      "orders",
      "--msgs",
      "2000",
      "--pub",
      "2",
      "--sub",
      "1",
      "--size",
      "1KiB",
      "--json",
    ],
    { env },
  );
  t.is(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  t.like(report.stream, { name: "orders", created: false, deleted: false, partitions: 2 });
  t.is(report.publish.clients.length, 2);
  t.deepEqual(
    report.publish.clients.map((c: { acked: number }) => c.acked),
    [1000, 1000],
  );
  t.is(report.publish.total.acked, 2000);
  t.is(report.stored, 2000);
  // The subscriber read what the run published, not what was there before.
  t.like(report.subscribe.total, { received: 2000, bytes: 2000 * 1024 });

  t.deepEqual(await streamNames(rpc), ["orders"]);
  const stored =
    (await highWatermark(rpc, "orders", 0)) + 1 + (await highWatermark(rpc, "orders", 1)) + 1;
  t.is(stored, 5 + 2000);
});

test("lb bench --create on a stream that exists fails and leaves it alone; failed acks exit 1", async (t) => {
  const { env, rpc } = await oneBroker(t);
  t.is((await runLb(["stream", "create", "ro", "--subject", "ro"], { env })).code, 0);
  t.is((await runLb(["pub", "ro", "kept"], { env })).code, 0);

  const exists = await runLb(["bench", "--stream", "ro", "--create", "--msgs", "10"], { env });
  t.is(exists.code, 1);
  t.is(exists.stderr, 'lb: stream "ro" already exists\n');
  t.deepEqual(await streamNames(rpc), ["ro"]);
  t.is(await highWatermark(rpc, "ro", 0), 0);

  t.is((await runLb(["stream", "readonly", "ro"], { env })).code, 0);
  const refused = await runLb(["bench", "--stream", "ro", "--msgs", "100"], { env });
  t.is(refused.code, 1);
  const lines = refused.stderr.trim().split("\n");
  t.regex(lines.at(-1)!, /^lb: \d+ errors?, the first: publisher 1: .*readonly/);
  t.is(lines.filter((line) => line.startsWith("lb:")).length, 1);
  t.regex(refused.stdout, /^pub 1\t0\t[1-9]/m, "the numbers are still printed");
  t.deepEqual(await streamNames(rpc), ["ro"]);

  const misplaced = await runLb(["bench", "--stream", "ro", "--partitions", "3"], { env });
  t.is(misplaced.code, 2);
  t.regex(misplaced.stderr, /^lb: --partitions: only for a stream the run creates/);
  const badSize = await runLb(["bench", "--size", "1XB"], { env });
  t.is(badSize.code, 2);
  t.regex(badSize.stderr, /--size "1XB": expected a size in bytes/);
});

test("lb bench against an unreachable address exits 1 with one line", async (t) => {
  const port = await freePort();
  const run = await runLb(["bench", "--msgs", "10", "--address", `127.0.0.1:${port}`]);
  t.is(run.code, 1);
  t.is(run.stdout, "");
  t.is(run.stderr.trim().split("\n").length, 1);
  t.regex(run.stderr, new RegExp(`^lb: cannot reach lb at 127\\.0\\.0\\.1:${port}`));
});

test("lb bench: plain tab-separated lines off a terminal, a progress bar on one", async (t) => {
  const { env } = await oneBroker(t);
  const piped = await runLb(["bench", "--msgs", "500", "--pub", "2", "--sub", "1"], { env });
  t.is(piped.code, 0, piped.stderr);
  t.false(/\u001b/.test(piped.stdout + piped.stderr), "no escape codes in a pipe");
  const rows = piped.stdout.trim().split("\n");
  t.is(rows[0], "CLIENT\tMSGS\tERRORS\tMSGS/S\tMB/S\tP50\tP90\tP99\tP99.9\tMAX");
  t.deepEqual(
    rows.slice(1).map((row) => row.split("\t").slice(0, 3).join(" ")),
    ["pub 1 250 0", "pub 2 250 0", "pub all 500 0", "sub 1 500 -"],
  );
  t.regex(piped.stderr, /^500 acked, 500 stored, 500 received, 0 errors in [\d.]+ s$/m);
  t.regex(piped.stderr, /^deleted stream lb-bench-[0-9a-f]{8}$/m);

  const terminal = await runOnTerminal(["bench", "--msgs", "500"], { ...env, NO_COLOR: "1" });
  t.regex(terminal, /\u001b\[K\[ {20}\] 0% 0\/500 msgs/);
  t.regex(terminal, /^pub 1 {2,}500 {2,}0 /m);
});

test("lb bench compare is the JetStream suite; lb --help lists both", async (t) => {
  const help = await runLb(["bench", "compare", "--help"]);
  t.is(help.code, 0, help.stderr);
  t.regex(help.stdout, /JetStream/);
  t.regex(help.stdout, /--quick/);
  const root = await runLb(["--help"]);
  t.regex(root.stdout, /^ {2}bench {2,}Benchmark a running cluster/m);
  t.regex(root.stdout, /^ {2}bench compare {2,}Benchmark lb against NATS JetStream/m);
});
