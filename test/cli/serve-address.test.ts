import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import test from "ava";
import { startServe } from "../helpers/cli.js";
import { freePort } from "../helpers/nats.js";
import { call, rawClient } from "../helpers/rpc.js";
import { makeTempDir } from "../helpers/tmp.js";

const PLAINTEXT_WARNING = /"level":"warn","msg":"serving gRPC without TLS on ([^"]+)/;

test("by default lb serve listens on 0.0.0.0, says so in its ready line, and warns that it serves without TLS", async (t) => {
  const dir = await makeTempDir("lb-serve-address-", t);
  const port = await freePort();
  const serve = await startServe(t, ["--data", dir, "-p", String(port)]);
  t.regex(
    serve.stderr(),
    new RegExp(`lb ready on 0\\.0\\.0\\.0:${port}, advertised 127\\.0\\.0\\.1:${port}, nats `),
  );
  t.is(serve.address, `127.0.0.1:${port}`);
  t.is(
    PLAINTEXT_WARNING.exec(serve.stderr())?.[1],
    `0.0.0.0:${port} (every interface): anyone who can reach it can create, read and delete streams; set --tls-cert and --tls-key, or --host 127.0.0.1 to serve this machine only`,
  );
  t.is(serve.stderr().match(/"level":"warn"/g)?.length, 1);
  t.is(await serve.stop("SIGTERM"), 0);
});

test("lb serve --host 127.0.0.1 listens on loopback only and does not warn", async (t) => {
  const dir = await makeTempDir("lb-serve-address-", t);
  const port = await freePort();
  const serve = await startServe(t, ["--data", dir, "-p", String(port), "--host", "127.0.0.1"]);
  t.regex(
    serve.stderr(),
    new RegExp(`lb ready on 127\\.0\\.0\\.1:${port}, advertised 127\\.0\\.0\\.1:${port}, nats `),
  );
  t.notRegex(serve.stderr(), PLAINTEXT_WARNING);
  t.is(await serve.stop("SIGTERM"), 0);
});

test("a lone broker with its own nats-server configuration (--nc) bootstraps itself", async (t) => {
  const dir = await makeTempDir("lb-serve-nc-", t);
  const natsPort = await freePort();
  const natsConfig = join(dir, "nats.conf");
  await writeFile(natsConfig, `listen: 127.0.0.1:${natsPort}\n`);
  const port = await freePort();
  const serve = await startServe(t, [
    "--data",
    join(dir, "data"),
    "-p",
    String(port),
    "--host",
    "127.0.0.1",
    "--nc",
    natsConfig,
  ]);
  t.is(serve.natsUrl, `nats://127.0.0.1:${natsPort}`);
  await call(rawClient(t, serve.address), "createStream", { name: "solo", subject: "solo" });
  t.is(await serve.stop("SIGTERM"), 0);
});
