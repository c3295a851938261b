import test from "ava";
import {
  ActivityStreamOp,
  decodeActivityStreamEvent,
  StartPosition,
  StopPosition,
} from "../../src/wire/api.js";
import { startBroker } from "../helpers/broker.js";
import { startNats } from "../helpers/nats.js";
import { call, rawClient } from "../helpers/rpc.js";
import { collect } from "../helpers/subscribe.js";
import { waitFor } from "../helpers/wait.js";

const bytes = (s: string) => new TextEncoder().encode(s);

async function events(client: ReturnType<typeof rawClient>) {
  const r = await collect(client, {
    stream: "__activity",
    startPosition: StartPosition.EARLIEST,
    stopPosition: StopPosition.STOP_LATEST,
  });
  return r.messages.map((m) => decodeActivityStreamEvent(m.value));
}

test("the activity stream records each metadata change once, in order, across restarts", async (t) => {
  const nats = await startNats(t);
  const flags = { "activity.stream.enabled": true };
  const first = await startBroker(t, nats.url, { flags });
  let client = rawClient(t, first.address);
  await call(client, "createStream", { name: "orders", subject: "orders", partitions: 2 });
  await call(client, "pauseStream", { name: "orders", partitions: [1] });
  await call(client, "publish", { stream: "orders", partition: 1, value: bytes("resumes it") });
  await call(client, "setStreamReadonly", { name: "orders", partitions: [0], readonly: true });
  await call(client, "deleteStream", { name: "orders" });
  await waitFor(async () => (await events(client).catch(() => [])).length === 5, {
    message: "five events were published",
  });
  const seen = await events(client);
  t.deepEqual(
    seen.map((e) => e.op),
    [
      ActivityStreamOp.CREATE_STREAM,
      ActivityStreamOp.PAUSE_STREAM,
      ActivityStreamOp.RESUME_STREAM,
      ActivityStreamOp.SET_STREAM_READONLY,
      ActivityStreamOp.DELETE_STREAM,
    ],
  );
  t.deepEqual(seen[0]!.createStreamOp, { stream: "orders", partitions: [0, 1] });
  t.deepEqual(seen[1]!.pauseStreamOp, { stream: "orders", partitions: [1], resumeAll: false });
  t.deepEqual(seen[2]!.resumeStreamOp, { stream: "orders", partitions: [1] });
  t.deepEqual(seen[3]!.setStreamReadonlyOp, { stream: "orders", partitions: [0], readonly: true });
  t.deepEqual(seen[4]!.deleteStreamOp, { stream: "orders" });
  const ids = seen.map((e) => e.id);
  t.deepEqual(
    [...ids].sort((a, b) => a - b),
    ids,
  );
  t.is(new Set(ids).size, ids.length);

  const second = await first.restart();
  client = rawClient(t, second.address);
  await call(client, "createStream", { name: "again", subject: "again" });
  await waitFor(async () => (await events(client)).length === 6, { message: "one more event" });
  const after = await events(client);
  t.deepEqual(after.slice(0, 5), seen, "nothing republished after the restart");
  t.deepEqual(after[5]!.createStreamOp, { stream: "again", partitions: [0] });
  t.true(after[5]!.id > ids[4]!);
});
