import { open as openFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import test, { type ExecutionContext } from "ava";
import { LiftbridgeClient } from "../../src/client/index.js";
import { CommitLog, nodeFileSystem } from "../../src/server/log/index.js";
import { loadHighWatermark } from "../../src/server/log/partition-checkpoints.js";
import {
  type FetchPartitionMetadataResponse,
  StartPosition,
  StopPosition,
} from "../../src/wire/api.js";
import { type ClusterNode, startCluster, type TestCluster } from "../helpers/cluster.js";
import {
  FAST_REPLICATION,
  logContents,
  partitionView,
  startPublisher,
} from "../helpers/replication.js";
import { call, rawClient } from "../helpers/rpc.js";
import { collect } from "../helpers/subscribe.js";
import { waitFor } from "../helpers/wait.js";

const STREAM = "damaged";
const ACKED = 1500;
/** Followers do not report a leader that is down for a moment: its restart decides. */
const CONFIG = { ...FAST_REPLICATION, "clustering.replica.max.leader.timeout": "60s" };

function partitionDir(node: ClusterNode): string {
  return join(node.dataDir, "streams", STREAM, "0");
}

/** Flips one byte in the middle of the partition's active segment; returns its position. */
async function flipByteInActiveSegment(node: ClusterNode): Promise<number> {
  const dir = partitionDir(node);
  const segments = (await readdir(dir)).filter((f) => f.endsWith(".log")).sort();
  const file = await openFile(join(dir, segments.at(-1)!), "r+");
  try {
    const { size } = await file.stat();
    const at = Math.floor(size / 2);
    const byte = Buffer.alloc(1);
    await file.read(byte, 0, 1, at);
    byte[0] = byte[0]! ^ 0xff;
    await file.write(byte, 0, 1, at);
    return at;
  } finally {
    await file.close();
  }
}

/** The broker's JSON log lines with this message. */
function logLines(node: ClusterNode, msg: string): Record<string, unknown>[] {
  return (node.process?.stderr() ?? "")
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.msg === msg);
}

/**
 * Polls FetchPartitionMetadata on every running broker (only the leader answers) and records
 * each high watermark seen, in order.
 */
