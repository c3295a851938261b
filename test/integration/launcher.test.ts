import { spawn } from "node:child_process";
import { chmod, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import test from "ava";
import { connect, type NatsConnection, StringCodec } from "nats";
import {
  findNatsServerBinary,
  NatsServerNotFoundError,
  NatsServerStartError,
  startNatsServer,
} from "../../src/server/nats/launcher.js";
import { freePort, startNats } from "../helpers/nats.js";
import { makeTempDir } from "../helpers/tmp.js";
import { waitFor } from "../helpers/wait.js";

const codec = StringCodec();

/** True while the process exists and is not a zombie awaiting its reaper. */
async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function roundTrip(nc: NatsConnection, subject: string): Promise<string> {
  const sub = nc.subscribe(subject, { max: 1 });
  nc.publish(subject, codec.encode("hello"));
  for await (const msg of sub) return codec.decode(msg.data);
  throw new Error("subscription ended without a message");
}

test("starts on a free loopback port, serves NATS clients and stops without a trace", async (t) => {
  const server = await startNatsServer();
  t.is(server.host, "127.0.0.1");
  t.true(server.port > 0);
  t.is(server.url, `nats://127.0.0.1:${server.port}`);
  t.true(await isRunning(server.pid));
  const nc = await connect({ servers: server.url });
  t.is(await roundTrip(nc, "launcher.test"), "hello");
  await nc.close();
  const pid = server.pid;
  await server.stop();
  t.false(await isRunning(pid));
  t.is(typeof (await server.exited), "number");
  await server.stop(); // a second stop is harmless
});

test("restart keeps the port, and connected clients reconnect", async (t) => {
  const server = await startNats(t);
  const nc = await connect({
    servers: server.url,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 20,
  });
  t.teardown(() => nc.close());
  const reconnected = (async () => {
    for await (const status of nc.status()) if (status.type === "reconnect") return true;
    return false;
  })();
  const { port, pid } = server;
  await server.restart();
  t.is(server.port, port);
  t.not(server.pid, pid);
  t.false(await isRunning(pid));
  t.true(await reconnected);
  t.is(await roundTrip(nc, "after.restart"), "hello");
});

test("restart after stop is refused", async (t) => {
  const server = await startNatsServer();
  await server.stop();
  await t.throwsAsync(() => server.restart(), { message: /was stopped/ });
});

test("a missing binary is one clear error with the install command", async (t) => {
  const error = await t.throwsAsync(
    () => startNatsServer({ env: { LB_NATS_SERVER: "/nonexistent/nats-server" } }),
    { instanceOf: NatsServerNotFoundError },
  );
  t.regex(error.message, /^LB_NATS_SERVER=\/nonexistent\/nats-server is not an executable/);
  t.regex(error.message, /apt-get install nats-server/);
  t.false(error.message.includes("\n"));
});

test("the binary is looked up on PATH before the well-known directories", async (t) => {
  const dir = await makeTempDir("nats-path", t);
  const fake = path.join(dir, "nats-server");
  await writeFile(fake, "#!/bin/sh\nexit 1\n");
  await chmod(fake, 0o755);
  t.is(await findNatsServerBinary({ PATH: `/nonexistent:${dir}` }), fake);
  t.is(await findNatsServerBinary({ LB_NATS_SERVER: fake, PATH: "" }), fake);
  const found = await findNatsServerBinary({ PATH: "" });
  t.true(["/usr/sbin/nats-server", "/usr/local/bin/nats-server"].includes(found));
});

test("a config file nats-server rejects fails fast with nats-server's own error", async (t) => {
  const dir = await makeTempDir("nats-bad-conf", t);
  const configFile = path.join(dir, "nats.conf");
  await writeFile(configFile, "bogus_field: 1\n");
  const error = await t.throwsAsync(() => startNatsServer({ configFile }), {
    instanceOf: NatsServerStartError,
  });
  t.regex(error.message, /^nats-server exited with code 1 before accepting connections: /);
  t.regex(error.message, /unknown field "bogus_field"/);
});

test("a port in use is reported with nats-server's log line", async (t) => {
  const first = await startNats(t);
  const error = await t.throwsAsync(() => startNatsServer({ port: first.port }), {
    instanceOf: NatsServerStartError,
  });
  t.regex(error.message, new RegExp(`${first.port}`));
  t.regex(error.message, /address already in use/);
});

test("the config file applies; explicit host, port and maxPayload override it", async (t) => {
  const dir = await makeTempDir("nats-conf", t);
  const configFile = path.join(dir, "nats.conf");
  const filePort = await freePort();
  await writeFile(configFile, `port: ${filePort}\nmax_payload: 2048\n`);
  const fromFile = await startNats(t, { configFile });
  t.is(fromFile.port, filePort);
  t.is(fromFile.host, "127.0.0.1", "a wildcard bind is dialled on loopback");
  const nc = await connect({ servers: fromFile.url });
  t.is(nc.info?.max_payload, 2048);
  await nc.close();
  await fromFile.stop();

  const overridden = await startNats(t, {
    configFile,
    host: "127.0.0.1",
    port: 0,
    maxPayload: 8192,
  });
  t.not(overridden.port, filePort);
  const nc2 = await connect({ servers: overridden.url });
  t.is(nc2.info?.max_payload, 8192);
  t.is(await roundTrip(nc2, "override"), "hello");
  await nc2.close();
});

test("maxPayload, JetStream and the log callback are applied", async (t) => {
  const storeDir = await makeTempDir("nats-js", t);
  const lines: string[] = [];
  const server = await startNats(t, {
    jetstream: true,
    storeDir,
    maxPayload: 4096,
    onLogLine: (line) => lines.push(line),
  });
  t.true(lines.some((line) => line.includes("Server is ready")));
  const nc = await connect({ servers: server.url });
  t.teardown(() => nc.close());
  t.is(nc.info?.max_payload, 4096);
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: "launcher", subjects: ["launcher.js"] });
  t.is((await jsm.streams.info("launcher")).config.name, "launcher");
  t.true(lines.some((line) => line.includes(storeDir)));
});

