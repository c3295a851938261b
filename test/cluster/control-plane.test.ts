import { existsSync } from "node:fs";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import test, { type ExecutionContext } from "ava";
import { LiftbridgeClient } from "../../src/client/index.js";
import type { FetchMetadataResponse } from "../../src/wire/api.js";
import { clusterStatusOf, startCluster } from "../helpers/cluster.js";
import { call, codeOf, rawClient } from "../helpers/rpc.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";
import { waitFor } from "../helpers/wait.js";

function metadataOf(t: ExecutionContext, address: string): Promise<FetchMetadataResponse> {
  return call<unknown, FetchMetadataResponse>(rawClient(t, address), "fetchMetadata", {});
}

/** FetchMetadata on `address`, once it lists exactly `names` (other brokers apply changes a moment later). */
async function metadataWithStreams(
  t: ExecutionContext,
  address: string,
  names: string[],
): Promise<FetchMetadataResponse> {
  let md: FetchMetadataResponse | undefined;
  await waitFor(
    async () => {
      md = await metadataOf(t, address);
      return (
        md.streamMetadata
          .map((s) => s.name)
          .sort()
          .join() === [...names].sort().join()
      );
    },
    { message: `${address} to list streams ${names.join(",")}` },
  );
  return md!;
}

function createStream(t: ExecutionContext, address: string, name: string, partitions = 1) {
  return call(rawClient(t, address), "createStream", {
    name,
    subject: name,
    partitions,
    replicationFactor: 1,
  });
}

/** The controller every listed broker agrees on (other than `not`), once they do. */
async function agreedController(
  t: ExecutionContext,
  addresses: string[],
  not?: string,
): Promise<string> {
  let controller = "";
  await waitFor(
    async () => {
      const views = await Promise.all(addresses.map((a) => clusterStatusOf(t, a)));
      controller = views[0]!.controller;
      return (
        controller !== "" && controller !== not && views.every((v) => v.controller === controller)
      );
    },
    { timeoutMs: 15_000, message: "the brokers to agree on a controller" },
  );
  return controller;
}

test("a stream created on a follower is on every broker; killing the controller elects another, and it rejoins", async (t) => {
  // Snapshots every few entries, so the returning broker is brought up to date by one.
  const cluster = await startCluster(t, 3, { "clustering.raft.snapshot.threshold": 4 });
  const controller = await agreedController(
    t,
    cluster.nodes.map((n) => n.address),
  );
  const followers = cluster.nodes.filter((n) => n.id !== controller);
  await createStream(t, followers[0]!.address, "orders", 3);
  for (const node of cluster.nodes) {
    const md = await metadataWithStreams(t, node.address, ["orders"]);
    t.deepEqual(md.brokers.map((b) => b.id).sort(), ["b1", "b2", "b3"]);
    // Placement spreads the three leaders over the three brokers.
    const leaders = Object.values(md.streamMetadata[0]!.partitions).map((p) => p.leader);
    t.is(new Set(leaders).size, 3);
  }
  t.is(await codeOf(createStream(t, followers[1]!.address, "orders")), status.ALREADY_EXISTS);

  const before = await clusterStatusOf(t, followers[0]!.address);
  const dead = cluster.node(controller);
  await dead.kill("SIGKILL");
  const survivors = followers.map((n) => n.address);
  const successor = await agreedController(t, survivors, controller);
  t.not(successor, controller);
  const after = await clusterStatusOf(t, survivors[0]!);
  t.true(after.term > before.term);
  // The dead broker is marked gone and leaves FetchMetadata; the metadata is intact.
  await waitFor(async () => (await metadataOf(t, survivors[0]!)).brokers.length === 2, {
    timeoutMs: 15_000,
    message: "the dead broker to leave the metadata",
  });
  const created = ["payments", "p1", "p2", "p3", "p4", "p5"];
  for (const name of created) await createStream(t, survivors[1]!, name);
  const expected = ["orders", ...created].sort();
  // The broker that took the requests has applied them; the other applies them moments later.
  const md = await metadataOf(t, survivors[1]!);
  t.deepEqual(md.streamMetadata.map((s) => s.name).sort(), expected);
  await metadataWithStreams(t, survivors[0]!, expected);

  await dead.start();
  const rejoined = await clusterStatusOf(t, dead.address);
  await waitFor(
    async () => {
      const view = await clusterStatusOf(t, dead.address);
      return view.controller === successor && view.appliedIndex >= after.appliedIndex;
    },
    { timeoutMs: 15_000, message: "the old controller to follow the new one" },
  );
  t.not(rejoined.role, "leader");
  await waitFor(async () => (await metadataOf(t, survivors[0]!)).brokers.length === 3, {
    timeoutMs: 15_000,
    message: "the restarted broker to be listed again",
  });

  // A controller stopped gracefully hands over before it exits: no election timeout to wait.
  const current = cluster.node(successor);
  await current.kill("SIGTERM");
  const others = cluster.nodes.filter((n) => n !== current);
  const views = await Promise.all(others.map((n) => clusterStatusOf(t, n.address)));
  t.true(
    views.every((v) => v.controller !== "" && v.controller !== successor),
    `controllers seen right after the exit: ${views.map((v) => v.controller).join(",")}`,
  );
  await current.start();
  const rejoinedMetadata = await metadataOf(t, dead.address);
  t.deepEqual(rejoinedMetadata.streamMetadata.map((s) => s.name).sort(), expected);
});

