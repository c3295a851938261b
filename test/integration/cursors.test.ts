import { status } from "@grpc/grpc-js";
import test from "ava";
import type { FetchMetadataResponse } from "../../src/wire/api.js";
import { startBroker } from "../helpers/broker.js";
import { startNats } from "../helpers/nats.js";
import { call, codeOf, failure, rawClient } from "../helpers/rpc.js";

type Client = ReturnType<typeof rawClient>;
const fetchCursor = async (client: Client, stream: string, partition: number, cursorId: string) =>
  (await call<unknown, { offset: number }>(client, "fetchCursor", { stream, partition, cursorId }))
    .offset;

test("cursors are stored in __cursors, read back, and survive a restart", async (t) => {
  const nats = await startNats(t);
  const flags = { "cursors.stream.partitions": 3 };
  const first = await startBroker(t, nats.url, { flags });
  let client = rawClient(t, first.address);

  const md = await call<unknown, FetchMetadataResponse>(client, "fetchMetadata", {
    streams: ["__cursors"],
  });
  t.is(Object.keys(md.streamMetadata[0]!.partitions).length, 3, "__cursors appears in metadata");
  t.is(md.streamMetadata[0]!.subject, "liftbridge-default.cursors");

  t.is(await fetchCursor(client, "orders", 0, "billing"), -1, "never set");
  await call(client, "setCursor", {
    stream: "orders",
    partition: 0,
    cursorId: "billing",
    offset: 41,
  });
  await call(client, "setCursor", {
    stream: "orders",
    partition: 0,
    cursorId: "billing",
    offset: 42,
  });
  await call(client, "setCursor", {
    stream: "orders",
    partition: 1,
    cursorId: "billing",
    offset: 7,
  });
  await call(client, "setCursor", { stream: "orders", partition: 0, cursorId: "audit", offset: 3 });
  t.is(await fetchCursor(client, "orders", 0, "billing"), 42);
  t.is(await fetchCursor(client, "orders", 1, "billing"), 7);
  t.is(await fetchCursor(client, "orders", 0, "audit"), 3);

  t.is(
    await codeOf(call(client, "setCursor", { partition: 0, cursorId: "x", offset: 1 })),
    status.INVALID_ARGUMENT,
  );
  t.is(
    await codeOf(call(client, "fetchCursor", { stream: "orders", partition: 0 })),
    status.INVALID_ARGUMENT,
  );
  t.is(await codeOf(call(client, "deleteStream", { name: "__cursors" })), status.INVALID_ARGUMENT);

  const second = await first.restart();
  client = rawClient(t, second.address);
  t.is(
    await fetchCursor(client, "orders", 0, "billing"),
    42,
    "read back from the log after a restart",
  );
  t.is(await fetchCursor(client, "orders", 1, "billing"), 7);
  t.is(await fetchCursor(client, "orders", 2, "billing"), -1);
});

test("with cursors disabled, the cursor RPCs fail as upstream's and __cursors does not exist", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url);
  const client = rawClient(t, address);
  const err = await failure(
    call(client, "setCursor", { stream: "s", partition: 0, cursorId: "c", offset: 1 }),
  );
  t.is(err.code, status.INTERNAL);
  t.regex(err.details, /Cursors stream does not exist/);
  const md = await call<unknown, FetchMetadataResponse>(client, "fetchMetadata", {});
  t.false(md.streamMetadata.some((s) => s.name === "__cursors"));
});
