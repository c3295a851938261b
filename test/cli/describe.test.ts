import test from "ava";
import { runLb, startServe } from "../helpers/cli.js";
import { freePort } from "../helpers/nats.js";
import { makeTempDir } from "../helpers/tmp.js";

test("lb describe shows the cluster, and lb describe STREAM each partition's replicas", async (t) => {
  const dir = await makeTempDir("lb-describe-", t);
  const port = await freePort();
  const serve = await startServe(t, ["--data", dir, "-p", String(port), "--host", "127.0.0.1"]);
  const env = { LB_ADDRESS: serve.address };
  const lb = async (...args: string[]) => {
    const result = await runLb(args, { env });
    t.is(result.code, 0, `lb ${args.join(" ")}: ${result.stderr}`);
    return result.stdout;
  };
  await lb("stream", "create", "orders", "--subject", "orders", "--partitions", "2");
  await lb("pub", "orders", "-p", "1", "one");
  await lb("pub", "orders", "-p", "1", "two");

  const clusterJson = JSON.parse(await lb("describe", "--json"));
  const id: string = clusterJson.cluster.serverId;
  t.like(clusterJson.cluster, { controller: id, role: "leader" });
  t.is(clusterJson.cluster.brokers.length, 1);
  t.is(clusterJson.brokers.length, 1);
  // The keys lb describe always had, and the cluster's view of the broker.
  t.like(clusterJson.brokers[0], {
    id,
    host: "127.0.0.1",
    port,
    partitionCount: 2,
    leaderCount: 2,
    alive: true,
    membership: "voter",
    controller: true,
  });
  t.deepEqual(
    clusterJson.streams.map((s: { name: string }) => s.name),
    ["orders"],
  );

  const text = await lb("describe");
  const { term, commitIndex, appliedIndex } = clusterJson.cluster;
  t.regex(
    text,
    new RegExp(
      `^cluster  controller ${id}  term \\d+  commit \\d+  applied \\d+  answered by ${id} \\(leader\\)$`,
      "m",
    ),
  );
  t.true(term >= 1 && appliedIndex <= commitIndex);
  t.regex(text, /^ID +HOST +PORT +PARTITIONS +LEADERS +ALIVE +RAFT +CONTROLLER$/m);
  t.regex(text, new RegExp(`^${id} +127\\.0\\.0\\.1 +${port} +2 +2 +yes +voter +\\*$`, "m"));
  t.regex(text, /^orders +orders +2 +1 +no +no$/m);

  const streamJson = JSON.parse(await lb("describe", "orders", "--json"));
  t.is(streamJson.cluster.controller, id);
  const [p0, p1] = streamJson.stream.partitions;
  t.like(p1, { id: 1, leader: id, highWatermark: 1, newestOffset: 1, logEndOffset: 2 });
  t.true(Number.isInteger(p1.leaderEpoch));
  t.deepEqual(p1.replicaProgress, [
    { replica: id, logEndOffset: 2, lag: 0, inSync: true, lastFetchMsAgo: 0 },
  ]);
  t.like(p0, { id: 0, highWatermark: -1, logEndOffset: 0 });

  const streamText = await lb("describe", "orders");
  t.regex(streamText, /^ID +LEADER +REPLICAS +ISR +HW +NEWEST +PAUSED +READONLY +EPOCH$/m);
  t.regex(streamText, new RegExp(`^1 +${id} +${id} +${id} +1 +1 +no +no +\\d+$`, "m"));
  t.regex(streamText, /^PARTITION +REPLICA +LOG END +LAG +IN SYNC +LAST FETCH$/m);
  t.regex(streamText, new RegExp(`^0 +${id} +0 +0 +yes +-$`, "m"));
  t.regex(streamText, new RegExp(`^1 +${id} +2 +0 +yes +-$`, "m"));

  const missing = await runLb(["describe", "nope"], { env });
  t.is(missing.code, 1);
  t.regex(missing.stderr, /^lb: stream "nope" not found \(see: lb stream list\)$/m);
});