test("with clustering.raft.max.quorum.size 3, brokers four and five join as non-voters", async (t) => {
  const cluster = await startCluster(t, 5, { "clustering.raft.max.quorum.size": 3 });
  await waitFor(
    async () => (await clusterStatusOf(t, cluster.nodes[4]!.address)).brokers.length === 5,
    { timeoutMs: 15_000, message: "five brokers registered" },
  );
  const view = await clusterStatusOf(t, cluster.nodes[4]!.address);
  const membership = view.brokers.map((b) => b.membership);
  t.is(membership.filter((m) => m === "voter").length, 3);
  t.is(membership.filter((m) => m === "learner").length, 2);
  // A learner still applies everything and forwards requests.
  const learner = cluster.node(view.brokers.find((b) => b.membership === "learner")!.id);
  await createStream(t, learner.address, "events");
  t.deepEqual(
    (await metadataOf(t, learner.address)).streamMetadata.map((s) => s.name),
    ["events"],
  );
  await metadataWithStreams(t, cluster.nodes[0]!.address, ["events"]);
});

test("a broker cut off from NATS cannot elect itself, answers Unavailable, and the rest keep serving", async (t) => {
  let proxy: TcpProxy | undefined;
  const cluster = await startCluster(
    t,
    3,
    {},
    {
      natsUrlFor: async (id, natsUrl) => {
        if (id !== "b3") return natsUrl;
        const { hostname, port } = new URL(natsUrl);
        proxy = await startTcpProxy(t, { host: hostname, port: Number(port) });
        return `nats://127.0.0.1:${proxy.port}`;
      },
    },
  );
  const all = cluster.nodes.map((n) => n.address);
  await agreedController(t, all);
  // Make sure b3 is not the controller, so the cut isolates a follower.
  const isolated = cluster.node("b3");
  if ((await clusterStatusOf(t, isolated.address)).controller === "b3") {
    t.log("b3 was the controller; the cut also tests a controller losing its quorum");
  }
  const before = await clusterStatusOf(t, cluster.nodes[0]!.address);
  await proxy!.cut();
  const rest = [cluster.nodes[0]!.address, cluster.nodes[1]!.address];
  const controller = await agreedController(t, rest, "b3");
  const started = Date.now();
  t.is(await codeOf(createStream(t, isolated.address, "lost")), status.UNAVAILABLE);
  t.true(Date.now() - started < 10_000);
  await createStream(t, rest[0]!, "kept");

  await proxy!.heal();
  await waitFor(
    async () => {
      const md = await metadataOf(t, isolated.address);
      return md.streamMetadata.some((s) => s.name === "kept");
    },
    { timeoutMs: 20_000, message: "the isolated broker to catch up after the heal" },
  );
  const after = await clusterStatusOf(t, rest[0]!);
  t.is(after.controller, controller);
  // Pre-vote: the isolated broker's failed elections did not force a new term on the others.
  const healedTerm = (await clusterStatusOf(t, isolated.address)).term;
  t.is(healedTerm, after.term);
  t.true(after.term <= before.term + 1);
});

