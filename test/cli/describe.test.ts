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
  t.regex(text, /^ID\s+HOST\s+PORT\s+PARTITIONS\s+LEADERS\s+ALIVE\s+RAFT\s+CONTROLLER$/m);
  t.regex(
    text,
    new RegExp(`^${id}\\s+127\\.0\\.0\\.1\\s+${port}\\s+2\\s+2\\s+yes\\s+voter\\s+\\*$`, "m"),
  );
  t.regex(text, /^orders\s+orders\s+2\s+1\s+no\s+no\s+168h\s+no\s+always\s+no\s+1\s+no$/m);

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
  t.regex(streamText, /^ID\s+LEADER\s+REPLICAS\s+ISR\s+HW\s+NEWEST\s+PAUSED\s+READONLY\s+EPOCH$/m);
  t.regex(
    streamText,
    new RegExp(`^1\\s+${id}\\s+${id}\\s+${id}\\s+1\\s+1\\s+no\\s+no\\s+\\d+$`, "m"),
  );
  t.regex(streamText, /^PARTITION\s+REPLICA\s+LOG END\s+LAG\s+IN SYNC\s+LAST FETCH$/m);
  t.regex(streamText, new RegExp(`^0\\s+${id}\\s+0\\s+0\\s+yes\\s+-$`, "m"));
  t.regex(streamText, new RegExp(`^1\\s+${id}\\s+2\\s+0\\s+yes\\s+-$`, "m"));

  const missing = await runLb(["describe", "nope"], { env });
  t.is(missing.code, 1);
  t.regex(missing.stderr, /^lb: stream "nope" not found \(see: lb stream list\)$/m);
});
