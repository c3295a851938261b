import { spawn } from "node:child_process";
import { once } from "node:events";
import test from "ava";
import { startBroker } from "../helpers/broker.js";
import { LB_BIN, runLb, startServe } from "../helpers/cli.js";
import { startCluster } from "../helpers/cluster.js";
import { freePort, startNats } from "../helpers/nats.js";
import { makeTempDir } from "../helpers/tmp.js";
import { waitFor } from "../helpers/wait.js";

async function oneBroker(t: Parameters<typeof startNats>[0] & object) {
  const nats = await startNats(t);
  const broker = await startBroker(t as never, nats.url);
  return { LB_ADDRESS: broker.address };
}

test("every ack is the published stream's, even when a wildcard stream stores the message too", async (t) => {
  const env = await oneBroker(t);
  for (const [name, subject] of [
    ["everything", "orders.>"],
    ["eu", "orders.eu"],
  ]) {
    const created = await runLb(["stream", "create", name!, "--subject", subject!], { env });
    t.is(created.code, 0, created.stderr);
  }
  const input = Array.from({ length: 50 }, (_, i) => `m${i}`).join("\n");
  const pub = await runLb(["pub", "eu", "--json"], { env, input });
  t.is(pub.code, 0, pub.stderr);
  const acks = pub.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  t.is(acks.length, 50);
  t.deepEqual(
    acks.map((a) => `${a.stream}/${a.partition}/${a.offset}`),
    Array.from({ length: 50 }, (_, i) => `eu/0/${i}`),
  );
});

test("a wildcard stream needs --subject, which it must match; the ack names who stored it", async (t) => {
  const env = await oneBroker(t);
  const created = await runLb(["stream", "create", "orders", "--subject", "orders.*"], { env });
  t.is(created.code, 0, created.stderr);

  const bare = await runLb(["pub", "orders", "x"], { env });
  t.is(bare.code, 2);
  t.regex(bare.stderr, /wildcard subject "orders\.\*".*--subject/);

  const wrong = await runLb(["pub", "orders", "x", "--subject", "payments.eu"], { env });
  t.is(wrong.code, 2);
  t.regex(wrong.stderr, /--subject "payments\.eu": stream "orders" does not read it/);

  const wild = await runLb(["pub", "orders", "x", "--subject", "orders.*"], { env });
  t.is(wild.code, 2);

  const ok = await runLb(["pub", "orders", "hello", "--subject", "orders.eu"], { env });
  t.is(ok.code, 0, ok.stderr);
  t.is(ok.stdout, "partition 0 offset 0\n");
  const sub = await runLb(["sub", "orders", "--from-earliest", "-e", "--json"], { env });
  t.is(sub.code, 0, sub.stderr);
  t.like(JSON.parse(sub.stdout), { value: "hello", subject: "orders.eu" });
});

test("--ack-policy none on an optimistic-concurrency stream is refused before anything is sent", async (t) => {
  const env = await oneBroker(t);
  const created = await runLb(
    ["stream", "create", "ledger", "--subject", "ledger", "--optimistic-concurrency-control"],
    { env },
  );
  t.is(created.code, 0, created.stderr);
  const none = await runLb(["pub", "ledger", "x", "--ack-policy", "none"], { env });
  t.is(none.code, 2, none.stderr);
  t.regex(none.stderr, /optimistic concurrency control/);
  t.notRegex(none.stderr, /sent/);
  const acked = await runLb(["pub", "ledger", "y"], { env });
  t.is(acked.code, 0, acked.stderr);
  t.is(acked.stdout, "partition 0 offset 0\n"); // "x" was never stored
});

test("-K splits key and value, -D a NUL delimiter keeps newlines, CRLF lines lose the CR, --file sends a file whole", async (t) => {
  const env = await oneBroker(t);
  t.is((await runLb(["stream", "create", "s", "--subject", "s"], { env })).code, 0);
  const keyed = await runLb(["pub", "s", "-K", ":", "-q"], { env, input: "k1:v:1\r\nk2:v2\n" });
  t.is(keyed.code, 0, keyed.stderr);
  const nul = await runLb(["pub", "s", "-D", "\\0", "-q"], { env, input: "a\nb\0c\r\n\0" });
  t.is(nul.code, 0, nul.stderr);
  const dir = await makeTempDir("lb-pub-file-", t);
  const path = `${dir}/x.bin`;
  await import("node:fs/promises").then((fs) => fs.writeFile(path, "line1\nline2\n"));
  const file = await runLb(["pub", "s", "--file", path, "-q"], { env });
  t.is(file.code, 0, file.stderr);
  const missingKey = await runLb(["pub", "s", "-K", ":"], { env, input: "nokey\n" });
  t.is(missingKey.code, 1);
  t.regex(missingKey.stderr, /message 1: no key delimiter ":"/);

  const sub = await runLb(["sub", "s", "--from-earliest", "-e", "--json"], { env });
  t.is(sub.code, 0, sub.stderr);
  const records = sub.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  t.deepEqual(
    records.map((r) => [r.key, r.value]),
    [
      ["k1", "v:1"],
      ["k2", "v2"],
      [null, "a\nb"],
      [null, "c\r\n"],
      [null, "line1\nline2\n"],
    ],
  );
});

