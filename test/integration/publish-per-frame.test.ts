import type { ServiceError } from "@grpc/grpc-js";
import test from "ava";
import type { PublishResponse } from "../../src/wire/api.js";
import { AckPolicy } from "../../src/wire/api.js";
import { startBroker } from "../helpers/broker.js";
import { startNats } from "../helpers/nats.js";
import { call, rawClient } from "../helpers/rpc.js";
import { collect } from "../helpers/subscribe.js";

// grpc-js's own client writes each request in its own HTTP/2 DATA frame, as grpc-go and grpcio
// do; the broker gathers those of one event-loop turn into one batch. These check that every
// request still gets its own answer, in order, and is stored once.

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Reads the stream back and returns the offsets whose value is not `v-<offset>`. */
async function misstored(client: ReturnType<typeof rawClient>, stream: string, total: number) {
  const { messages } = await collect(client, { stream, startPosition: 2 }, total);
  return {
    count: messages.length,
    wrong: messages.filter((m, i) => Number(m.offset) !== i || text(m.value) !== `v-${i}`),
  };
}

test("PublishAsync from grpc-js's own client, one request per frame with 500 in flight: each ack answers its request, in order", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url);
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "frames", subject: "frames" });

  const total = 4000;
  const window = 500;
  const stream = client.publishAsync();
  const responses: PublishResponse[] = [];
  let sent = 0;
  const send = () => {
    stream.write({ stream: "frames", value: bytes(`v-${sent}`), correlationId: `c-${sent}` });
    sent++;
  };
  const done = new Promise<void>((resolve, reject) => {
    stream.on("data", (r: PublishResponse) => {
      responses.push(r);
      if (sent < total) send();
      if (responses.length === total) stream.end();
    });
    stream.on("error", reject);
    stream.on("end", resolve);
  });
  for (let i = 0; i < window; i++) send();
  await done;

  t.is(responses.length, total);
  t.deepEqual(
    responses.filter((r) => r.asyncError).map((r) => r.asyncError?.message),
    [],
  );
  const misplaced = responses.filter(
    (r, i) =>
      r.correlationId !== `c-${i}` || r.ack?.correlationId !== `c-${i}` || r.ack?.offset !== i,
  );
  t.deepEqual(misplaced.slice(0, 5), []);
  const stored = await misstored(client, "frames", total);
  t.is(stored.count, total);
  t.deepEqual(stored.wrong.slice(0, 5), []);
});

test("many concurrent unary Publish calls from grpc-js's own client: each answers with its own ack, and all are stored once", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url);
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "unary", subject: "unary" });

  const total = 1500;
  const responses = await Promise.all(
    Array.from({ length: total }, (_, i) =>
      call<unknown, PublishResponse>(client, "publish", {
        stream: "unary",
        value: bytes(`u-${i}`),
        correlationId: `u-${i}`,
        ackPolicy: AckPolicy.LEADER,
      }).then(
        (r) => ({ i, r }),
        (err: ServiceError) => ({ i, err: err.message }),
      ),
    ),
  );
  t.deepEqual(
    responses.filter((x) => "err" in x),
    [],
  );
  const offsets = new Map<number, number>();
  for (const x of responses) {
    if (!("r" in x)) continue;
    t.is(x.r.ack?.correlationId, `u-${x.i}`);
    offsets.set(Number(x.r.ack?.offset), x.i);
  }
  t.is(offsets.size, total, "every call got its own offset");
  // The value stored at each offset is the one its call published.
  const { messages } = await collect(client, { stream: "unary", startPosition: 2 }, total);
  t.is(messages.length, total);
  t.deepEqual(
    messages.filter((m) => text(m.value) !== `u-${offsets.get(Number(m.offset))}`).slice(0, 5),
    [],
  );
});
