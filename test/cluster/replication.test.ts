import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import test, { type ExecutionContext } from "ava";
import { connect } from "nats";
import { LiftbridgeClient } from "../../src/client/index.js";
import {
  AckPolicy,
  encodeMessage,
  type Message,
  type MessageInit,
  StartPosition,
  StopPosition,
  type SubscribeRequest,
} from "../../src/wire/api.js";
import { encodeEnvelope, MsgType } from "../../src/wire/envelope.js";
import { startCluster, type TestCluster } from "../helpers/cluster.js";
import {
  FAST_REPLICATION,
  logContents,
  partitionView,
  startPublisher,
} from "../helpers/replication.js";
import { call, rawClient } from "../helpers/rpc.js";
import { collect } from "../helpers/subscribe.js";
import { waitFor } from "../helpers/wait.js";

async function replicatedStream(
  t: ExecutionContext,
  cluster: TestCluster,
  name: string,
  minIsr?: number,
) {
  await call(rawClient(t, cluster.nodes[0]!.address), "createStream", {
    name,
    subject: name,
    replicationFactor: 3,
    ...(minIsr ? { minIsr } : {}),
  });
  await waitFor(async () => (await partitionView(t, cluster, name)).isr.length === 3, {
    message: "a full ISR",
  });
  return partitionView(t, cluster, name);
}

test("a follower stopped with SIGSTOP leaves the ISR, ALL acks go on (refused below minIsr), and it rejoins after SIGCONT", async (t) => {
  const cluster = await startCluster(t, 3, FAST_REPLICATION);
  const view = await replicatedStream(t, cluster, "paced");
  const strict = await replicatedStream(t, cluster, "strict", 3);
  const frozen = cluster.node(view.replicas.find((r) => r !== view.leader && r !== strict.leader)!);
  const client = await LiftbridgeClient.connect(cluster.nodes.map((n) => n.address));
  t.teardown(() => client.close());
  const publisher = await startPublisher(t, cluster.natsUrl, "paced");
  await publisher.waitForMore(100, "acks with all replicas");
  frozen.process!.child.kill("SIGSTOP");
  t.teardown(() => frozen.process?.child.kill("SIGCONT"));
  await waitFor(async () => !(await partitionView(t, cluster, "paced")).isr.includes(frozen.id), {
    timeoutMs: 20_000,
    message: "the frozen follower to leave the ISR",
  });
  await publisher.waitForMore(100, "ALL acks without the frozen follower");
  // A stream that needs all three replicas refuses ALL publishes now, and says why.
  // Asked of the leader itself: a publish it takes before it applies the change is held, not refused.
  const shrunk = async () =>
    !(await partitionView(t, cluster, "strict", strict.leader)).isr.includes(frozen.id);
  await waitFor(shrunk, {
    timeoutMs: 20_000,
    message: "the frozen follower to leave the strict stream's ISR",
  });
  const refused = await t.throwsAsync(
    client.publish("strict", Buffer.from("x"), { ackPolicy: "all" }),
  );
  // The broker that answered names the cause from its metadata, or, if the ISR change has not
  // reached it yet, says what an ALL refusal can mean.
  t.regex(refused?.message ?? "", /not enough in-sync replicas.*minIsr is 3|below minIsr/);
  frozen.process!.child.kill("SIGCONT");
  await waitFor(async () => (await partitionView(t, cluster, "paced")).isr.includes(frozen.id), {
    timeoutMs: 20_000,
    message: "the follower back in the ISR",
  });
  // As the leader sees it: it is the one that refuses ALL below minIsr.
  await waitFor(
    async () => (await partitionView(t, cluster, "strict", strict.leader)).isr.length === 3,
    {
      timeoutMs: 20_000,
      message: "the strict stream's ISR whole again",
    },
  );
  const ack = await client.publish("strict", Buffer.from("y"), { ackPolicy: "all" });
  t.is(ack?.offset, 0, "the refused message was not stored");
  await publisher.waitForMore(100, "acks with all replicas again");
  await publisher.stop();
  t.pass();
});