test("bad options are rejected naming the option", async (t) => {
  await t.throwsAsync(() => startNatsServer({ port: 70000 }), {
    message: /port 70000.*0 to 65535/,
  });
  await t.throwsAsync(() => startNatsServer({ maxPayload: -1 }), { message: /maxPayload -1/ });
});

/** Runs a Node process that starts a nats-server, reports its PID, then ends as `ending` says. */
async function orphanCandidate(
  ending: "exit" | "hang",
): Promise<{ nodePid: number; natsPid: number }> {
  const launcher = new URL("../../src/server/nats/launcher.js", import.meta.url).href;
  const script = `
    const { startNatsServer } = await import(${JSON.stringify(launcher)});
    const server = await startNatsServer();
    process.stdout.write(server.pid + "\\n");
    ${ending === "exit" ? "process.exit(0);" : "setInterval(() => {}, 1000);"}
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  await waitFor(() => output.includes("\n") || child.exitCode !== null, {
    message: "the helper process to report its nats-server PID",
  });
  const natsPid = Number.parseInt(output, 10);
  if (!Number.isInteger(natsPid))
    throw new Error(`helper process printed ${JSON.stringify(output)}`);
  return { nodePid: child.pid!, natsPid };
}

test("nats-server stops when its owner exits without stopping it", async (t) => {
  const { natsPid } = await orphanCandidate("exit");
  await waitFor(async () => !(await isRunning(natsPid)), {
    message: `nats-server ${natsPid} to stop after its owner exited`,
  });
  t.pass();
});

test("nats-server stops when its owner is killed with SIGKILL", async (t) => {
  const { nodePid, natsPid } = await orphanCandidate("hang");
  t.true(await isRunning(natsPid));
  process.kill(nodePid, "SIGKILL");
  await waitFor(async () => !(await isRunning(natsPid)), {
    message: `nats-server ${natsPid} to stop after its owner was killed`,
  });
  t.pass();
});