test("brokers started with the same --raft-bootstrap-peers form one cluster", async (t) => {
  const cluster = await startCluster(t, 3, {}, { bootstrap: "peers" });
  const controller = await agreedController(
    t,
    cluster.nodes.map((n) => n.address),
  );
  t.true(["b1", "b2", "b3"].includes(controller));
  const view = await clusterStatusOf(t, cluster.nodes[2]!.address);
  t.deepEqual(
    view.brokers.map((b) => [b.id, b.membership]),
    [
      ["b1", "voter"],
      ["b2", "voter"],
      ["b3", "voter"],
    ],
  );
  await createStream(t, cluster.nodes[2]!.address, "peered");
  t.deepEqual(
    (await metadataOf(t, cluster.nodes[2]!.address)).streamMetadata.map((s) => s.name),
    ["peered"],
  );
  await metadataWithStreams(t, cluster.nodes[0]!.address, ["peered"]);
});

test("pause, read-only and delete sent to followers apply on every broker, replicas included", async (t) => {
  const cluster = await startCluster(t, 3);
  const [a, b, c] = cluster.nodes.map((n) => n.address) as [string, string, string];
  await call(rawClient(t, a), "createStream", {
    name: "ledger",
    subject: "ledger",
    partitions: 2,
    replicationFactor: 3,
  });
  const partitionsOf = async (address: string) =>
    Object.values(
      (await metadataWithStreams(t, address, ["ledger"])).streamMetadata[0]!.partitions,
    );
  await call(rawClient(t, b), "pauseStream", { name: "ledger", partitions: [1] });
  for (const address of [a, b, c]) {
    await waitFor(
      async () => (await partitionsOf(address)).find((p) => p.id === 1)?.paused === true,
      { message: `partition 1 paused as seen by ${address}` },
    );
    t.false((await partitionsOf(address)).find((p) => p.id === 0)!.paused);
  }
  await call(rawClient(t, c), "setStreamReadonly", { name: "ledger", readonly: true });
  for (const address of [a, b, c]) {
    await waitFor(async () => (await partitionsOf(address)).every((p) => p.readonly), {
      message: `ledger read-only as seen by ${address}`,
    });
  }
  const dirs = cluster.nodes.map((n) => join(n.dataDir, "streams", "ledger"));
  t.true(
    dirs.every((dir) => existsSync(dir)),
    "every broker holds replicas",
  );
  await call(rawClient(t, b), "deleteStream", { name: "ledger" });
  for (const address of [a, b, c]) await metadataWithStreams(t, address, []);
  await waitFor(() => dirs.every((dir) => !existsSync(dir)), {
    message: "every broker to delete its replicas' data",
  });
  t.pass();
});

test("a paused replicated partition resumes on a publish through any broker, followers included", async (t) => {
  const cluster = await startCluster(t, 3);
  const [a, b, c] = cluster.nodes.map((n) => n.address) as [string, string, string];
  await call(rawClient(t, a), "createStream", {
    name: "dormant",
    subject: "dormant",
    replicationFactor: 3,
  });
  await call(rawClient(t, b), "pauseStream", { name: "dormant" });
  await waitFor(
    async () =>
      Object.values(
        (await metadataWithStreams(t, a, ["dormant"])).streamMetadata[0]!.partitions,
      ).every((p) => p.paused),
    { message: "the stream paused" },
  );
  const client = await LiftbridgeClient.connect([c]);
  t.teardown(() => client.close());
  const ack = await client.publish("dormant", Buffer.from("wake up"), { ackPolicy: "all" });
  t.is(ack?.offset, 0, "acked by all three replicas after the resume");
  const [progress] = await client.describePartitions("dormant", [0]);
  t.is(progress!.replicas.length, 3);
});
