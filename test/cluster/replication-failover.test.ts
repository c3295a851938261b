import { join } from "node:path";
import test from "ava";
import { LiftbridgeClient } from "../../src/client/index.js";
import { startCluster } from "../helpers/cluster.js";
import {
  FAST_REPLICATION,
  logContents,
  partitionView,
  startPublisher,
} from "../helpers/replication.js";
import { call, rawClient } from "../helpers/rpc.js";
import { waitFor } from "../helpers/wait.js";

const STREAM = "history";

test("RF 3, ack ALL, minISR 2: killing the leader, then a follower, loses and moves no acknowledged message", async (t) => {
  t.timeout(180_000);
  const cluster = await startCluster(t, 3, FAST_REPLICATION);
  await call(rawClient(t, cluster.nodes[0]!.address), "createStream", {
    name: STREAM,
    subject: STREAM,
    replicationFactor: 3,
    minIsr: 2,
  });
  await waitFor(async () => (await partitionView(t, cluster, STREAM)).isr.length === 3, {
    message: "a full ISR",
  });
  const publisher = await startPublisher(t, cluster.natsUrl, STREAM);
  await publisher.waitForMore(200, "acks before any failure");

  const firstLeader = (await partitionView(t, cluster, STREAM)).leader;
  await cluster.node(firstLeader).kill("SIGKILL");
  await waitFor(
    async () => {
      const view = await partitionView(t, cluster, STREAM);
      return view.leader !== firstLeader && view.leader !== "";
    },
    { timeoutMs: 20_000, message: "a new leader" },
  );
  await publisher.waitForMore(200, "acks under the new leader");

  await cluster.node(firstLeader).start();
  await waitFor(async () => (await partitionView(t, cluster, STREAM)).isr.includes(firstLeader), {
    timeoutMs: 30_000,
    message: "the old leader back in the ISR",
  });
  const view = await partitionView(t, cluster, STREAM);
  const follower = view.replicas.find((r) => r !== view.leader)!;
  await cluster.node(follower).kill("SIGKILL");
  await publisher.waitForMore(200, "acks with one follower down");
  await publisher.stop();

  await cluster.node(follower).start();
  await waitFor(async () => (await partitionView(t, cluster, STREAM)).isr.length === 3, {
    timeoutMs: 30_000,
    message: "all three replicas in sync again",
  });

  // Every acknowledged message is there, exactly once, at the offset its ack named.
  const leader = cluster.node((await partitionView(t, cluster, STREAM)).leader);
  const client = await LiftbridgeClient.connect([leader.address]);
  t.teardown(() => client.close());
  const subscription = await client.subscribe(STREAM, {
    start: { kind: "earliest" },
    stop: { kind: "latest" },
  });
  const stored = new Map<number, string>();
  const seen = new Map<string, number>();
  for await (const message of subscription) {
    const value = Buffer.from(message.value).toString();
    stored.set(message.offset, value);
    seen.set(value, (seen.get(value) ?? 0) + 1);
  }
  t.true(publisher.acked.size >= 600);
  t.log(
    `leader ${firstLeader} killed, then follower ${follower}; ${publisher.acked.size} acked, ${stored.size} stored, now led by ${leader.id}`,
  );
  for (const [id, ack] of publisher.acked) {
    if (stored.get(ack.offset) !== id) {
      t.fail(`acked ${id} at offset ${ack.offset}, found ${stored.get(ack.offset)}`);
    }
    if (seen.get(id) !== 1) t.fail(`acked ${id} is stored ${seen.get(id) ?? 0} times`);
  }

  // Once healed, the three replicas hold the same records, byte for byte.
  await waitFor(
    async () => {
      const progress = await client.describePartitions(STREAM, [0]);
      const replicas = progress[0]!.replicas;
      return replicas.length === 3 && replicas.every((r) => r.lag === 0);
    },
    { message: "every replica caught up" },
  );
  client.close();
  for (const node of cluster.nodes) await node.kill("SIGTERM");
  const logs = await Promise.all(
    cluster.nodes.map((n) => logContents(join(n.dataDir, "streams", STREAM, "0"))),
  );
  t.deepEqual(logs[1], logs[0]);
  t.deepEqual(logs[2], logs[0]);
  t.pass();
});
