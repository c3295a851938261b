import { existsSync } from "node:fs";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import test from "ava";
import type {
  CreateStreamRequest,
  FetchMetadataResponse,
  FetchPartitionMetadataResponse,
} from "../../src/wire/api.js";
import { StreamMetadataError } from "../../src/wire/api.js";
import { startBroker } from "../helpers/broker.js";
import { startNats } from "../helpers/nats.js";
import { call, codeOf, failure, rawClient } from "../helpers/rpc.js";

test("CreateStream, FetchMetadata and DeleteStream follow upstream's contract", async (t) => {
  const nats = await startNats(t);
  const { address, broker, dataDir } = await startBroker(t, nats.url);
  const client = rawClient(t, address);
  const create = (req: Partial<CreateStreamRequest>) =>
    call<CreateStreamRequest, object>(client, "createStream", req);

  await create({ name: "orders", subject: "orders.*", partitions: 3 });
  await create({ name: "one", subject: "one" }); // partitions 0 means 1
  await create({ name: "all", subject: "all", replicationFactor: -1 });

  const md = await call<unknown, FetchMetadataResponse>(client, "fetchMetadata", {});
  t.deepEqual(
    md.brokers.map((b) => [b.id, b.host, b.port]),
    [[broker.serverId, "127.0.0.1", broker.address.port]],
  );
  t.deepEqual(
    md.streamMetadata.map((s) => s.name),
    ["all", "one", "orders"],
  );
  const orders = md.streamMetadata.find((s) => s.name === "orders")!;
  t.is(orders.subject, "orders.*");
  t.is(orders.error, StreamMetadataError.OK);
  t.true(orders.creationTimestamp > 1_600_000_000_000_000_000n);
  t.deepEqual(Object.keys(orders.partitions).map(Number), [0, 1, 2]);
  for (const p of Object.values(orders.partitions)) {
    t.is(p.leader, broker.serverId);
    t.deepEqual(p.replicas, [broker.serverId]);
    t.deepEqual(p.isr, [broker.serverId]);
    t.is(p.highWatermark, -1);
    t.is(p.newestOffset, -1);
  }
  t.is(Object.keys(md.streamMetadata.find((s) => s.name === "one")!.partitions).length, 1);
  t.is(md.brokers[0]!.partitionCount, 5);
  t.is(md.brokers[0]!.leaderCount, 5);

  const some = await call<unknown, FetchMetadataResponse>(client, "fetchMetadata", {
    streams: ["orders", "missing"],
  });
  t.deepEqual(
    some.streamMetadata.map((s) => [s.name, s.error]),
    [
      ["orders", StreamMetadataError.OK],
      ["missing", StreamMetadataError.UNKNOWN_STREAM],
    ],
  );

  const pm = await call<unknown, FetchPartitionMetadataResponse>(client, "fetchPartitionMetadata", {
    stream: "orders",
    partition: 2,
  });
  t.is(pm.metadata?.id, 2);
  t.is(pm.metadata?.highWatermark, -1);
  t.is(pm.metadata?.newestOffset, -1);
  t.is(
    await codeOf(call(client, "fetchPartitionMetadata", { stream: "orders", partition: 3 })),
    status.NOT_FOUND,
  );
  t.is(
    await codeOf(call(client, "fetchPartitionMetadata", { stream: "nope", partition: 0 })),
    status.NOT_FOUND,
  );

  t.true(existsSync(join(dataDir, "streams", "orders", "2")));
  await call(client, "deleteStream", { name: "orders" });
  t.false(existsSync(join(dataDir, "streams", "orders")));
  t.is(await codeOf(call(client, "deleteStream", { name: "orders" })), status.NOT_FOUND);
  const after = await call<unknown, FetchMetadataResponse>(client, "fetchMetadata", {});
  t.deepEqual(
    after.streamMetadata.map((s) => s.name),
    ["all", "one"],
  );
});

test("CreateStream refuses bad requests with upstream's status codes", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url);
  const client = rawClient(t, address);
  const create = (req: Partial<CreateStreamRequest>) => codeOf(call(client, "createStream", req));

  await call(client, "createStream", { name: "taken", subject: "taken" });
  t.is(await create({ name: "taken", subject: "other" }), status.ALREADY_EXISTS);
  t.is(await create({ name: "", subject: "s" }), status.INVALID_ARGUMENT);
  t.is(await create({ name: "a.b", subject: "s" }), status.INVALID_ARGUMENT);
  t.is(await create({ name: "has space", subject: "s" }), status.INVALID_ARGUMENT);
  t.is(await create({ name: "x", subject: "" }), status.INVALID_ARGUMENT);
  t.is(await create({ name: "x", subject: "a..b" }), status.INVALID_ARGUMENT);
  t.is(await create({ name: "x", subject: "a.>.b" }), status.INVALID_ARGUMENT);
  t.is(await create({ name: "x", subject: "x", partitions: -1 }), status.INVALID_ARGUMENT);
  t.is(await create({ name: "x", subject: "x", replicationFactor: 2 }), status.INVALID_ARGUMENT);
  t.is(await create({ name: "__cursors", subject: "c" }), status.INVALID_ARGUMENT);
  t.is(await create({ name: "__activity", subject: "c" }), status.INVALID_ARGUMENT);
  // Only the two internal names are reserved: other leading underscores are ordinary.
  await t.notThrowsAsync(call(client, "createStream", { name: "_private", subject: "p" }));

  const err = await failure(
    call(client, "createStream", {
      name: "y",
      subject: "y",
      replicationFactor: 3,
    }),
  );
  t.regex(err.details, /replicationFactor 3, cluster size 1/);
});
