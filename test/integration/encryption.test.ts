import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import test from "ava";
import { StartPosition } from "../../src/wire/api.js";
import { startBroker } from "../helpers/broker.js";
import { startNats } from "../helpers/nats.js";
import { call, rawClient } from "../helpers/rpc.js";
import { collect } from "../helpers/subscribe.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if ((await readFile(path)).includes(Buffer.from(needle))) hits.push(path);
  }
  return hits;
}

test("encrypted streams keep no plaintext value on disk, read back in clear, and need the right key", async (t) => {
  process.env.LIFTBRIDGE_ENCRYPTION_KEY = "0123456789abcdef0123456789abcdef";
  const nats = await startNats(t);
  const first = await startBroker(t, nats.url);
  let client = rawClient(t, first.address);
  await call(client, "createStream", { name: "vault", subject: "vault", encryption: true });
  await call(client, "createStream", { name: "open", subject: "open" });
  for (let i = 0; i < 20; i++) {
    await call(client, "publish", {
      stream: "vault",
      key: bytes(`k${i}`),
      value: bytes(`TOP-SECRET-${i}`),
    });
  }
  await call(client, "publish", { stream: "open", value: bytes("PLAIN-VISIBLE") });

  const read = await collect(
    client,
    { stream: "vault", startPosition: StartPosition.EARLIEST },
    20,
  );
  t.deepEqual(
    read.messages.map((m) => text(m.value)),
    Array.from({ length: 20 }, (_, i) => `TOP-SECRET-${i}`),
  );
  await first.stop();
  t.deepEqual(await filesContaining(first.dataDir, "TOP-SECRET"), []);
  t.true(
    (await filesContaining(first.dataDir, "PLAIN-VISIBLE")).length > 0,
    "the scan does find plaintext",
  );

  process.env.LIFTBRIDGE_ENCRYPTION_KEY = "fedcba9876543210fedcba9876543210";
  await t.throwsAsync(startBroker(t, nats.url, { dataDir: first.dataDir }), {
    message: /LIFTBRIDGE_ENCRYPTION_KEY cannot unwrap the data key/,
  });
  delete process.env.LIFTBRIDGE_ENCRYPTION_KEY;
  await t.throwsAsync(startBroker(t, nats.url, { dataDir: first.dataDir }), {
    message: /LIFTBRIDGE_ENCRYPTION_KEY is not set/,
  });
  process.env.LIFTBRIDGE_ENCRYPTION_KEY = "short";
  await t.throwsAsync(startBroker(t, nats.url, { dataDir: first.dataDir }), {
    message: /LIFTBRIDGE_ENCRYPTION_KEY is not a valid AES key.*expected 16 or 32 characters/,
  });

  process.env.LIFTBRIDGE_ENCRYPTION_KEY = "0123456789abcdef0123456789abcdef";
  const again = await startBroker(t, nats.url, { dataDir: first.dataDir });
  client = rawClient(t, again.address);
  const reread = await collect(
    client,
    { stream: "vault", startPosition: StartPosition.EARLIEST },
    20,
  );
  t.is(text(reread.messages[19]!.value), "TOP-SECRET-19");
});
