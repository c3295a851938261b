import test from "ava";
import * as api from "../../src/wire/api.js";
import { encodeFrame } from "../../src/wire/grpc-frames.js";
import {
  forEachFramedMessage,
  MESSAGE_CHUNK_BYTES,
  MessageFrames,
} from "../../src/wire/message-frames.js";

const text = (s: string) => new TextEncoder().encode(s);

/** What Subscribe sent before MessageFrames: the envelope fields, the body, one frame each. */
function expectedFrame(
  offset: number,
  timestamp: bigint,
  stream: string,
  partition: number,
  body: Uint8Array,
) {
  const prefix = api.encodeMessageEnvelopeFields(offset, timestamp, stream, partition);
  return encodeFrame(Buffer.concat([prefix, body]));
}

test("frames are byte for byte the envelope fields, the stored body and a length prefix", (t) => {
  const body = api.encodeMessage({
    key: text("k"),
    value: text("v"),
    subject: "orders.in",
    headers: { subject: text("orders.in"), reply: text("") },
  });
  const offsets = [0, 1, 127, 128, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1];
  const timestamps = [0n, 1n, 1796416731569468602n, (1n << 63n) - 1n, -1n, -(1n << 63n)];
  const targets: [string, number][] = [
    ["orders", 0],
    ["", 1],
    ["ströme", 2 ** 31 - 1],
  ];
  for (const [stream, partition] of targets) {
    const frames = new MessageFrames(stream, partition);
    const expected: Buffer[] = [];
    for (const offset of offsets) {
      for (const timestamp of timestamps) {
        frames.append(offset, timestamp, body);
        expected.push(expectedFrame(offset, timestamp, stream, partition, body));
      }
    }
    t.true(frames.take()!.equals(Buffer.concat(expected)));
    t.is(frames.take(), undefined);
  }
});

test("messages of every size, across many chunks, come out whole and in order; taken frames stay intact", (t) => {
  const frames = new MessageFrames("s", 3);
  const taken: Buffer[] = [];
  const expected: Buffer[] = [];
  let largestSeen = 0;
  for (let i = 0; i < 3000; i++) {
    const size = i % 500 === 7 ? MESSAGE_CHUNK_BYTES * 2 + i : (i * 37) % 3000;
    const body = api.encodeMessage({ value: new Uint8Array(size).fill(i & 0xff) });
    frames.append(i, BigInt(i) * 1_000_000n, body);
    expected.push(expectedFrame(i, BigInt(i) * 1_000_000n, "s", 3, body));
    if (frames.pendingBytes >= MESSAGE_CHUNK_BYTES || i % 97 === 0) {
      largestSeen = Math.max(largestSeen, frames.largestMessage);
      taken.push(frames.take()!);
    }
  }
  taken.push(frames.take()!);
  t.true(taken.length > 20);
  t.true(Buffer.concat(taken).equals(Buffer.concat(expected)));
  const messages: Buffer[] = [];
  for (const chunk of taken) forEachFramedMessage(chunk, (m) => messages.push(m));
  t.is(messages.length, 3000);
  for (const [i, m] of messages.entries()) {
    const decoded = api.decodeMessage(m);
    t.is(decoded.offset, i);
    t.is(decoded.partition, 3);
    t.true(decoded.value.every((b) => b === (i & 0xff)));
  }
  t.is(largestSeen, Math.max(...messages.map((m) => m.length)));
});

test("largestMessage covers the messages since the last take", (t) => {
  const frames = new MessageFrames("s", 0);
  frames.append(0, 0n, new Uint8Array(1000));
  frames.append(1, 0n, new Uint8Array(10));
  t.is(frames.largestMessage, 1000 + 3); // the body and stream "s" (offset 0 is omitted)
  frames.take();
  t.is(frames.largestMessage, 0);
  frames.append(2, 0n, new Uint8Array(10));
  t.is(frames.largestMessage, 10 + 2 + 3); // the body, offset 2, stream "s"
});

test("an offset that is not a non-negative safe integer is refused", (t) => {
  const frames = new MessageFrames("s", 0);
  t.throws(() => frames.append(1.5, 0n, new Uint8Array(0)), { message: /Message\.offset/ });
  t.throws(() => frames.append(2 ** 53, 0n, new Uint8Array(0)), { message: /Message\.offset/ });
  t.is(frames.take(), undefined);
});
