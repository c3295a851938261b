import { status } from "@grpc/grpc-js";
import test from "ava";
import { type PublishResponse, StartPosition } from "../../src/wire/api.js";
import { startBroker } from "../helpers/broker.js";
import { FaultFs } from "../helpers/fault-fs.js";
import { startNats } from "../helpers/nats.js";
import { call, failure, rawClient } from "../helpers/rpc.js";
import { collect } from "../helpers/subscribe.js";

const bytes = (s: string) => new TextEncoder().encode(s);

test("a full disk fails the publish with a clear error; the log stays readable and recovers", async (t) => {
  const nats = await startNats(t);
  const fs = new FaultFs();
  const { address } = await startBroker(t, nats.url, { logFileSystem: fs });
  const client = rawClient(t, address);
  await call(client, "createStream", { name: "s", subject: "s" });
  const ok = await call<unknown, PublishResponse>(client, "publish", {
    stream: "s",
    value: bytes("before"),
  });
  t.is(ok.ack?.offset, 0);

  fs.failWith = { write: "ENOSPC" };
  const refused = await failure(call(client, "publish", { stream: "s", value: bytes("lost") }));
  t.is(refused.code, status.RESOURCE_EXHAUSTED);
  t.regex(refused.details, /no space left on device while storing the message/);
  const asyncStream = client.publishAsync();
  const response = new Promise<PublishResponse>((resolve) => asyncStream.on("data", resolve));
  asyncStream.write({ stream: "s", value: bytes("lost too"), correlationId: "full" });
  const asyncRefusal = await response;
  asyncStream.end();
  t.is(asyncRefusal.correlationId, "full");
  t.regex(asyncRefusal.asyncError?.message ?? "", /no space left on device/);

  const readable = await collect(client, { stream: "s", startPosition: StartPosition.EARLIEST }, 1);
  t.is(new TextDecoder().decode(readable.messages[0]!.value), "before");

  fs.failWith = {};
  const after = await call<unknown, PublishResponse>(client, "publish", {
    stream: "s",
    value: bytes("after"),
  });
  t.is(after.ack?.offset, 1, "nothing of the failed writes took an offset");
  const all = await collect(client, { stream: "s", startPosition: StartPosition.EARLIEST }, 2);
  t.deepEqual(
    all.messages.map((m) => new TextDecoder().decode(m.value)),
    ["before", "after"],
  );
});
