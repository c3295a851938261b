import test, { type ExecutionContext } from "ava";
import { LiftbridgeClient } from "../../src/client/index.js";
import { decodeActivityStreamEvent } from "../../src/wire/api.js";
import { clusterStatusOf, startCluster, type TestCluster } from "../helpers/cluster.js";
import { FAST_REPLICATION, partitionView } from "../helpers/replication.js";
import { call, rawClient } from "../helpers/rpc.js";
import { waitFor } from "../helpers/wait.js";

async function connectAll(t: ExecutionContext, cluster: TestCluster) {
  const live = cluster.nodes.filter((n) => n.process).map((n) => n.address);
  const client = await LiftbridgeClient.connect(live);
  t.teardown(() => client.close());
  return client;
}

test("cursors survive losing the leader of their __cursors partition", async (t) => {
  const cluster = await startCluster(t, 3, {
    ...FAST_REPLICATION,
    "cursors.stream.partitions": 1,
    "cursors.stream.replication.factor": 3,
  });
  await waitFor(
    async () =>
      (await partitionView(t, cluster, "__cursors").catch(() => undefined))?.isr.length === 3,
    { timeoutMs: 20_000, message: "__cursors on all three brokers" },
  );
  const client = await connectAll(t, cluster);
  await client.createStream("orders", "orders");
  await client.setCursor("orders", 0, "billing", 42);
  t.is(await client.fetchCursor("orders", 0, "billing"), 42);

  const before = await partitionView(t, cluster, "__cursors");
  await cluster.node(before.leader).kill("SIGKILL");
  await waitFor(
    async () => {
      const now = await partitionView(t, cluster, "__cursors");
      return now.leader !== before.leader && now.leader !== "";
    },
    { timeoutMs: 20_000, message: "a new __cursors leader" },
  );
  const survivor = await connectAll(t, cluster);
  let fetched = -1;
  await waitFor(
    async () => {
      fetched = await survivor.fetchCursor("orders", 0, "billing");
      return true;
    },
    { timeoutMs: 20_000, message: "the cursor from the new leader" },
  );
  t.is(fetched, 42);
  await survivor.setCursor("orders", 0, "billing", 43);
  t.is(await survivor.fetchCursor("orders", 0, "billing"), 43);

  // The old leader returns as a follower; when it leads again it must not serve its old cache.
  await cluster.node(before.leader).start();
  await waitFor(async () => (await partitionView(t, cluster, "__cursors")).isr.length === 3, {
    timeoutMs: 30_000,
    message: "the old leader back in the ISR",
  });
  t.is(await survivor.fetchCursor("orders", 0, "billing"), 43);
});

test("each metadata change is published to __activity exactly once across a controller change", async (t) => {
  const cluster = await startCluster(t, 3, {
    ...FAST_REPLICATION,
    "activity.stream.enabled": true,
  });
  const addresses = cluster.nodes.map((n) => n.address);
  const createOn = (address: string, name: string) =>
    call(rawClient(t, address), "createStream", { name, subject: name }, 15_000);
  await createOn(addresses[1]!, "first");
  await waitFor(
    async () =>
      (await partitionView(t, cluster, "__activity").catch(() => undefined))?.isr.length === 3,
    { timeoutMs: 20_000, message: "__activity on all three brokers" },
  );
  const controller = (await clusterStatusOf(t, addresses[0]!)).controller;
  await cluster.node(controller).kill("SIGKILL");
  const live = cluster.nodes.filter((n) => n.process);
  await waitFor(
    async () => {
      const view = await clusterStatusOf(t, live[0]!.address);
      return view.controller !== "" && view.controller !== controller;
    },
    { timeoutMs: 20_000, message: "a new controller" },
  );
  await createOn(live[0]!.address, "second");
  await createOn(live[1]!.address, "third");

  const client = await connectAll(t, cluster);
  const created: string[] = [];
  const ids: number[] = [];
  await waitFor(
    async () => {
      created.length = 0;
      ids.length = 0;
      const subscription = await client.subscribe("__activity", {
        start: { kind: "earliest" },
        stop: { kind: "latest" },
      });
      for await (const message of subscription) {
        const event = decodeActivityStreamEvent(message.value);
        ids.push(event.id);
        if (event.createStreamOp) created.push(event.createStreamOp.stream);
      }
      return created.includes("third");
    },
    { timeoutMs: 30_000, message: "the events after the controller change" },
  );
  t.deepEqual(created, ["first", "second", "third"]);
  t.deepEqual(
    ids,
    [...ids].sort((a, b) => a - b),
  );
  t.is(new Set(ids).size, ids.length, "no event published twice");
});
