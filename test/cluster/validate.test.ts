import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import test from "ava";
import type { FetchMetadataResponse, PublishResponse } from "../../src/wire/api.js";
import { runLb } from "../helpers/cli.js";
import { clusterStatusOf, startCluster } from "../helpers/cluster.js";
import { FAST_REPLICATION } from "../helpers/replication.js";
import { call, rawClient } from "../helpers/rpc.js";
import { waitFor } from "../helpers/wait.js";

const ALL = 1;

test("a follower answers FetchMetadata with its HW; one that cannot open a partition still starts, serves the rest, and the cluster's describe shows it", async (t) => {
  const cluster = await startCluster(t, 2, FAST_REPLICATION);
  const first = rawClient(t, cluster.nodes[0]!.address);
  for (const name of ["rep", "other"]) {
    await call(first, "createStream", { name, subject: name, replicationFactor: 2 });
  }
  const md = await call<unknown, FetchMetadataResponse>(first, "fetchMetadata", {
    streams: ["rep"],
  });
  const leader = md.streamMetadata[0]!.partitions[0]!.leader;
  const follower = cluster.nodes.find((n) => n.id !== leader)!;
  for (let i = 0; i < 3; i++) {
    await call(first, "publish", { stream: "rep", value: Buffer.from(`m${i}`), ackPolicy: ALL });
  }
  const viaFollower = rawClient(t, follower.address);
  await waitFor(
    async () => {
      const seen = await call<unknown, FetchMetadataResponse>(viaFollower, "fetchMetadata", {
        streams: ["rep"],
      });
      const p = seen.streamMetadata[0]!.partitions[0]!;
      return p.highWatermark === 2 && p.newestOffset === 2;
    },
    { timeoutMs: 10_000, message: "the follower to report high watermark and newest offset 2" },
  );

  await follower.kill("SIGTERM");
  const blocked = join(follower.dataDir, "streams", "rep", "0");
  await rm(blocked, { recursive: true });
  await writeFile(blocked, "not a directory");
  await follower.start();

  // "other" may have been led by the restarted broker: publish once its leader has it open.
  const again = rawClient(t, follower.address);
  await waitFor(
    async () => {
      const seen = await call<unknown, FetchMetadataResponse>(again, "fetchMetadata", {
        streams: ["other"],
      }).catch(() => undefined);
      const p = seen?.streamMetadata[0]?.partitions[0];
      if (!p?.leader || p.isr.length < 2) return false;
      return call(rawClient(t, cluster.node(p.leader).address), "fetchPartitionMetadata", {
        stream: "other",
        partition: 0,
      }).then(
        () => true,
        () => false,
      );
    },
    { timeoutMs: 15_000, message: "the leader of other to serve it with both replicas in sync" },
  );
  // A leader change still settling after the restart can drop one message in flight (it was
  // never acknowledged): publishing again until acked is what a client does.
  let other: PublishResponse | undefined;
  await waitFor(
    async () => {
      other = await call<unknown, PublishResponse>(
        again,
        "publish",
        { stream: "other", value: Buffer.from("both replicas have it"), ackPolicy: ALL },
        3_000,
      ).catch(() => undefined);
      return other !== undefined;
    },
    { timeoutMs: 20_000, message: "a publish to other to be acknowledged by both replicas" },
  );
  t.is(other?.ack?.stream, "other");
  const leaderNode = cluster.node(leader);
  await waitFor(
    async () => {
      const view = await clusterStatusOf(t, leaderNode.address);
      const reported = view.brokers.find((b) => b.id === follower.id)?.localFailures ?? [];
      return reported.some((f) => f.stream === "rep" && f.partition === 0);
    },
    { timeoutMs: 10_000, message: "the leader to learn of the follower's failure" },
  );
  const described = await runLb(["describe"], { env: { LB_ADDRESS: leaderNode.address } });
  t.is(described.code, 0, described.stderr);
  t.regex(described.stdout, new RegExp(`^${follower.id}[ \\t]+rep[ \\t]+0[ \\t]+\\S`, "m"));
});

test("a leader that cannot open its partition hands it to another in-sync replica", async (t) => {
  const cluster = await startCluster(t, 3, {
    ...FAST_REPLICATION,
    // Followers would report a silent leader and have it replaced: only its resignation may.
    "clustering.replica.max.leader.timeout": "60s",
  });
  const first = rawClient(t, cluster.nodes[0]!.address);
  await call(first, "createStream", { name: "rep", subject: "rep", replicationFactor: 3 });
  for (let i = 0; i < 3; i++) {
    await call(first, "publish", { stream: "rep", value: Buffer.from(`m${i}`), ackPolicy: ALL });
  }
  const leaderOf = async (address: string) =>
    (
      await call<unknown, FetchMetadataResponse>(rawClient(t, address), "fetchMetadata", {
        streams: ["rep"],
      })
    ).streamMetadata[0]!.partitions[0]!.leader;
  const leader = cluster.node(await leaderOf(cluster.nodes[0]!.address));
  // Back before the controller's liveness timeout, it is still the partition's leader.
  await leader.kill("SIGKILL");
  const blocked = join(leader.dataDir, "streams", "rep", "0");
  await rm(blocked, { recursive: true });
  await writeFile(blocked, "not a directory");
  await leader.start();

  const other = cluster.nodes.find((n) => n.id !== leader.id)!;
  await waitFor(async () => (await leaderOf(other.address).catch(() => leader.id)) !== leader.id, {
    timeoutMs: 20_000,
    message: "leadership to move off the broker that cannot open the partition",
  });
  // The new leader answers for the partition once it has opened it and records its subject.
  const successor = cluster.node(await leaderOf(other.address));
  const viaSuccessor = rawClient(t, successor.address);
  await waitFor(
    () =>
      call(viaSuccessor, "fetchPartitionMetadata", { stream: "rep", partition: 0 }).then(
        () => true,
        () => false,
      ),
    { timeoutMs: 10_000, message: "the new leader to open the partition" },
  );
  const acked = await call<unknown, PublishResponse>(viaSuccessor, "publish", {
    stream: "rep",
    value: Buffer.from("after the hand-over"),
    ackPolicy: ALL,
  });
  t.is(acked.ack?.offset, 3, "the new leader holds the three acked records");
});