function watchHighWatermark(t: ExecutionContext, cluster: TestCluster) {
  const seen: { broker: string; highWatermark: number }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const node of cluster.nodes) {
        if (!node.process) continue;
        try {
          const res = await call<unknown, FetchPartitionMetadataResponse>(
            rawClient(t, node.address),
            "fetchPartitionMetadata",
            { stream: STREAM, partition: 0 },
            1000,
          );
          if (res.metadata) {
            seen.push({ broker: node.id, highWatermark: res.metadata.highWatermark });
          }
        } catch {
          // Not the leader, or down.
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    seen,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/**
 * Everything `node` serves of the partition from offset 0 (as leader or ISR replica). A broker
 * that was down may need a moment before gRPC connects to it again (Unavailable).
 */
async function readAll(t: ExecutionContext, node: ClusterNode) {
  const read = () =>
    collect(rawClient(t, node.address), {
      stream: STREAM,
      partition: 0,
      startPosition: StartPosition.EARLIEST,
      stopPosition: StopPosition.STOP_LATEST,
      readISRReplica: true,
    });
  let result = await read();
  await waitFor(
    async () => {
      if (result.code !== status.UNAVAILABLE) return true;
      result = await read();
      return false;
    },
    { message: `${node.id} to accept a subscription` },
  );
  const { messages, code, details } = result;
  return {
    values: new Map(messages.map((m) => [m.offset, Buffer.from(m.value).toString()])),
    code,
    details,
  };
}

/** RF 3, ack ALL: `ACKED` acked records, every replica caught up and knowing the high watermark. */
async function ackedOnEveryReplica(t: ExecutionContext, cluster: TestCluster) {
  await call(rawClient(t, cluster.nodes[0]!.address), "createStream", {
    name: STREAM,
    subject: STREAM,
    replicationFactor: 3,
  });
  await waitFor(async () => (await partitionView(t, cluster, STREAM)).isr.length === 3, {
    message: "a full ISR",
  });
  const publisher = await startPublisher(t, cluster.natsUrl, STREAM);
  await publisher.waitForMore(ACKED, "acked records");
  await publisher.stop();
  const client = await LiftbridgeClient.connect(cluster.nodes.map((n) => n.address));
  t.teardown(() => client.close());
  const last = Math.max(...[...publisher.acked.values()].map((a) => a.offset));
  await waitFor(
    async () => {
      const [progress] = await client.describePartitions(STREAM, [0]);
      return (
        progress!.highWatermark >= last &&
        progress!.replicas.length === 3 &&
        progress!.replicas.every((r) => r.lag === 0)
      );
    },
    { message: "every replica caught up" },
  );
  client.close();
  // A broker killed now restarts with the high watermark it wrote down last: wait for it.
  for (const node of cluster.nodes) {
    await waitFor(
      async () => ((await loadHighWatermark(nodeFileSystem, partitionDir(node))) ?? -1) >= last,
      { message: `${node.id} to checkpoint the high watermark` },
    );
  }

  return publisher.acked;
}

async function assertEveryReplicaHasEveryAck(
  t: ExecutionContext,
  cluster: TestCluster,
  acked: Map<string, { offset: number }>,
) {
  for (const node of cluster.nodes) {
    const { values, code, details } = await readAll(t, node);
    t.is(
      code,
      status.RESOURCE_EXHAUSTED,
      `${node.id} ends the read at the latest offset (${details ?? ""})`,
    );
    let missing = 0;
    for (const [id, ack] of acked) if (values.get(ack.offset) !== id) missing++;
    t.is(missing, 0, `${node.id} serves every acked record`);
  }
}

async function assertLogsIntactAndEqual(t: ExecutionContext, cluster: TestCluster) {
  for (const node of cluster.nodes) await node.kill("SIGTERM");
  for (const node of cluster.nodes) {
    const log = await CommitLog.open(partitionDir(node));
    t.deepEqual(log.damage(), [], `${node.id}'s log has no damage left`);
    await log.close();
  }
  const logs = await Promise.all(cluster.nodes.map((n) => logContents(partitionDir(n))));
  t.deepEqual(logs[1], logs[0]);
  t.deepEqual(logs[2], logs[0]);
}

function assertNeverBackwards(
  t: ExecutionContext,
  seen: { broker: string; highWatermark: number }[],
) {
  let highest = -1;
  for (const { broker, highWatermark } of seen) {
    if (highWatermark < highest) {
      t.fail(`the high watermark moved back from ${highest} to ${highWatermark} (on ${broker})`);
    }
    highest = Math.max(highest, highWatermark);
  }
}

test("a leader restarted with a damaged record resigns; it repairs the range from the new leader and no acked record is lost anywhere", async (t) => {
  t.timeout(120_000);
  const cluster = await startCluster(t, 3, CONFIG);
  const acked = await ackedOnEveryReplica(t, cluster);
  const view = await partitionView(t, cluster, STREAM);
  const damaged = cluster.node(view.leader);
  const other = cluster.node(view.replicas.find((r) => r !== view.leader)!);
  const watch = watchHighWatermark(t, cluster);
  await waitFor(() => watch.seen.length > 0, { message: "a first high watermark" });

  // The leader and one follower crash together: the one left has no quorum, so the metadata
  // (leader, ISR) cannot change before the damaged leader is back. After a crash the log
  // checks the records written since its last recovery point, which finds the bad one.
  await Promise.all([damaged.kill("SIGKILL"), other.kill("SIGKILL")]);
  const position = await flipByteInActiveSegment(damaged);
  await Promise.all([damaged.start(), other.start()]);

  await waitFor(
    async () => {
      const now = await partitionView(t, cluster, STREAM);
      return now.leader !== "" && now.leader !== damaged.id;
    },
    { timeoutMs: 20_000, message: "the leadership to leave the damaged replica" },
  );
  await waitFor(async () => (await partitionView(t, cluster, STREAM)).isr.length === 3, {
    timeoutMs: 20_000,
    message: "the repaired replica back in the ISR",
  });
  await assertEveryReplicaHasEveryAck(t, cluster, acked);
  await watch.stop();
  assertNeverBackwards(t, watch.seen);

  const [resigned] = logLines(
    damaged,
    "this leader cannot lead with its log; asking the controller to move the leadership",
  );
  t.truthy(resigned, "the damaged leader says why it resigns");
  t.like(resigned, { stream: STREAM, partition: 0 });
  t.regex(String(resigned?.reason), /cannot serve \d+-\d+ \(corrupt\)/);
  const [repaired] = logLines(damaged, "repaired a damaged range of the log from the leader");
  t.truthy(repaired, "the repair is logged");
  t.like(repaired, { stream: STREAM, partition: 0, kind: "corrupt" });
  t.true(Number.isInteger(repaired?.fromOffset) && Number.isInteger(repaired?.toOffset));
  t.truthy(repaired?.reason);
  t.log(
    `byte ${position} flipped on ${damaged.id}; repaired offsets ${repaired?.fromOffset}-${repaired?.toOffset}; ${watch.seen.length} high watermarks seen`,
  );
  await assertLogsIntactAndEqual(t, cluster);
});

test("a follower restarted with a damaged record repairs it from the leader", async (t) => {
  t.timeout(120_000);
  const cluster = await startCluster(t, 3, FAST_REPLICATION);
  const acked = await ackedOnEveryReplica(t, cluster);
  const view = await partitionView(t, cluster, STREAM);
  const damaged = cluster.node(view.replicas.find((r) => r !== view.leader)!);
  const watch = watchHighWatermark(t, cluster);

  await damaged.kill("SIGKILL");
  await flipByteInActiveSegment(damaged);
  await damaged.start();
  await waitFor(
    () => logLines(damaged, "repaired a damaged range of the log from the leader").length > 0,
    {
      timeoutMs: 20_000,
      message: "the follower to repair its log",
    },
  );
  await waitFor(async () => (await partitionView(t, cluster, STREAM)).isr.length === 3, {
    timeoutMs: 20_000,
    message: "the follower in the ISR",
  });
  t.is((await partitionView(t, cluster, STREAM)).leader, view.leader, "the leader stays");
  const [repaired] = logLines(damaged, "repaired a damaged range of the log from the leader");
  t.like(repaired, { stream: STREAM, partition: 0, leader: view.leader, kind: "corrupt" });
  await assertEveryReplicaHasEveryAck(t, cluster, acked);
  await watch.stop();
  assertNeverBackwards(t, watch.seen);
  await assertLogsIntactAndEqual(t, cluster);
});
