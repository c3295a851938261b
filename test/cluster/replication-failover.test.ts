import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import { connect } from "nats";
import { LiftbridgeClient } from "../../src/client/index.js";
import { CommitLog } from "../../src/server/log/index.js";
import {
  type Ack,
  AckPolicy,
  decodeAck,
  encodeMessage,
  type FetchMetadataResponse,
} from "../../src/wire/api.js";
import { decodeEnvelope, encodeEnvelope, MsgType } from "../../src/wire/envelope.js";
import { startCluster, type TestCluster } from "../helpers/cluster.js";
import { call, rawClient } from "../helpers/rpc.js";
import { waitFor } from "../helpers/wait.js";

/** Short replication timeouts so failures are noticed within the test's patience. */
export const FAST_REPLICATION = {
  "clustering.replica.max.lag.time": "2s",
  "clustering.replica.max.leader.timeout": "1s",
  "clustering.replica.max.idle.wait": "500ms",
  "clustering.replica.fetch.timeout": "500ms",
};

const STREAM = "history";

async function partitionView(t: ExecutionContext, cluster: TestCluster) {
  for (const node of cluster.nodes) {
    if (!node.process) continue;
    try {
      const md = await call<unknown, FetchMetadataResponse>(
        rawClient(t, node.address),
        "fetchMetadata",
        { streams: [STREAM] },
        2000,
      );
      const partition = md.streamMetadata[0]?.partitions[0];
      if (partition) return partition;
    } catch {
      // That broker is down or busy: ask the next.
    }
  }
  throw new Error("no broker answered FetchMetadata");
}

/** NATS publisher of envelopes with ack policy ALL; each message is sent once, never retried. */
async function startPublisher(t: ExecutionContext, natsUrl: string) {
  const nc = await connect({ servers: natsUrl });
  t.teardown(() => nc.close());
  const acked = new Map<string, Ack>();
  const inbox = `acks.${Math.random().toString(36).slice(2)}`;
  nc.subscribe(inbox, {
    callback: (_err, msg) => {
      const envelope = decodeEnvelope(msg.data);
      if (envelope?.type !== MsgType.Ack) return;
      const ack = decodeAck(envelope.payload);
      if (ack.ackError === 0) acked.set(ack.correlationId, ack);
    },
  });
  await nc.flush();
  let running = true;
  let sent = 0;
  /** Sent and not acked yet, with when; a message lost with a dead leader expires after 3 s. */
  const pending = new Map<string, number>();
  const loop = (async () => {
    while (running) {
      const now = Date.now();
      for (const [id, at] of pending) {
        if (acked.has(id) || now - at > 3000) pending.delete(id);
      }
      // At most 50 unanswered at a time, as a windowed producer would.
      if (pending.size >= 50) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      const id = `m${sent++}`;
      pending.set(id, now);
      nc.publish(
        STREAM,
        encodeEnvelope(
          MsgType.Publish,
          encodeMessage({
            value: Buffer.from(id),
            ackInbox: inbox,
            correlationId: id,
            ackPolicy: AckPolicy.ALL,
          }),
        ),
      );
      if (sent % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
  })();
  return {
    acked,
    waitForMore: (count: number, message: string) => {
      const target = acked.size + count;
      return waitFor(() => acked.size >= target, { timeoutMs: 30_000, message });
    },
    stop: async () => {
      running = false;
      await loop;
      await nc.flush();
    },
  };
}

async function logContents(dir: string) {
  const log = await CommitLog.open(dir);
  try {
    const records = await log.read(0, 256 * 1024 * 1024);
    return records.map((r) => ({
      offset: r.offset,
      timestamp: r.timestamp.toString(),
      leaderEpoch: r.leaderEpoch,
      body: Buffer.from(r.body).toString("hex"),
    }));
  } finally {
    await log.close();
  }
}

test("RF 3, ack ALL, minISR 2: killing the leader, then a follower, loses and moves no acknowledged message", async (t) => {
  t.timeout(180_000);
  const cluster = await startCluster(t, 3, FAST_REPLICATION);
  await call(rawClient(t, cluster.nodes[0]!.address), "createStream", {
    name: STREAM,
    subject: STREAM,
    replicationFactor: 3,
    minIsr: 2,
  });
  await waitFor(async () => (await partitionView(t, cluster)).isr.length === 3, {
    message: "a full ISR",
  });
  const publisher = await startPublisher(t, cluster.natsUrl);
  await publisher.waitForMore(200, "acks before any failure");

  const firstLeader = (await partitionView(t, cluster)).leader;
  await cluster.node(firstLeader).kill("SIGKILL");
  await waitFor(
    async () => {
      const view = await partitionView(t, cluster);
      return view.leader !== firstLeader && view.leader !== "";
    },
    { timeoutMs: 20_000, message: "a new leader" },
  );
  await publisher.waitForMore(200, "acks under the new leader");

  await cluster.node(firstLeader).start();
  await waitFor(async () => (await partitionView(t, cluster)).isr.includes(firstLeader), {
    timeoutMs: 30_000,
    message: "the old leader back in the ISR",
  });
  const view = await partitionView(t, cluster);
  const follower = view.replicas.find((r) => r !== view.leader)!;
  await cluster.node(follower).kill("SIGKILL");
  await publisher.waitForMore(200, "acks with one follower down");
  await publisher.stop();

  await cluster.node(follower).start();
  await waitFor(async () => (await partitionView(t, cluster)).isr.length === 3, {
    timeoutMs: 30_000,
    message: "all three replicas in sync again",
  });

  // Every acknowledged message is there, exactly once, at the offset its ack named.
  const leader = cluster.node((await partitionView(t, cluster)).leader);
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
