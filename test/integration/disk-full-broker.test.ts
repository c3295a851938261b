import { existsSync } from "node:fs";
import { rm, statfs } from "node:fs/promises";
import { join } from "node:path";
import { type ServiceError, status } from "@grpc/grpc-js";
import anyTest, { type TestFn } from "ava";
import {
  type FetchMetadataResponse,
  type PublishResponse,
  StartPosition,
} from "../../src/wire/api.js";
import type { ApiClient } from "../../src/wire/service.js";
import { startBroker } from "../helpers/broker.js";
import { runLb, startServe } from "../helpers/cli.js";
import { freePort, startNats } from "../helpers/nats.js";
import { call, failure, rawClient } from "../helpers/rpc.js";
import { fillDisk, mountSmallDisk, smallDisksAvailable } from "../helpers/small-disk.js";
import { collect } from "../helpers/subscribe.js";
import { waitFor } from "../helpers/wait.js";

// Real full disks: each test mounts its own small tmpfs (root only; see small-disk.ts).
const test = (smallDisksAvailable ? anyTest : anyTest.skip) as TestFn;

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
/** Bigger than a page: a write of it needs new blocks, which a full disk refuses. */
const big = (tag: string) => new Uint8Array(64 << 10).fill(tag.charCodeAt(0));

const publish = (client: ApiClient, stream: string, value: Uint8Array) =>
  call<unknown, PublishResponse>(client, "publish", { stream, value });

async function streamNames(client: ApiClient): Promise<string[]> {
  const md = await call<unknown, FetchMetadataResponse>(client, "fetchMetadata", {});
  return md.streamMetadata.map((s) => s.name).sort();
}

async function freeBytes(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
}

test("a publish on a full disk says so; once space is freed publishing works again, no restart", async (t) => {
  const disk = mountSmallDisk(t, "16m");
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url, { dataDir: join(disk, "data") });
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "s", subject: "s" });
  t.is((await publish(client, "s", bytes("before"))).ack?.offset, 0);

  const filler = await fillDisk(disk);
  const refused = await failure(publish(client, "s", big("x")));
  t.is(refused.code, status.RESOURCE_EXHAUSTED);
  t.regex(refused.details, /no space left on device while storing the message/);
  const readable = await collect(client, { stream: "s", startPosition: StartPosition.EARLIEST }, 1);
  t.is(text(readable.messages[0]!.value), "before");

  await rm(filler);
  let after: PublishResponse | undefined;
  await waitFor(
    async () => {
      after = await publish(client, "s", bytes("after"));
      return true;
    },
    { message: "a publish to succeed once space is back", intervalMs: 200 },
  );
  t.is(after?.ack?.offset, 1, "the refused message took no offset");
  const all = await collect(client, { stream: "s", startPosition: StartPosition.EARLIEST }, 2);
  t.deepEqual(
    all.messages.map((m) => text(m.value)),
    ["before", "after"],
  );
});

test("CreateStream fails on a full disk, never appears later (not after recovery, not after a restart), and works again without a restart once space returns", async (t) => {
  const disk = mountSmallDisk(t, "16m");
  const nats = await startNats(t);
  const broker = await startBroker(t, nats.url, { dataDir: join(disk, "data") });
  const client = rawClient(t, broker.address);
  await call(client, "createStream", { name: "existing", subject: "existing" });

  const filler = await fillDisk(disk);
  const refused = await failure(call(client, "createStream", { name: "lost", subject: "lost" }));
  t.is(refused.code, status.RESOURCE_EXHAUSTED, refused.details);
  t.regex(refused.details, /no space left on device/);

  // The metadata log restarts from its storage by itself (the freed reserve gives it room to
  // elect itself again): the controller answers, and refuses creations while the disk is full.
  let again: ServiceError | undefined;
  await waitFor(
    async () => {
      again = await failure(call(client, "createStream", { name: "lost2", subject: "lost2" }));
      return /controller .* is full/.test(again.details);
    },
    { message: "the metadata log to recover and refuse creations on a full disk", intervalMs: 200 },
  );
  t.is(again?.code, status.RESOURCE_EXHAUSTED);
  t.deepEqual(await streamNames(client), ["existing"]);

  await rm(filler);
  await waitFor(
    async () => {
      await call(client, "createStream", { name: "later", subject: "later" });
      return true;
    },
    { message: "CreateStream to work once space is back", timeoutMs: 15_000, intervalMs: 200 },
  );
  t.deepEqual(await streamNames(client), ["existing", "later"]);

  const restarted = await broker.restart();
  const afterRestart = rawClient(t, restarted.address);
  t.deepEqual(await streamNames(afterRestart), ["existing", "later"]);
});

