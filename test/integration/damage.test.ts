import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import test from "ava";
import { StartPosition } from "../../src/wire/api.js";
import { startBroker } from "../helpers/broker.js";
import { startNats } from "../helpers/nats.js";
import { call, rawClient } from "../helpers/rpc.js";
import { collect } from "../helpers/subscribe.js";

test("a damaged record is never sent: the subscription ends with DATA_LOSS naming it", async (t) => {
  const nats = await startNats(t);
  const flags = { "streams.segment.max.bytes": 2048 };
  const first = await startBroker(t, nats.url, { flags });
  let client = rawClient(t, first.address);
  await call(client, "createStream", { name: "fragile", subject: "fragile" });
  for (let i = 0; i < 60; i++) {
    await call(client, "publish", {
      stream: "fragile",
      value: new TextEncoder().encode(`value-${i}`.padEnd(100, "x")),
    });
  }
  await first.stop();

  // Flip one byte inside the value of the 4th record of the first (sealed) segment.
  const dir = join(first.dataDir, "streams", "fragile", "0");
  const segments = (await readdir(dir)).filter((f) => f.endsWith(".log")).sort();
  t.true(segments.length > 2, "the log rolled into several segments");
  const path = join(dir, segments[0]!);
  const bytes = await readFile(path);
  const target = bytes.indexOf(Buffer.from("value-3x"));
  t.true(target > 0);
  bytes[target + 7] ^= 0x01;
  await writeFile(path, bytes);

  const second = await startBroker(t, nats.url, { dataDir: first.dataDir, flags });
  client = rawClient(t, second.address);
  const r = await collect(client, { stream: "fragile", startPosition: StartPosition.EARLIEST });
  t.deepEqual(
    r.messages.map((m) => m.offset),
    [0, 1, 2],
  );
  t.is(r.code, status.DATA_LOSS);
  t.regex(r.details ?? "", /stream fragile partition 0 at offset 3/);

  // Reading past the damage still works.
  const after = await collect(
    client,
    { stream: "fragile", startPosition: StartPosition.OFFSET, startOffset: 4 },
    56,
  );
  t.is(after.messages[0]!.offset, 4);
  t.is(after.messages.length, 56);
});
