import { credentials, status } from "@grpc/grpc-js";
import test from "ava";
import { AdminClient, type DescribeStreamsResponse } from "../../src/wire/admin.js";
import { startBroker } from "../helpers/broker.js";
import { startNats } from "../helpers/nats.js";
import { call, rawClient } from "../helpers/rpc.js";

test("every per-stream setting given on CreateStream is stored and reported, across restarts", async (t) => {
  const nats = await startNats(t);
  const first = await startBroker(t, nats.url);
  const settings = {
    retentionMaxBytes: 1_000_000,
    retentionMaxMessages: 5000,
    retentionMaxAge: 3_600_000,
    cleanerInterval: 60_000,
    segmentMaxBytes: 65_536,
    segmentMaxAge: 600_000,
    compactMaxGoroutines: 3,
    compactEnabled: false,
    autoPauseTime: 0,
    autoPauseDisableIfSubscribers: true,
    minIsr: 1,
    optimisticConcurrencyControl: true,
  };
  await call(rawClient(t, first.address), "createStream", {
    name: "configured",
    subject: "c",
    group: "g1",
    partitions: 2,
    ...settings,
  });
  await call(rawClient(t, first.address), "createStream", { name: "plain", subject: "p" });

  const describe = (address: string, streams: string[]) =>
    new Promise<DescribeStreamsResponse>((resolve, reject) => {
      const admin = new AdminClient(address, credentials.createInsecure());
      t.teardown(() => admin.close());
      admin.describeStreams({ streams }, { deadline: Date.now() + 5000 }, (err, res) =>
        err ? reject(err) : resolve(res!),
      );
    });

  const second = await first.restart();
  const res = await describe(second.address, []);
  t.deepEqual(
    res.streams.map((s) => s.config.name),
    ["configured", "plain"],
  );
  const configured = res.streams[0]!.config;
  t.like(configured, {
    subject: "c",
    group: "g1",
    partitions: 2,
    replicationFactor: 1,
    ...settings,
  });
  // Settings never given stay unset (the broker default applies), and are reported as such.
  const plain = res.streams[1]!.config;
  t.is(plain.retentionMaxAge, undefined);
  t.is(plain.compactEnabled, undefined);
  t.true(res.streams[0]!.creationTimestamp > 0n);

  const missing = await describe(second.address, ["nope"]).catch((e) => e);
  t.is(missing.code, status.NOT_FOUND);
});
