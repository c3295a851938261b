import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import test from "ava";
import { StartPosition } from "../../src/wire/api.js";
import { LB_BIN, runLb, startServe, startServeOnNats } from "../helpers/cli.js";
import { freePort, startNats } from "../helpers/nats.js";
import { call, rawClient } from "../helpers/rpc.js";
import { collect } from "../helpers/subscribe.js";
import { makeTempDir } from "../helpers/tmp.js";
import { waitFor } from "../helpers/wait.js";

/** Long enough for a clean stop on a loaded 2-core machine; a hang (the old bug) never ends. */
const EXIT_BOUND_MS = 20_000;
/** What lb prints when a stray handle kept it alive after the stop and it had to exit anyway. */
const HELD_OPEN = /still held the process open/;

/** The pids of the processes whose parent is `pid`, with their command names. */
function childrenOf(pid: number): { pid: number; comm: string }[] {
  const found: { pid: number; comm: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) found.push({ pid: Number(entry), comm });
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/** Alive and not a zombie waiting to be reaped. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function exitOf(child: ChildProcess): Promise<number | NodeJS.Signals | null> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve(child.exitCode ?? child.signalCode);
  }
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));
}

async function exitWithin(
  child: ChildProcess,
  ms: number,
): Promise<number | NodeJS.Signals | null | "still running"> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"still running">((resolve) => {
    timer = setTimeout(() => resolve("still running"), ms);
  });
  const result = await Promise.race([exitOf(child), late]);
  clearTimeout(timer);
  return result;
}

/** The embedded nats-server started by the broker with this pid. */
async function embeddedNatsPid(brokerPid: number): Promise<number> {
  let pid = -1;
  await waitFor(
    () => {
      pid = childrenOf(brokerPid).find((c) => c.comm === "nats-server")?.pid ?? -1;
      return pid > 0;
    },
    { message: "the broker's nats-server child" },
  );
  return pid;
}

test("Ctrl-C in a terminal stops lb serve and its embedded nats-server, exit 0", async (t) => {
  const dir = await makeTempDir("lb-life-tty-", t);
  const port = await freePort();
  const command = [process.execPath, LB_BIN, "serve", "--data", join(dir, "data")]
    .concat(["-p", String(port), "--host", "127.0.0.1"])
    .map((arg) => `'${arg}'`)
    .join(" ");
  // script(1) runs the command on a pseudo-terminal: a typed Ctrl-C makes the terminal send
  // SIGINT to the whole foreground process group, the nats-server child included. -e: the
  // command's exit code becomes script's.
  const script = spawn("script", ["-qefc", `exec ${command}`, "/dev/null"], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  script.stdout.on("data", (d) => {
    output += d;
  });
  t.teardown(() => {
    if (script.exitCode === null) script.kill("SIGKILL");
  });
  await waitFor(() => /lb ready on/.test(output), {
    timeoutMs: 60_000,
    message: "the ready line",
  });
  const brokerPid = childrenOf(script.pid!).find((c) => c.comm.includes("node"))?.pid ?? -1;
  t.true(brokerPid > 0, "the broker runs under script");
  const natsPid = await embeddedNatsPid(brokerPid);

  script.stdin.write("\x03");
  t.is(await exitWithin(script, EXIT_BOUND_MS), 0, output);
  t.regex(output, /broker stopped/);
  t.notRegex(output, HELD_OPEN);
  await waitFor(() => !isAlive(natsPid), { message: "the nats-server child to be gone" });
  t.false(isAlive(brokerPid));
});

test("kill -INT to the whole process group stops lb serve, exit 0, no nats-server left", async (t) => {
  const dir = await makeTempDir("lb-life-pgid-", t);
  const port = await freePort();
  const serve = await startServe(
    t,
    ["--data", join(dir, "data"), "-p", String(port), "--host", "127.0.0.1"],
    {},
    { detached: true },
  );
  const natsPid = await embeddedNatsPid(serve.child.pid!);
  process.kill(-serve.child.pid!, "SIGINT");
  t.is(await exitWithin(serve.child, EXIT_BOUND_MS), 0, serve.stderr());
  t.regex(serve.stderr(), /broker stopped/);
  t.notRegex(serve.stderr(), HELD_OPEN);
  await waitFor(() => !isAlive(natsPid), { message: "the nats-server child to be gone" });
});

test("SIGTERM while a join waits for a cluster stops the start at once, exit 0", async (t) => {
  const nats = await startNats(t);
  const dir = await makeTempDir("lb-life-join-", t);
  const port = await freePort();
  // No --raft-bootstrap-seed: the broker asks for a cluster on NATS for 30 s (the default).
  const child = spawn(
    process.execPath,
    [LB_BIN, "serve", "--data", dir, "-p", String(port), "-n", nats.url],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  t.teardown(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  await waitFor(() => /asking the cluster on NATS/.test(stderr), {
    timeoutMs: 30_000,
    message: "the join to begin",
  });
  child.kill("SIGTERM");
  t.is(await exitWithin(child, EXIT_BOUND_MS), 0, stderr);
  t.regex(stderr, /lb: stopped during start-up \(SIGTERM\)/);
  t.notRegex(stderr, HELD_OPEN);
});

test("a broker on external NATS exits when it and its NATS server are stopped together", async (t) => {
  const nats = await startNats(t);
  const serve = await startServeOnNats(t, nats.url, "lb-life-ext-");
  const natsStopped = nats.stop();
  serve.child.kill("SIGTERM");
  t.is(await exitWithin(serve.child, EXIT_BOUND_MS), 0, serve.stderr());
  t.notRegex(serve.stderr(), HELD_OPEN);
  await natsStopped;
});

test("a join no cluster answers fails after clustering.raft.join.timeout with one line", async (t) => {
  const nats = await startNats(t);
  const dir = await makeTempDir("lb-life-nojoin-", t);
  const port = await freePort();
  const r = await runLb(["serve", "--data", dir, "-p", String(port), "-n", nats.url], {
    env: { LIFTBRIDGE_CLUSTERING_RAFT_JOIN_TIMEOUT: "1s" },
  });
  t.is(r.code, 1, r.stderr);
  const lines = r.stderr.split("\n").filter((l) => l.startsWith("lb:"));
  t.is(lines.length, 1, r.stderr);
  t.notRegex(r.stderr, HELD_OPEN);
  t.regex(lines[0]!, /no cluster in namespace \S+ answered within 1 s.*--raft-bootstrap-seed/);
});

test("a second broker on the same data dir is refused naming the pid; a stale lock is taken over", async (t) => {
  const dir = await makeTempDir("lb-life-lock-", t);
  const data = join(dir, "data");
  const port = await freePort();
  const args = ["--data", data, "-p", String(port), "--host", "127.0.0.1"];
  const first = await startServe(t, args);
  const client = rawClient(t, first.address);
  await call(client, "createStream", { name: "locked", subject: "locked" });
  await call(client, "publish", { stream: "locked", value: new TextEncoder().encode("kept") });

  const second = await runLb(["serve", "--data", data, "-p", String(await freePort())]);
  t.is(second.code, 1, second.stderr);
  const lines = second.stderr.split("\n").filter((l) => l.startsWith("lb:"));
  t.is(lines.length, 1, second.stderr);
  t.regex(lines[0]!, new RegExp(`data dir .* is in use .*pid ${first.child.pid}\\b`));

  t.is(await first.stop("SIGKILL"), "SIGKILL");
  const restarted = await startServe(t, args);
  const { messages } = await collect(
    rawClient(t, restarted.address),
    { stream: "locked", startPosition: StartPosition.EARLIEST },
    1,
  );
  t.is(new TextDecoder().decode(messages[0]!.value), "kept");
  t.is(await restarted.stop(), 0, restarted.stderr());
});

test("an encryption key in hex and the same key in base64 open the same encrypted stream", async (t) => {
  const dir = await makeTempDir("lb-life-key-", t);
  const data = join(dir, "data");
  const port = await freePort();
  const args = ["--data", data, "-p", String(port), "--host", "127.0.0.1"];
  const key = Buffer.from(
    "a1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff00",
    "hex",
  );

  const hex = await startServe(t, args, { LIFTBRIDGE_ENCRYPTION_KEY: key.toString("hex") });
  const client = rawClient(t, hex.address);
  await call(client, "createStream", { name: "vault", subject: "vault", encryption: true });
  await call(client, "publish", { stream: "vault", value: new TextEncoder().encode("secret") });
  t.is(await hex.stop(), 0, hex.stderr());

  for (const form of [key.toString("base64"), key.toString("base64url")]) {
    const b64 = await startServe(t, args, { LIFTBRIDGE_ENCRYPTION_KEY: form });
    const { messages } = await collect(
      rawClient(t, b64.address),
      { stream: "vault", startPosition: StartPosition.EARLIEST },
      1,
    );
    t.is(new TextDecoder().decode(messages[0]!.value), "secret", form);
    t.is(await b64.stop(), 0, b64.stderr());
  }
});

test("credentials in -n nats://user:pass@host are used and never printed", async (t) => {
  const dir = await makeTempDir("lb-life-auth-", t);
  const password = "pw-9f3c1e77";
  const config = join(dir, "auth.conf");
  await writeFile(config, `authorization { user: alice, password: "${password}" }\n`);
  const nats = await startNats(t, { configFile: config, host: "127.0.0.1", port: 0 });
  const url = `nats://alice:${password}@127.0.0.1:${nats.port}`;
  const port = await freePort();
  const args = ["--data", join(dir, "data"), "-p", String(port), "--host", "127.0.0.1"];

  const serve = await startServe(t, [...args, "-n", url, "--raft-bootstrap-seed", "-l", "debug"]);
  t.is(serve.natsUrl, `nats://alice:***@127.0.0.1:${nats.port}`);
  await call(rawClient(t, serve.address), "createStream", { name: "s", subject: "s" });
  t.is(await serve.stop(), 0, serve.stderr());
  t.false(serve.stderr().includes(password), serve.stderr());

  const wrong = await runLb([
    "serve",
    ...args,
    "-n",
    `nats://alice:nope-${password}x@127.0.0.1:${nats.port}`,
  ]);
  t.is(wrong.code, 1, wrong.stderr);
  const lines = wrong.stderr.split("\n").filter((l) => l.startsWith("lb:"));
  t.is(lines.length, 1, wrong.stderr);
  t.regex(
    lines[0]!,
    /NATS at nats:\/\/alice:\*\*\*@127\.0\.0\.1:\d+ refused the credentials.*user and password/,
  );
  t.false(wrong.stderr.includes(password), wrong.stderr);
});