test("an old leader's uncommitted tail is truncated away when it returns as a follower", async (t) => {
  const cluster = await startCluster(t, 3, FAST_REPLICATION);
  const view = await replicatedStream(t, cluster, "tail");
  const leader = cluster.node(view.leader);
  const followers = view.replicas.filter((r) => r !== view.leader).map((id) => cluster.node(id));
  const nc = await connect({ servers: cluster.natsUrl });
  t.teardown(() => nc.close());
  const send = (value: string, ackPolicy: AckPolicy, ackInbox = "") =>
    nc.publish(
      "tail",
      encodeEnvelope(
        MsgType.Publish,
        encodeMessage({ value: Buffer.from(value), ackPolicy, ackInbox, correlationId: value }),
      ),
    );
  const committed = nc.subscribe("tail-acks", { max: 3 });
  for (const value of ["c0", "c1", "c2"]) send(value, AckPolicy.ALL, "tail-acks");
  for await (const _ of committed) {
    // three ALL acks: these are committed on all three replicas
  }
  // Freeze the followers, give the leader records only it has, then crash it. Once neither has
  // fetched for longer than the leader holds a fetch, no fetch of theirs is left to answer.
  const observer = await LiftbridgeClient.connect([leader.address]);
  t.teardown(() => observer.close());
  for (const f of followers) f.process!.child.kill("SIGSTOP");
  await waitFor(
    async () => {
      const [progress] = await observer.describePartitions("tail", [0]);
      const silent = progress!.replicas.filter((r) => r.replica !== leader.id);
      return silent.length === 2 && silent.every((r) => r.lastFetchMsAgo > 600);
    },
    { message: "the frozen followers' last fetches to expire" },
  );
  observer.close();
  const tailAcks = nc.subscribe("leader-acks", { max: 5 });
  for (let i = 0; i < 5; i++) send(`u${i}`, AckPolicy.LEADER, "leader-acks");
  for await (const _ of tailAcks) {
    // acked by the leader alone: on its disk, not committed
  }
  await leader.kill("SIGKILL");
  for (const f of followers) f.process!.child.kill("SIGCONT");
  await waitFor(
    async () => {
      const now = await partitionView(t, cluster, "tail");
      return now.leader !== "" && now.leader !== leader.id;
    },
    { timeoutMs: 30_000, message: "a follower to take over" },
  );
  // Until the new leader records the subject, a message may go unheard: resend until acked.
  const afterAck = nc.subscribe("after-acks", { max: 1 });
  const resend = setInterval(() => send("after", AckPolicy.LEADER, "after-acks"), 500);
  send("after", AckPolicy.LEADER, "after-acks");
  for await (const _ of afterAck) clearInterval(resend);
  await leader.start();
  await waitFor(async () => (await partitionView(t, cluster, "tail")).isr.length === 3, {
    timeoutMs: 30_000,
    message: "the old leader back in the ISR",
  });
  const client = await LiftbridgeClient.connect(cluster.nodes.map((n) => n.address));
  t.teardown(() => client.close());
  await waitFor(
    async () => {
      const [progress] = await client.describePartitions("tail", [0]);
      return progress!.replicas.length === 3 && progress!.replicas.every((r) => r.lag === 0);
    },
    { message: "every replica caught up" },
  );
  client.close();
  for (const node of cluster.nodes) await node.kill("SIGTERM");
  const logs = await Promise.all(
    cluster.nodes.map((n) => logContents(join(n.dataDir, "streams", "tail", "0"))),
  );
  const values = logs[0]!.map((r) => r.body);
  t.deepEqual(logs[1], logs[0]);
  t.deepEqual(logs[2], logs[0]);
  const text = Buffer.from(values.join(""), "hex").toString("latin1");
  for (const value of ["c0", "c1", "c2", "after"]) t.true(text.includes(value), `${value} kept`);
  for (let i = 0; i < 5; i++) t.false(text.includes(`u${i}`), `u${i} was truncated`);
});

test("readISRReplica reads from a follower; without it a follower answers FailedPrecondition", async (t) => {
  const cluster = await startCluster(t, 3, FAST_REPLICATION);
  const view = await replicatedStream(t, cluster, "reads");
  const client = await LiftbridgeClient.connect([cluster.nodes[0]!.address]);
  t.teardown(() => client.close());
  for (const value of ["a", "b", "c"]) {
    await client.publish("reads", Buffer.from(value), {
      ackPolicy: "all",
      key: Buffer.from(`key-${value}`),
      headers: { origin: Buffer.from("test") },
    });
  }
  const follower = cluster.node(view.replicas.find((r) => r !== view.leader)!);
  const request: MessageInit<SubscribeRequest> = {
    stream: "reads",
    partition: 0,
    startPosition: StartPosition.EARLIEST,
    stopPosition: StopPosition.STOP_LATEST,
  };
  const replica = rawClient(t, follower.address);
  let fromFollower: Message[] = [];
  await waitFor(
    async () => {
      const { messages } = await collect(replica, { ...request, readISRReplica: true });
      fromFollower = messages;
      return messages.map((m) => Buffer.from(m.value).toString()).join() === "a,b,c";
    },
    { message: "the follower to serve the committed records" },
  );
  // Keys, headers and timestamps come through replication as they were recorded.
  const { messages: fromLeader } = await collect(
    rawClient(t, cluster.node(view.leader).address),
    request,
  );
  t.deepEqual(
    fromFollower.map((m) => [
      Buffer.from(m.key).toString(),
      Buffer.from(m.headers.origin ?? []).toString(),
      m.timestamp,
    ]),
    fromLeader.map((m) => [
      Buffer.from(m.key).toString(),
      Buffer.from(m.headers.origin ?? []).toString(),
      m.timestamp,
    ]),
  );
  t.is(Buffer.from(fromFollower[0]!.key).toString(), "key-a");
  t.is(Buffer.from(fromFollower[0]!.headers.origin!).toString(), "test");
  const refused = await collect(replica, request);
  t.is(refused.code, status.FAILED_PRECONDITION);
  t.regex(refused.details ?? "", /not partition leader/);
});