test("a header key given twice is refused", async (t) => {
  const env = await oneBroker(t);
  t.is((await runLb(["stream", "create", "s", "--subject", "s"], { env })).code, 0);
  const twice = await runLb(["pub", "s", "x", "-H", "a=1", "-H", "a=2"], { env });
  t.is(twice.code, 2);
  t.regex(twice.stderr, /--header "a" given twice/);
});

test("when the broker dies mid-pipe, lb pub stops with one line and exit 1", async (t) => {
  const dir = await makeTempDir("lb-pub-die-", t);
  const port = await freePort();
  const serve = await startServe(t, ["--data", dir, "-p", String(port), "--host", "127.0.0.1"]);
  const env = { LB_ADDRESS: serve.address };
  t.is((await runLb(["stream", "create", "s", "--subject", "s"], { env })).code, 0);

  const child = spawn(process.execPath, [LB_BIN, "pub", "s"], {
    env: { ...process.env, ...env, NO_COLOR: "1" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  let acks = 0;
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  child.stdout.on("data", (d: Buffer) => {
    acks += d.toString().split("\n").length - 1;
  });
  child.stdin.on("error", () => {}); // EPIPE once it stops reading
  const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
  let running = true;
  void exited.then(() => {
    running = false;
  });
  const feed = async () => {
    const chunk = `${"x".repeat(100)}\n`.repeat(100);
    while (running) {
      if (!child.stdin.write(chunk)) {
        await Promise.race([once(child.stdin, "drain").catch(() => {}), exited]);
      }
    }
  };
  void feed();
  await waitFor(() => acks > 2000, { message: "acks to flow", timeoutMs: 30_000 });
  await serve.stop("SIGKILL");
  const code = await Promise.race([
    exited,
    new Promise<"hung">((r) => setTimeout(() => r("hung"), 25_000)),
  ]);
  if (code === "hung") child.kill("SIGKILL");
  t.is(code, 1, stderr);
  const lines = stderr.trim().split("\n");
  t.is(lines.length, 1, stderr.slice(0, 2000));
  t.regex(
    lines[0]!,
    /^lb: stopped at message \d+: .* \(\d+ acked on 1 partition, \d+ failed; no further message read\)$/,
  );
});

test("--json errors are one JSON object on stderr", async (t) => {
  const env = await oneBroker(t);
  const missing = await runLb(["pub", "nope", "x", "--json"], { env });
  t.is(missing.code, 1);
  t.is(missing.stdout, "");
  const error = JSON.parse(missing.stderr);
  t.like(error, { error: { kind: "not_found", exitCode: 1 } });
  t.regex(error.error.message, /stream "nope" not found/);
});

test("lb pub --ack-policy all rides out a leader failover within --timeout", async (t) => {
  const cluster = await startCluster(t, 3);
  const env = { LB_ADDRESS: cluster.nodes.map((n) => n.address).join(",") };
  const created = await runLb(["stream", "create", "s", "--subject", "s", "-r", "3"], { env });
  t.is(created.code, 0, created.stderr);
  const leaderOf = async () => {
    const d = await runLb(["describe", "s", "--json"], { env });
    const doc = JSON.parse(d.stdout);
    return doc.stream?.partitions?.[0]?.leader as string | undefined;
  };
  let leader: string | undefined;
  await waitFor(
    async () => {
      leader = await leaderOf();
      return leader !== undefined && leader !== "";
    },
    { message: "a leader" },
  );
  const warm = await runLb(["pub", "s", "warm", "--ack-policy", "all"], { env });
  t.is(warm.code, 0, warm.stderr);

  await cluster.node(leader!).kill("SIGKILL");
  const others = cluster.nodes.filter((n) => n.id !== leader);
  const pub = await runLb(["pub", "s", "--ack-policy", "all", "--timeout", "20s", "--json"], {
    env: { LB_ADDRESS: [cluster.node(leader!).address, ...others.map((n) => n.address)].join(",") },
    input: Array.from({ length: 30 }, (_, i) => `m${i}`).join("\n"),
    timeoutMs: 60_000,
  });
  t.is(pub.code, 0, pub.stderr);
  t.is(pub.stdout.trim().split("\n").length, 30);
});
