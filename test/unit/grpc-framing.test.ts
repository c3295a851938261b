import test from "ava";
import { ackTimeoutMs } from "../../src/server/api/publish.js";
import { parseTimeout, percentEncode } from "../../src/server/grpc/protocol.js";
import {
  encodeFrame,
  FrameDecoder,
  FrameError,
  frameHeader,
  MemoryBudget,
} from "../../src/wire/grpc-frames.js";

const messages = [Buffer.from("first"), Buffer.alloc(0), Buffer.alloc(70_000, 7), Buffer.from("z")];
const body = Buffer.concat(messages.map(encodeFrame));

test("encodeFrame writes flag 0 and a big-endian length before the bytes", (t) => {
  t.deepEqual([...encodeFrame(Buffer.from("ab"))], [0, 0, 0, 0, 2, 97, 98]);
  t.deepEqual([...encodeFrame(Buffer.alloc(0))], [0, 0, 0, 0, 0]);
  t.is(encodeFrame(Buffer.alloc(0x01_02_03)).readUInt32BE(1), 0x01_02_03);
});

test("messages packed into one chunk all come out, in order", (t) => {
  const decoder = new FrameDecoder(1 << 20);
  t.deepEqual(decoder.push(body), messages);
  t.true(decoder.idle);
});

test("messages split at every possible point come out whole", (t) => {
  for (const size of [1, 2, 3, 4, 5, 6, 7, 11, 4096, 65_535]) {
    const decoder = new FrameDecoder(1 << 20);
    const out: Buffer[] = [];
    for (let at = 0; at < body.length; at += size) {
      out.push(...decoder.push(body.subarray(at, at + size)));
    }
    t.deepEqual(out, messages, `chunks of ${size} bytes`);
    t.true(decoder.idle);
  }
});

test("a chunk ending inside a prefix or a message leaves the decoder busy", (t) => {
  const decoder = new FrameDecoder(1 << 20);
  t.deepEqual(decoder.push(body.subarray(0, 3)), []);
  t.false(decoder.idle);
  t.deepEqual(decoder.push(body.subarray(3, 8)), []);
  t.false(decoder.idle);
  t.deepEqual(decoder.push(body.subarray(8, 10)), [Buffer.from("first")]);
});

test("a message larger than the limit is refused from its prefix, with grpc-js's wording", (t) => {
  const decoder = new FrameDecoder(100);
  t.deepEqual(decoder.push(encodeFrame(Buffer.alloc(100))), [Buffer.alloc(100)]);
  const err = t.throws(() => decoder.push(encodeFrame(Buffer.alloc(101)).subarray(0, 5)), {
    instanceOf: FrameError,
  });
  t.is(err.kind, "too-large");
  t.is(err.message, "Received message larger than max (101 vs 100)");
});

test("a compressed message is refused", (t) => {
  const frame = encodeFrame(Buffer.from("gzipped?"));
  frame[0] = 1;
  const err = t.throws(() => new FrameDecoder(1 << 20).push(frame), { instanceOf: FrameError });
  t.is(err.kind, "compressed");
});

test("grpc-message is percent-encoded as the gRPC spec says", (t) => {
  t.is(percentEncode("plain text: ok (1/2)"), "plain text: ok (1/2)");
  t.is(percentEncode("100%"), "100%25");
  t.is(percentEncode("a\nb\tc"), "a%0Ab%09c");
  t.is(percentEncode("café ✓"), "caf%C3%A9 %E2%9C%93");
  for (const s of ["100% naïve\r\n日本語 🙂", "%%41", "~`!@#$^&*()[]{}"]) {
    t.is(decodeURIComponent(percentEncode(s)), s);
  }
});

test("grpc-timeout values parse in every unit; malformed ones do not", (t) => {
  t.is(parseTimeout("2H"), 7_200_000);
  t.is(parseTimeout("3M"), 180_000);
  t.is(parseTimeout("4S"), 4000);
  t.is(parseTimeout("250m"), 250);
  t.is(parseTimeout("5000u"), 5);
  t.is(parseTimeout("7000000n"), 7);
  t.is(parseTimeout("99999999S"), 99_999_999_000);
  for (const bad of ["", "10", "S", "123456789S", "1x", "-1S", "1.5S"]) {
    t.is(parseTimeout(bad), undefined, bad);
  }
});

test("a partial message holds only the bytes received, not the length its prefix announces", (t) => {
  const decoder = new FrameDecoder(64 << 20);
  const before = process.memoryUsage().arrayBuffers;
  t.deepEqual(decoder.push(Buffer.concat([frameHeader(60 << 20), Buffer.alloc(10)])), []);
  t.is(decoder.bufferedBytes, 10);
  t.true(process.memoryUsage().arrayBuffers - before < 1 << 20);
  decoder.dispose();
  t.true(decoder.idle);
});

test("decoders sharing a budget are refused past it, and give bytes back when done or disposed", (t) => {
  const budget = new MemoryBudget(100);
  const a = new FrameDecoder(1000, budget);
  const b = new FrameDecoder(1000, budget);
  a.push(Buffer.concat([frameHeader(80), Buffer.alloc(60)]));
  b.push(Buffer.concat([frameHeader(50), Buffer.alloc(40)]));
  t.is(budget.inUse, 100);
  const err = t.throws(() => b.push(Buffer.alloc(1)), { instanceOf: FrameError });
  t.is(err.kind, "out-of-memory");
  t.is(
    err.message,
    "Partly received messages on this connection exceed the session memory limit of 100 bytes",
  );
  a.dispose();
  t.is(budget.inUse, 40);
  t.deepEqual(b.push(Buffer.alloc(10, 2)), [
    Buffer.concat([Buffer.alloc(40), Buffer.alloc(10, 2)]),
  ]);
  t.is(budget.inUse, 0);
});

test("an ack wait is whole milliseconds within a timer's range, whatever the deadline", (t) => {
  t.is(ackTimeoutMs(1000.000001, 0), 1001);
  t.is(ackTimeoutMs(99.999999, 0), 100);
  t.is(ackTimeoutMs(99_999_999 * 3_600_000, 0), 2 ** 31 - 1);
  t.is(ackTimeoutMs(-5, 0), 0);
  t.is(ackTimeoutMs(Number.POSITIVE_INFINITY, 0), 5000);
});
