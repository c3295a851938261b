import test from "ava";
import {
  brokerTableRow,
  clusterLine,
  describeBrokers,
  describePartition,
  formatMsAgo,
  localFailureRows,
  partitionTableRow,
  replicaTableRows,
} from "../../src/cli/cluster-view.js";
import type {
  BrokerInfo,
  DescribeClusterResponse,
  PartitionMetadata,
} from "../../src/client/index.js";

const broker = (id: string, port: number): BrokerInfo => ({
  id,
  host: "127.0.0.1",
  port,
  address: `127.0.0.1:${port}`,
  partitionCount: 2,
  leaderCount: 1,
});

const cluster: DescribeClusterResponse = {
  serverId: "b2",
  controller: "b1",
  role: "follower",
  term: 4,
  commitIndex: 40,
  appliedIndex: 39,
  brokers: [
    { id: "b1", host: "127.0.0.1", port: 1, alive: true, membership: "voter", localFailures: [] },
    {
      id: "b2",
      host: "127.0.0.1",
      port: 2,
      alive: true,
      membership: "learner",
      localFailures: [{ stream: "orders", partition: 1, error: "EMFILE: too many open files" }],
    },
    { id: "b3", host: "::1", port: 3, alive: false, membership: "voter", localFailures: [] },
  ],
};

test("brokers gain the cluster's view; one only the cluster knows is listed after", (t) => {
  const described = describeBrokers([broker("b2", 2), broker("b1", 1)], cluster);
  t.deepEqual(
    described.map((b) => [b.id, b.alive, b.membership, b.controller]),
    [
      ["b2", true, "learner", false],
      ["b1", true, "voter", true],
      ["b3", false, "voter", false],
    ],
  );
  t.like(described[2], { address: "[::1]:3", partitionCount: 0, leaderCount: 0 });
  t.deepEqual(brokerTableRow(described[1]!), [
    "b1",
    "127.0.0.1",
    "1",
    "2",
    "1",
    "yes",
    "voter",
    "*",
  ]);
  t.deepEqual(brokerTableRow(described[2]!).slice(5), ["no", "voter", ""]);
});

test("partitions a broker could not open get one row each; none when all opened", (t) => {
  const described = describeBrokers([broker("b2", 2), broker("b1", 1)], cluster);
  t.deepEqual(localFailureRows(described), [["b2", "orders", "1", "EMFILE: too many open files"]]);
  t.deepEqual(localFailureRows(describeBrokers([broker("b1", 1)], undefined)), []);
});

test("a broker the cluster does not know is not alive and not a member", (t) => {
  const [only] = describeBrokers([broker("b9", 9)], cluster);
  t.like(only, { alive: false, membership: "none", controller: false });
});

test("without a cluster view (an upstream broker) the columns say -", (t) => {
  const described = describeBrokers([broker("b1", 1)], undefined);
  t.is(described[0]!.alive, undefined);
  t.deepEqual(brokerTableRow(described[0]!).slice(5), ["-", "-", ""]);
});

test("the cluster line names the controller and how far the answering broker got", (t) => {
  t.is(
    clusterLine(cluster),
    "cluster  controller b1  term 4  commit 40  applied 39  answered by b2 (follower)",
  );
  t.regex(clusterLine({ ...cluster, controller: "" }), /controller none/);
});

const partition: PartitionMetadata = {
  id: 1,
  leader: "b1",
  replicas: ["b1", "b2"],
  isr: ["b1"],
  highWatermark: 9,
  newestOffset: 10,
  paused: false,
  readonly: false,
  messagesReceivedTimestamps: undefined,
  pauseTimestamps: undefined,
  readonlyTimestamps: undefined,
};

test("partitions gain the leader epoch and one replica row each from their leader's report", (t) => {
  const described = describePartition(partition, {
    partition: 1,
    leader: "b1",
    leaderEpoch: 3,
    highWatermark: 9,
    logEndOffset: 11,
    replicas: [
      { replica: "b1", logEndOffset: 11, lag: 0, inSync: true, lastFetchMsAgo: 0 },
      { replica: "b2", logEndOffset: 4, lag: 7, inSync: false, lastFetchMsAgo: 65_000 },
    ],
  });
  t.like(described, { leaderEpoch: 3, logEndOffset: 11, highWatermark: 9 });
  t.deepEqual(partitionTableRow(described), ["1", "b1", "b1,b2", "b1", "9", "10", "no", "no", "3"]);
  t.deepEqual(replicaTableRows([described]), [
    ["1", "b1", "11", "0", "yes", "-"],
    ["1", "b2", "4", "7", "no", "1m05s ago"],
  ]);
});

test("a partition whose leader did not report keeps its metadata and has no replica rows", (t) => {
  const described = describePartition(partition, undefined);
  t.false("replicaProgress" in described);
  t.is(partitionTableRow(described).at(-1), "-");
  t.deepEqual(replicaTableRows([described]), []);
});

test("times since the last fetch are short", (t) => {
  t.is(formatMsAgo(0), "0ms");
  t.is(formatMsAgo(850), "850ms");
  t.is(formatMsAgo(12_345), "12.3s");
  t.is(formatMsAgo(59_999), "59.9s");
  t.is(formatMsAgo(245_000), "4m05s");
  t.is(formatMsAgo(7_800_000), "2h10m");
});
