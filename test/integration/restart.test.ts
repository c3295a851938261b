import test from "ava";
import type { FetchMetadataResponse, Message, PublishResponse } from "../../src/wire/api.js";
import { StartPosition } from "../../src/wire/api.js";
import { startBroker } from "../helpers/broker.js";
import { startNats } from "../helpers/nats.js";
import { call, rawClient } from "../helpers/rpc.js";
import { collect } from "../helpers/subscribe.js";

const bytes = (s: string) => new TextEncoder().encode(s);

test("streams and their data survive a restart byte for byte", async (t) => {
  const nats = await startNats(t);
  const first = await startBroker(t, nats.url);
  let client = rawClient(t, first.address);
  await call(client, "createStream", {
    name: "durable",
    subject: "durable",
    partitions: 2,
    retentionMaxAge: 3_600_000,
  });
  for (let i = 0; i < 200; i++) {
    const value = new Uint8Array(i + 1).map((_, j) => (i * 31 + j) & 0xff);
    await call<unknown, PublishResponse>(client, "publish", {
      stream: "durable",
      partition: i % 2,
      key: bytes(`k${i}`),
      value,
      headers: { n: bytes(String(i)) },
    });
  }
  const read = async (partition: number): Promise<Message[]> =>
    (
      await collect(
        client,
        { stream: "durable", partition, startPosition: StartPosition.EARLIEST },
        100,
      )
    ).messages;
  const before = [await read(0), await read(1)];
  const metaBefore = await call<unknown, FetchMetadataResponse>(client, "fetchMetadata", {});

  const second = await first.restart();
  t.is(second.broker.serverId, first.broker.serverId, "the server id is kept in the data dir");
  client = rawClient(t, second.address);
  const after = [await read(0), await read(1)];
  t.deepEqual(after, before);

  const metaAfter = await call<unknown, FetchMetadataResponse>(client, "fetchMetadata", {});
  t.deepEqual(metaAfter.streamMetadata, metaBefore.streamMetadata);

  const next = await call<unknown, PublishResponse>(client, "publish", {
    stream: "durable",
    partition: 1,
    value: bytes("after restart"),
  });
  t.is(next.ack?.offset, 100);
});
