import { readdir } from "node:fs/promises";
import test from "ava";
import { LiftbridgeClient } from "../../src/client/index.js";
import { runLb, type ServeProcess, startServe } from "../helpers/cli.js";
import { freePort, startNats } from "../helpers/nats.js";
import { makeTempDir } from "../helpers/tmp.js";

const PARTITIONS = 50;
const MESSAGES_PER_PARTITION = 12;
/** streams.max.open.files for this test: far fewer than the 50 partitions' files. */
const MAX_OPEN_FILES = 8;
/**
 * Descriptors the broker may open besides the logs' while the test runs: a socket or two of
 * the client's connections and the metadata log's files being written. Without the bound the
 * 50 partitions alone hold at least 100 (a segment and its index each, more once segments roll).
 */
const OTHER_DESCRIPTORS = 6;

const descriptors = async (pid: number) => (await readdir(`/proc/${pid}/fd`)).length;

/** Samples the process's descriptor count until stopped; resolves with the largest seen. */
function sampleDescriptors(pid: number): { stop(): Promise<number> } {
  let max = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      max = Math.max(max, await descriptors(pid));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return Math.max(max, await descriptors(pid));
    },
  };
}

const value = (partition: number, i: number) => `p${partition}-m${i}-${"x".repeat(200)}`;

async function readAll(client: LiftbridgeClient, partition: number): Promise<string[]> {
  const subscription = await client.subscribe("wide", {
    partition,
    start: { kind: "earliest" },
    stop: { kind: "latest" },
  });
  const got: string[] = [];
  for await (const message of subscription) got.push(Buffer.from(message.value).toString());
  return got;
}

test("50 partitions on a broker allowed 8 open log files: every message is stored, read back after a restart, and the logs verify clean", async (t) => {
  const nats = await startNats(t);
  const dir = await makeTempDir("lb-open-files-", t);
  const port = await freePort();
  const serve = () =>
    startServe(
      t,
      ["-d", dir, "-p", String(port), "-n", nats.url, "--raft-bootstrap-seed", "-l", "error"],
      {
        LIFTBRIDGE_STREAMS_MAX_OPEN_FILES: String(MAX_OPEN_FILES),
        // Small segments: each partition rolls several, so there are many more files than fds.
        LIFTBRIDGE_STREAMS_SEGMENT_MAX_BYTES: "1024",
      },
    );
  let broker: ServeProcess = await serve();
  let client = await LiftbridgeClient.connect([broker.address]);
  t.teardown(() => client.close());
  await client.createStream("wide", "wide", { partitions: PARTITIONS });
  // Measured once the broker and the client's connection are up, before any log is used.
  const pid = () => broker.child.pid!;
  const publisher = client.publisher();
  const base = await descriptors(pid());

  const during = sampleDescriptors(pid());
  for (let i = 0; i < MESSAGES_PER_PARTITION; i++) {
    const acks = await Promise.all(
      Array.from({ length: PARTITIONS }, (_, p) =>
        publisher.publish("wide", Buffer.from(value(p, i)), { partition: p }),
      ),
    );
    t.deepEqual(
      acks.map((a) => a?.offset),
      Array.from({ length: PARTITIONS }, () => i),
    );
  }
  await publisher.close();
  const expected = (p: number) =>
    Array.from({ length: MESSAGES_PER_PARTITION }, (_, i) => value(p, i));
  for (let p = 0; p < PARTITIONS; p++) t.deepEqual(await readAll(client, p), expected(p));
  const peak = await during.stop();
  t.true(
    peak <= base + MAX_OPEN_FILES + OTHER_DESCRIPTORS,
    `the broker held ${peak} descriptors, ${peak - base} more than before the partitions were used`,
  );

  client.close();
  t.is(await broker.stop(), 0, broker.stderr());
  broker = await serve();
  client = await LiftbridgeClient.connect([broker.address]);
  const restarted = sampleDescriptors(pid());
  for (let p = 0; p < PARTITIONS; p++) t.deepEqual(await readAll(client, p), expected(p));
  const ack = await client.publish("wide", Buffer.from("after restart"), { partition: 7 });
  t.is(ack?.offset, MESSAGES_PER_PARTITION);
  const afterRestart = await restarted.stop();
  t.true(
    afterRestart <= base + MAX_OPEN_FILES + OTHER_DESCRIPTORS,
    `after the restart the broker held ${afterRestart} descriptors`,
  );
  client.close();
  t.is(await broker.stop(), 0, broker.stderr());

  const verify = await runLb(["log", "verify", dir]);
  t.is(verify.code, 0, verify.stderr);
  t.regex(
    verify.stderr,
    new RegExp(
      `checked ${PARTITIONS * MESSAGES_PER_PARTITION + 1} records in ${PARTITIONS} partitions: no damage found`,
    ),
  );
});
