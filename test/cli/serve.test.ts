import { writeFile } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
import test from "ava";
import { StartPosition } from "../../src/wire/api.js";
import { runLb, startServe, startServeOnNats } from "../helpers/cli.js";
import { freePort, startNats } from "../helpers/nats.js";
import { call, rawClient } from "../helpers/rpc.js";
import { collect } from "../helpers/subscribe.js";
import { makeTempDir } from "../helpers/tmp.js";

test("lb serve runs an embedded nats-server, stops cleanly on SIGTERM, and keeps the data", async (t) => {
  const dir = await makeTempDir("lb-serve-", t);
  const port = await freePort();
  const data = join(dir, "data");
  const first = await startServe(t, ["--data", data, "-p", String(port), "--host", "127.0.0.1"]);
  t.is(first.address, `127.0.0.1:${port}`);
  t.regex(first.natsUrl, /^nats:\/\/127\.0\.0\.1:\d+$/);
  const client = rawClient(t, first.address);
  await call(client, "createStream", { name: "kept", subject: "kept" });
  for (let i = 0; i < 20; i++) {
    await call(client, "publish", { stream: "kept", value: new TextEncoder().encode(`m${i}`) });
  }
  t.is(await first.stop("SIGTERM"), 0);
  t.regex(first.stderr(), /broker stopped/);

  const second = await startServe(t, ["--data", data, "-p", String(port), "--host", "127.0.0.1"]);
  const again = rawClient(t, second.address);
  const { messages } = await collect(
    again,
    { stream: "kept", startPosition: StartPosition.EARLIEST },
    20,
  );
  t.is(messages.length, 20);
  t.is(new TextDecoder().decode(messages[19]!.value), "m19");
  t.is(await second.stop("SIGINT"), 0);
});

test("lb serve connects to an existing NATS with -n", async (t) => {
  const nats = await startNats(t);
  const serve = await startServeOnNats(t, nats.url, "lb-serve-");
  t.is(serve.natsUrl, nats.url);
  t.is(await serve.stop(), 0, serve.stderr());
});

test("fatal start-up problems exit non-zero with one line naming the problem and the fix", async (t) => {
  const dir = await makeTempDir("lb-serve-bad-", t);
  const blocker = join(dir, "a-file");
  await writeFile(blocker, "");
  const cases: { args: string[]; env?: NodeJS.ProcessEnv; code: number; match: RegExp }[] = [
    {
      args: ["--data", join(blocker, "data")],
      code: 1,
      match: /data dir .* is not writable.*--data/,
    },
    {
      // Node's recursive mkdir used to spin forever here.
      args: ["--data", "/proc/nope"],
      code: 1,
      match: /data dir \/proc\/nope cannot be created.*--data/,
    },
    {
      args: ["--data", dir],
      env: { LIFTBRIDGE_ENCRYPTION_KEY: "not-a-key" },
      code: 1,
      match: /LIFTBRIDGE_ENCRYPTION_KEY is not a valid AES key.*64 hex digits.*base64/,
    },
    {
      args: ["--data", dir, "-p", "abc"],
      code: 2,
      match: /abc/,
    },
    {
      args: ["--data", dir],
      env: { LB_NATS_SERVER: join(dir, "no-such-nats-server") },
      code: 1,
      match: /nats-server.*(install|apt)/i,
    },
  ];
  const config = join(dir, "bad.yaml");
  await writeFile(config, "streams:\n  retention.max.agee: 1h\n");
  cases.push({
    args: ["--data", dir, "-c", config],
    code: 2,
    match: /streams\.retention\.max\.agee.*did you mean streams\.retention\.max\.age/,
  });
  const badValue = join(dir, "bad-value.yaml");
  await writeFile(badValue, "logging.level: loud\n");
  cases.push({
    args: ["--data", dir, "-c", badValue],
    code: 2,
    match: /loud.*logging\.level.*expected one of/,
  });

  const busy = net.createServer();
  await new Promise<void>((r) => busy.listen(0, "127.0.0.1", () => r()));
  t.teardown(() => busy.close());
  const busyPort = (busy.address() as net.AddressInfo).port;
  cases.push({
    args: ["--data", dir, "--host", "127.0.0.1", "-p", String(busyPort)],
    code: 1,
    match: new RegExp(`port ${busyPort}.*in use.*--port`),
  });

  for (const c of cases) {
    const r = await runLb(["serve", ...c.args], { env: c.env });
    t.is(r.code, c.code, `${c.args.join(" ")}: ${r.stderr}`);
    const lines = r.stderr
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("lb:") || l.includes("Error"));
    t.is(lines.length, 1, r.stderr);
    t.regex(lines[0]!, c.match);
  }
});
