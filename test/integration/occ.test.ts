import { status } from "@grpc/grpc-js";
import test from "ava";
import {
  AckPolicy,
  PublishAsyncErrorCode,
  type PublishResponse,
  StartPosition,
  StopPosition,
} from "../../src/wire/api.js";
import { startBroker } from "../helpers/broker.js";
import { startNats } from "../helpers/nats.js";
import { call, codeOf, failure, rawClient } from "../helpers/rpc.js";
import { collect } from "../helpers/subscribe.js";

const bytes = (s: string) => new TextEncoder().encode(s);

test("optimistic concurrency: a publish whose expected offset is not next is refused and not appended", async (t) => {
  const nats = await startNats(t);
  const { address } = await startBroker(t, nats.url);
  const client = rawClient(t, address);
  await call(client, "createStream", {
    name: "occ",
    subject: "occ",
    optimisticConcurrencyControl: true,
  });
  await call(client, "createStream", { name: "free", subject: "free" });
  const publish = (stream: string, expectedOffset: number, value: string) =>
    call<unknown, PublishResponse>(client, "publish", {
      stream,
      expectedOffset,
      value: bytes(value),
    });

  t.is((await publish("occ", 0, "first")).ack?.offset, 0);
  const conflict = await failure(publish("occ", 0, "stale"));
  t.is(conflict.code, status.UNKNOWN, "as upstream: not FailedPrecondition, which clients retry");
  t.regex(conflict.details, /incorrect expected offset/);
  t.is((await publish("occ", 1, "second")).ack?.offset, 1);
  t.is(await codeOf(publish("occ", 5, "future")), status.UNKNOWN);

  const stream = client.publishAsync();
  const responses: PublishResponse[] = [];
  const done = new Promise<void>((resolve) => {
    stream.on("data", (r: PublishResponse) => responses.push(r));
    stream.on("end", () => resolve());
  });
  stream.write({ stream: "occ", expectedOffset: 2, value: bytes("third"), correlationId: "ok" });
  stream.write({ stream: "occ", expectedOffset: 2, value: bytes("again"), correlationId: "late" });
  stream.write({ stream: "occ", expectedOffset: -1, value: bytes("any"), correlationId: "any" });
  stream.end();
  await done;
  const byId = new Map(responses.map((r) => [r.correlationId, r]));
  t.is(byId.get("ok")?.ack?.offset, 2);
  t.is(byId.get("late")?.asyncError?.code, PublishAsyncErrorCode.INCORRECT_OFFSET);
  t.is(byId.get("any")?.ack?.offset, 3, "-1 means any offset");

  t.is(
    await codeOf(
      call(client, "publish", { stream: "occ", value: bytes("x"), ackPolicy: AckPolicy.NONE }),
    ),
    status.INVALID_ARGUMENT,
  );
  const stored = await collect(client, {
    stream: "occ",
    startPosition: StartPosition.EARLIEST,
    stopPosition: StopPosition.STOP_LATEST,
  });
  t.deepEqual(
    stored.messages.map((m) => new TextDecoder().decode(m.value)),
    ["first", "second", "third", "any"],
  );

  // Without the setting, the expected offset is not checked.
  t.is((await publish("free", 7, "x")).ack?.offset, 0);
});
