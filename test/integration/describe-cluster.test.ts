import { credentials, status } from "@grpc/grpc-js";
import test from "ava";
import { LiftbridgeClient } from "../../src/client/index.js";
import { AdminClient, type DescribePartitionsResponse } from "../../src/wire/admin.js";
import { startBroker } from "../helpers/broker.js";
import { startNats } from "../helpers/nats.js";
import { codeOf } from "../helpers/rpc.js";

test("DescribeCluster and DescribePartitions through the client, from one broker", async (t) => {
  const nats = await startNats(t);
  const { address, broker } = await startBroker(t, nats.url);
  const client = await LiftbridgeClient.connect([address]);
  t.teardown(() => client.close());
  const id = broker.serverId;

  const cluster = await client.describeCluster();
  t.like(cluster, { serverId: id, controller: id, role: "leader" });
  t.true(cluster.term >= 1);
  t.true(cluster.appliedIndex <= cluster.commitIndex);
  t.deepEqual(cluster.brokers, [
    {
      id,
      host: "127.0.0.1",
      port: broker.address.port,
      alive: true,
      membership: "voter",
      localFailures: [],
    },
  ]);

  await client.createStream("orders", "orders", { partitions: 3 });
  for (const value of ["a", "b", "c"]) {
    await client.publish("orders", new TextEncoder().encode(value), { ackPolicy: "leader" });
  }
  await client.publish("orders", new TextEncoder().encode("d"), {
    partition: 2,
    ackPolicy: "leader",
  });
  await client.pauseStream("orders", { partitions: [1] });

  const progress = await client.describePartitions("orders");
  t.deepEqual(
    progress.map((p) => [p.partition, p.leader, p.highWatermark, p.logEndOffset]),
    [
      [0, id, 2, 3],
      [1, id, -1, -1],
      [2, id, 0, 1],
    ],
  );
  t.deepEqual(progress[0]!.replicas, [
    { replica: id, logEndOffset: 3, lag: 0, inSync: true, lastFetchMsAgo: 0 },
  ]);
  t.deepEqual(progress[1]!.replicas, [], "a paused partition is not open: nothing to report");
  t.true(progress.every((p) => p.leaderEpoch >= 0));

  const picked = await client.describePartitions("orders", [2, 0]);
  t.deepEqual(
    picked.map((p) => p.partition),
    [2, 0],
  );

  const missingStream = await client.describePartitions("nope").catch((e: unknown) => e);
  t.like(missingStream, { kind: "not_found" });
  const missingPartition = await client.describePartitions("orders", [7]).catch((e: unknown) => e);
  t.like(missingPartition, { kind: "not_found" });
});

test("DescribePartitions on the wire: NotFound, InvalidArgument, and all partitions when none listed", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url);
  const client = await LiftbridgeClient.connect([address]);
  t.teardown(() => client.close());
  await client.createStream("s", "s", { partitions: 2 });

  const admin = new AdminClient(address, credentials.createInsecure());
  t.teardown(() => admin.close());
  const describe = (stream: string, partitions: number[]) =>
    new Promise<DescribePartitionsResponse>((resolve, reject) =>
      admin.describePartitions(
        { stream, partitions },
        { deadline: Date.now() + 5000 },
        (err, res) => (err ? reject(err) : resolve(res!)),
      ),
    );
  t.deepEqual(
    (await describe("s", [])).partitions.map((p) => p.partition),
    [0, 1],
  );
  t.is(await codeOf(describe("", [])), status.INVALID_ARGUMENT);
  t.is(await codeOf(describe("nope", [])), status.NOT_FOUND);
  t.is(await codeOf(describe("s", [0, 2])), status.NOT_FOUND);
});
