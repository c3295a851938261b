import test from "ava";
import { connect } from "nats";
import { LiftbridgeClient } from "../../src/client/index.js";
import { type FetchPartitionMetadataResponse, StartPosition } from "../../src/wire/api.js";
import { decodeEnvelope, MsgType } from "../../src/wire/envelope.js";
import { startBroker } from "../helpers/broker.js";
import { startNats } from "../helpers/nats.js";
import { call, rawClient } from "../helpers/rpc.js";
import { collect } from "../helpers/subscribe.js";
import { waitFor } from "../helpers/wait.js";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

// The leader records PublishAsync messages in-process and skips their NATS copies; everyone
// else on the subject must still get them, and the leader must store each exactly once.
test("PublishAsync to the local leader: stored once, and still published on NATS", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url);
  const raw = rawClient(t, address);
  const client = await LiftbridgeClient.connect([address]);
  t.teardown(() => client.close());
  await client.createStream("shared", "a");
  await client.createStream("shared", "b");
  const nc = await connect({ servers: nats.url });
  t.teardown(() => nc.close());
  const seenOnNats: string[] = [];
  nc.subscribe("shared", {
    callback: (_err, msg) => {
      const envelope = decodeEnvelope(msg.data);
      if (envelope?.type === MsgType.Publish) seenOnNats.push("envelope");
    },
  });
  await nc.flush();

  const sequential = [];
  for (let i = 0; i < 20; i++) sequential.push((await client.publish("a", `s${i}`))?.offset);
  t.deepEqual(
    sequential,
    Array.from({ length: 20 }, (_, i) => i),
  );
  const pipelined = await Promise.all(
    Array.from({ length: 80 }, (_, i) => client.publish("a", `p${i}`)),
  );
  t.deepEqual(
    pipelined.map((ack) => ack?.offset),
    Array.from({ length: 80 }, (_, i) => 20 + i),
  );

  const newest = async (stream: string) =>
    Number(
      (
        await call<unknown, FetchPartitionMetadataResponse>(raw, "fetchPartitionMetadata", {
          stream,
          partition: 0,
        })
      ).metadata?.newestOffset,
    );
  // "b" gets the NATS copies over the same connection as "a", so once it has all of them, "a"
  // has seen all of its own copies too. A plain message afterwards reaches both.
  await waitFor(async () => (await newest("b")) === 99, { message: "b to store 100 messages" });
  nc.publish("shared", new TextEncoder().encode("plain"));
  await waitFor(async () => (await newest("a")) >= 100 && (await newest("b")) === 100, {
    message: "the plain message in both streams",
  });
  t.is(await newest("a"), 100, "no NATS copy of a locally recorded message was stored again");
  t.is(seenOnNats.length, 100);

  const expected = [
    ...Array.from({ length: 20 }, (_, i) => `s${i}`),
    ...Array.from({ length: 80 }, (_, i) => `p${i}`),
    "plain",
  ];
  for (const stream of ["a", "b"]) {
    const { messages } = await collect(
      raw,
      { stream, partition: 0, startPosition: StartPosition.EARLIEST },
      101,
    );
    t.deepEqual(
      messages.map((m) => text(m.value)),
      expected,
      stream,
    );
  }
});
