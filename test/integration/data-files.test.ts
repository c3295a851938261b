import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { ENCRYPTION_KEY_ENV } from "../../src/server/encryption.js";
import { startBroker } from "../helpers/broker.js";
import { startNats } from "../helpers/nats.js";
import { call, rawClient } from "../helpers/rpc.js";

test("every file lb writes under the data dir is 0600 and every directory 0700, whatever the umask", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "lb-modes-"));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const previousUmask = process.umask(0);
  process.env[ENCRYPTION_KEY_ENV] = "0123456789abcdef0123456789abcdef";
  t.teardown(() => {
    process.umask(previousUmask);
    delete process.env[ENCRYPTION_KEY_ENV];
  });
  const nats = await startNats(t);
  const dataDir = join(root, "made", "by", "lb");
  const broker = await startBroker(t, nats.url, { dataDir });
  const client = rawClient(t, broker.address);
  await call(client, "createStream", { name: "plain", subject: "plain" });
  await call(client, "createStream", { name: "secret", subject: "secret", encryption: true });
  for (const stream of ["plain", "secret"]) {
    await call(client, "publish", { stream, value: Buffer.from("v") });
  }
  client.close();
  await broker.stop();

  const modes: string[] = [];
  for (const dir of [join(root, "made"), join(root, "made", "by")]) {
    modes.push(`${dir} ${((await stat(dir)).mode & 0o777).toString(8)}`);
  }
  for (const entry of await readdir(dataDir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    modes.push(`${path} ${((await stat(path)).mode & 0o777).toString(8)}`);
  }
  modes.push(`${dataDir} ${((await stat(dataDir)).mode & 0o777).toString(8)}`);
  t.true(modes.some((m) => m.includes("raft/hardstate ")));
  t.true(modes.some((m) => m.includes("secret/0/data-key ")));
  t.true(modes.some((m) => m.includes("FORMAT ")));
  t.deepEqual(
    modes.filter((m) => !/ (600|700)$/.test(m)),
    [],
  );
});

test("a damaged server-id file stops start-up with one line naming it instead of waiting for a quorum", async (t) => {
  const nats = await startNats(t);
  const first = await startBroker(t, nats.url);
  await first.stop();
  await writeFile(join(first.dataDir, "server-id"), "0000000000000000\n");
  const error = await t.throwsAsync(first.restart());
  t.regex(
    error!.message,
    /^this broker's id 0000000000000000 is not a member of the metadata Raft group stored in .*raft \(members [0-9a-f]{16}\): restore the server-id file/,
  );
  t.false(error!.message.includes("\n"));
});
