import test from "ava";
import { type Msg, type MsgHdrs, headers as natsHeaders } from "nats";
import { FramedRecordsBuilder } from "../../src/server/log/index.js";
import { ingest, PlainRecorder } from "../../src/server/partition/ingest.js";
import { encodeMessage } from "../../src/wire/api.js";
import { encodeEnvelope, MsgType } from "../../src/wire/envelope.js";

const encoder = new TextEncoder();

/**
 * A stand-in for a received nats.js message. With `raw`, it also carries the parsed subject
 * and reply bytes where nats.js keeps them, so both paths of PlainRecorder run.
 */
function message(subject: string, reply: string, data: Uint8Array, raw: boolean, hdrs?: MsgHdrs) {
  const msg = {
    subject,
    reply: reply === "" ? undefined : reply,
    data,
    headers: hdrs,
    ...(raw
      ? {
          _msg: {
            subject: encoder.encode(subject),
            reply: reply ? encoder.encode(reply) : undefined,
          },
        }
      : {}),
  };
  return msg as unknown as Msg;
}

/** The body the recorder stored for its only record. */
function recorded(recorder: PlainRecorder, msg: Msg): Uint8Array | undefined {
  const builder = new FramedRecordsBuilder();
  if (!recorder.record(msg, builder)) return undefined;
  const { bytes, count } = builder.finish(0n, 0);
  if (count !== 1) throw new Error(`expected one record, got ${count}`);
  return bytes.subarray(28);
}

test("plain messages are stored byte for byte as the general path encodes them", (t) => {
  for (const raw of [true, false]) {
    const recorder = new PlainRecorder();
    const cases: [string, string, number][] = [
      ["orders", "", 100],
      ["orders", "", 100],
      ["orders", "_INBOX.a", 100],
      ["orders", "_INBOX.b", 0],
      ["ordert", "_INBOX.b", 127],
      ["orders.1", "", 128],
      ["orders.1", "", 20_000],
      ["orders", "", 1],
      ["ördérs", "répl", 300],
      ["orders", "", 2_200_000],
    ];
    for (const [subject, reply, size] of cases) {
      const data = Buffer.alloc(size, size & 0xff);
      if (size > 0) data[0] = 0x42;
      const msg = message(subject, reply, data, raw);
      const body = recorded(recorder, msg);
      t.truthy(body, `${subject} ${reply} ${size}`);
      t.true(Buffer.from(body!).equals(ingest(msg).body), `${subject} ${reply} ${size}`);
    }
  }
});

test("envelopes, messages that may be envelopes and messages with headers take the general path", (t) => {
  const recorder = new PlainRecorder();
  const published = encodeMessage({
    value: encoder.encode("v"),
    ackInbox: "in",
    correlationId: "c",
  });
  const envelope = encodeEnvelope(MsgType.Publish, published);
  t.is(recorded(recorder, message("s", "", envelope, true)), undefined);
  t.is(recorded(recorder, message("s", "", Uint8Array.of(0xb9, 1, 2), true)), undefined);
  const hdrs = natsHeaders();
  hdrs.set("Key", "value");
  t.is(recorded(recorder, message("s", "", encoder.encode("x"), true, hdrs)), undefined);
  // The general path still stores each of them (the short 0xb9 payload as a plain value).
  t.deepEqual(ingest(message("s", "", Uint8Array.of(0xb9, 1, 2), true)).expectedOffset, -1);
});