test("DeleteStream works on a full disk and frees its space; then creating and publishing work again", async (t) => {
  const disk = mountSmallDisk(t, "16m");
  const nats = await startNats(t);
  const dataDir = join(disk, "data");
  const { address } = await startBroker(t, nats.url, { dataDir });
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "big", subject: "big" });
  await call(client, "createStream", { name: "kept", subject: "kept" });
  await publish(client, "kept", bytes("kept"));
  for (let i = 0; i < 48; i++) await publish(client, "big", big("b"));
  await fillDisk(disk);
  t.is((await failure(publish(client, "kept", big("k")))).code, status.RESOURCE_EXHAUSTED);
  const freeBefore = await freeBytes(disk);

  await call(client, "deleteStream", { name: "big" });
  t.false(existsSync(join(dataDir, "streams", "big")), "the stream's data is deleted");
  t.true((await freeBytes(disk)) > freeBefore + (2 << 20), "its space is free again");
  t.deepEqual(await streamNames(client), ["kept"]);

  // The filler is still there: the room the deleted stream held is enough.
  await waitFor(
    async () => {
      await publish(client, "kept", bytes("again"));
      return true;
    },
    { message: "publishing to work after the delete", timeoutMs: 15_000, intervalMs: 200 },
  );
  await waitFor(
    async () => {
      await call(client, "createStream", { name: "new", subject: "new" });
      return true;
    },
    { message: "CreateStream to work after the delete" },
  );
  const kept = await collect(client, { stream: "kept", startPosition: StartPosition.EARLIEST }, 2);
  t.deepEqual(
    kept.messages.map((m) => text(m.value)),
    ["kept", "again"],
  );
});

test("SIGTERM stops `lb serve` whose data disk is full: it exits 0 and logs what it could not finish", async (t) => {
  const disk = mountSmallDisk(t, "16m");
  const port = await freePort();
  const serve = await startServe(t, [
    "-d",
    join(disk, "data"),
    "-p",
    String(port),
    "--host",
    "127.0.0.1",
  ]);
  const client = rawClient(t, serve.address);
  await call(client, "createStream", { name: "s", subject: "s" });
  await publish(client, "s", bytes("one"));
  await fillDisk(disk);
  t.is((await failure(publish(client, "s", big("x")))).code, status.RESOURCE_EXHAUSTED);

  const exit = await serve.stop("SIGTERM");
  t.is(exit, 0, serve.stderr());
  t.regex(serve.stderr(), /stopping: partitions did not finish; going on.*no space left on device/);
});

test("`lb serve` starts on a full disk and serves reads of its data; a fresh data dir there fails in one line", async (t) => {
  const disk = mountSmallDisk(t, "16m");
  const dataDir = join(disk, "data");
  const port = await freePort();
  const args = ["-d", dataDir, "-p", String(port), "--host", "127.0.0.1"];
  const first = await startServe(t, args);
  const client = rawClient(t, first.address);
  await call(client, "createStream", { name: "s", subject: "s" });
  for (const value of ["a", "b", "c"]) await publish(client, "s", bytes(value));
  t.is(await first.stop("SIGTERM"), 0, first.stderr());

  await fillDisk(disk);
  const second = await startServe(t, args);
  const reader = rawClient(t, second.address);
  t.deepEqual(await streamNames(reader), ["s"]);
  const read = await collect(reader, { stream: "s", startPosition: StartPosition.EARLIEST }, 3);
  t.deepEqual(
    read.messages.map((m) => text(m.value)),
    ["a", "b", "c"],
  );
  t.is((await failure(publish(reader, "s", big("x")))).code, status.RESOURCE_EXHAUSTED);
  await second.stop("SIGTERM");

  const freshArgs = [
    "-d",
    join(disk, "fresh"),
    "-p",
    String(await freePort()),
    "--host",
    "127.0.0.1",
  ];
  const fresh = await runLb(["serve", ...freshArgs]);
  t.is(fresh.code, 1, fresh.stderr);
  t.regex(
    fresh.stderr,
    /^lb: no space left on device .*: free space on its file system and start again\n$/,
  );
});

test("with the reserve used up too, the metadata log refuses changes, then recovers by itself once space returns", async (t) => {
  const disk = mountSmallDisk(t, "16m");
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url, { dataDir: join(disk, "data") });
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "s", subject: "s" });
  const filler = await fillDisk(disk);
  // The first metadata write on the full disk releases the reserve (and succeeds in its room)...
  await call(client, "pauseStream", { name: "s", partitions: [0] });
  // ...which something else then takes.
  const second = await fillDisk(disk, "filler2");
  const refused = await failure(call(client, "deleteStream", { name: "s" }));
  t.is(refused.code, status.RESOURCE_EXHAUSTED, refused.details);
  t.regex(refused.details, /no space left on device.*will not take effect/);
  t.deepEqual(await streamNames(client), ["s"]);

  await rm(second);
  await rm(filler);
  await waitFor(
    async () => {
      await call(client, "deleteStream", { name: "s" });
      return true;
    },
    { message: "DeleteStream to work once space is back", timeoutMs: 15_000, intervalMs: 200 },
  );
  t.deepEqual(await streamNames(client), []);
  // Creations wait for the reserve to be written back (checked every second).
  await waitFor(
    async () => {
      await call(client, "createStream", { name: "t", subject: "t" });
      return true;
    },
    { message: "CreateStream to work once the reserve is back", intervalMs: 200 },
  );
  t.deepEqual(await streamNames(client), ["t"]);
});
