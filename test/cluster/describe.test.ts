import { credentials, status } from "@grpc/grpc-js";
import test from "ava";
import { LiftbridgeClient } from "../../src/client/index.js";
import { AdminClient } from "../../src/wire/admin.js";
import { runLb } from "../helpers/cli.js";
import { clusterStatusOf, startCluster } from "../helpers/cluster.js";
import { codeOf } from "../helpers/rpc.js";
import { waitFor } from "../helpers/wait.js";

test("describe in a three-broker cluster: each partition's progress comes from its own leader", async (t) => {
  const cluster = await startCluster(t, 3);
  const addresses = cluster.nodes.map((n) => n.address);
  await waitFor(
    async () => {
      const views = await Promise.all(addresses.map((a) => clusterStatusOf(t, a)));
      const controller = views[0]!.controller;
      return controller !== "" && views.every((v) => v.controller === controller);
    },
    { timeoutMs: 15_000, message: "the brokers to agree on a controller" },
  );
  const client = await LiftbridgeClient.connect([addresses[0]!]);
  t.teardown(() => client.close());
  await client.createStream("orders", "orders", { partitions: 3, replicationFactor: 1 });
  const metadata = await client.fetchMetadata(["orders"]);
  const leaders = metadata.stream("orders")!.partitions.map((p) => p.leader);
  t.is(new Set(leaders).size, 3, "placement spreads the leaders over the brokers");

  const progress = await client.describePartitions("orders");
  t.deepEqual(
    progress.map((p) => [p.partition, p.leader, p.replicas.map((r) => r.replica)]),
    leaders.map((leader, id) => [id, leader, [leader]]),
  );

  // Any other broker refuses, so that a client with stale metadata goes to the leader.
  const other = cluster.nodes.find((n) => n.id !== leaders[0])!;
  const admin = new AdminClient(other.address, credentials.createInsecure());
  t.teardown(() => admin.close());
  const refused = new Promise((resolve, reject) =>
    admin.describePartitions(
      { stream: "orders", partitions: [0] },
      { deadline: Date.now() + 5000 },
      (err, res) => (err ? reject(err) : resolve(res)),
    ),
  );
  t.is(await codeOf(refused), status.FAILED_PRECONDITION);

  await waitFor(
    async () => (await clusterStatusOf(t, addresses[2]!)).brokers.every((b) => b.alive),
    { timeoutMs: 15_000, message: "every broker to be seen alive" },
  );
  const described = await runLb(["describe", "--json"], { env: { LB_ADDRESS: addresses[2]! } });
  t.is(described.code, 0, described.stderr);
  const json = JSON.parse(described.stdout);
  t.is(json.cluster.serverId, cluster.nodes[2]!.id);
  t.deepEqual(json.brokers.map((b: { id: string }) => b.id).sort(), ["b1", "b2", "b3"]);
  t.deepEqual(
    json.brokers
      .filter((b: { controller: boolean }) => b.controller)
      .map((b: { id: string }) => b.id),
    [json.cluster.controller],
  );
  t.true(
    json.brokers.every(
      (b: { alive: boolean; membership: string }) => b.alive && b.membership === "voter",
    ),
  );

  const stream = await runLb(["describe", "orders"], { env: { LB_ADDRESS: addresses[1]! } });
  t.is(stream.code, 0, stream.stderr);
  for (const [id, leader] of leaders.entries()) {
    t.regex(stream.stdout, new RegExp(`^${id}\\s+${leader}\\s+0\\s+0\\s+yes\\s+-$`, "m"));
  }
});
