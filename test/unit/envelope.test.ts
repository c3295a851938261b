import test from "ava";
import { decodeAck, encodeAck } from "../../src/wire/api.js";
import { crc32c } from "../../src/wire/crc32c.js";
import { decodeEnvelope, encodeEnvelope, isEnvelope, MsgType } from "../../src/wire/envelope.js";

const text = (s: string) => new TextEncoder().encode(s);
const MAGIC = [0xb9, 0x0e, 0x43, 0xb4];

/** Deterministic pseudo-random bytes (mulberry32), so a failure replays identically. */
function randomBytes(seed: number, length: number): Uint8Array {
  let state = seed >>> 0;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    out[i] = (x ^ (x >>> 14)) & 0xff;
  }
  return out;
}

test("crc32c matches the Castagnoli check value and continues across buffers", (t) => {
  t.is(crc32c(text("123456789")), 0xe3069283);
  t.is(crc32c(new Uint8Array(0)), 0);
  const whole = text("hello, liftbridge");
  const framed = new Uint8Array(whole.length + 6);
  framed.set(whole, 3);
  t.is(crc32c(framed.subarray(3, 3 + whole.length)), crc32c(whole), "views are hashed in place");
  t.is(crc32c(whole.subarray(7), crc32c(whole.subarray(0, 7))), crc32c(whole));
  t.is(crc32c(Buffer.from(whole)), crc32c(whole));
});

test("MsgType numbers follow the envelope protocol table", (t) => {
  t.is(MsgType.Publish, 0);
  t.is(MsgType.Ack, 1);
  t.is(MsgType.ReplicationRequest, 2);
  t.is(MsgType.ReplicationResponse, 3);
  t.is(MsgType.RaftJoinRequest, 4);
  t.is(MsgType.RaftJoinResponse, 5);
  t.is(MsgType.LeaderEpochOffsetRequest, 6);
  t.is(MsgType.LeaderEpochOffsetResponse, 7);
  t.is(MsgType.PropagatedRequest, 8);
  t.is(MsgType.PropagatedResponse, 9);
  t.is(MsgType.ServerInfoRequest, 10);
  t.is(MsgType.ServerInfoResponse, 11);
  t.is(MsgType.PartitionStatusRequest, 12);
  t.is(MsgType.PartitionStatusResponse, 13);
  t.is(MsgType.PartitionNotification, 14);
});

test("with CRC: 12-byte header, flag bit 0, big-endian CRC-32C of the payload", (t) => {
  const payload = text("123456789");
  const framed = encodeEnvelope(MsgType.Ack, payload);
  t.deepEqual(
    [...framed.subarray(0, 12)],
    [...MAGIC, 0x00, 12, 0x01, MsgType.Ack, 0xe3, 0x06, 0x92, 0x83],
  );
  t.deepEqual(framed.subarray(12), payload);
  const decoded = decodeEnvelope(framed);
  t.is(decoded?.type, MsgType.Ack);
  t.deepEqual(decoded?.payload, payload);
});

test("without CRC: 8-byte header, no flags, as go-liftbridge publishes", (t) => {
  const payload = text("value");
  const framed = encodeEnvelope(MsgType.Publish, payload, false);
  t.deepEqual([...framed.subarray(0, 8)], [...MAGIC, 0x00, 8, 0x00, MsgType.Publish]);
  const decoded = decodeEnvelope(framed);
  t.is(decoded?.type, MsgType.Publish);
  t.deepEqual(decoded?.payload, payload);
});

test("round-trips every message type, empty and binary payloads, CRC on and off", (t) => {
  for (const type of Object.values(MsgType)) {
    for (const payload of [new Uint8Array(0), randomBytes(type + 1, 300), Uint8Array.of(0xb9)]) {
      for (const withCrc of [true, false]) {
        const decoded = decodeEnvelope(encodeEnvelope(type, payload, withCrc));
        t.deepEqual(decoded, { type, payload }, `type ${type}, crc ${withCrc}`);
      }
    }
  }
});

test("an Ack framed by us decodes back through the Ack codec", (t) => {
  const ack = { stream: "s", offset: 41, correlationId: "c", commitTimestamp: 1n << 62n };
  const decoded = decodeEnvelope(encodeEnvelope(MsgType.Ack, encodeAck(ack)));
  t.is(decoded?.type, MsgType.Ack);
  t.like(decodeAck(decoded!.payload), ack);
});

test("the decoded payload is a view of the input, not a copy", (t) => {
  const framed = encodeEnvelope(MsgType.Publish, text("abc"));
  const decoded = decodeEnvelope(framed)!;
  t.is(decoded.payload.buffer, framed.buffer);
  t.is(decoded.payload.byteOffset, framed.byteOffset + 12);
});

test("a header longer than 8 bytes without CRC puts the payload at the header length", (t) => {
  // Upstream takes HeaderLen as the payload offset; only a CRC pins it to 12.
  const framed = Uint8Array.of(...MAGIC, 0x00, 10, 0x00, MsgType.Publish, 0xaa, 0xbb, 1, 2);
  t.deepEqual(decodeEnvelope(framed), { type: MsgType.Publish, payload: Uint8Array.of(1, 2) });
});

test("invalid envelopes decode to undefined", (t) => {
  const good = encodeEnvelope(MsgType.Publish, text("payload"));
  const variant = (change: (b: Uint8Array) => void) => {
    const copy = good.slice();
    change(copy);
    return copy;
  };
  const invalid: Record<string, Uint8Array> = {
    empty: new Uint8Array(0),
    "magic only": Uint8Array.from(MAGIC),
    "seven header bytes": good.subarray(0, 7),
    "wrong magic": variant((b) => {
      b[3] = 0xb5;
    }),
    "unknown version": variant((b) => {
      b[4] = 0x01;
    }),
    "header length below 8": variant((b) => {
      b[5] = 7;
    }),
    "header length beyond the buffer": variant((b) => {
      b[5] = 200;
    }),
    "CRC flag with an 8-byte header": variant((b) => {
      b[5] = 8;
    }),
    "CRC flag with a 13-byte header": variant((b) => {
      b[5] = 13;
    }),
    "payload bit flip": variant((b) => {
      b[14] ^= 0x10;
    }),
    "CRC bit flip": variant((b) => {
      b[9] ^= 0x01;
    }),
    "CRC flag set on an envelope without CRC": (() => {
      const plain = encodeEnvelope(MsgType.Publish, text("payload"), false);
      plain[6] = 0x01;
      return plain;
    })(),
    "plain text": text("just a plain NATS message"),
  };
  for (const [name, buf] of Object.entries(invalid)) {
    t.is(decodeEnvelope(buf), undefined, name);
  }
});

test("every truncation of a CRC envelope is rejected", (t) => {
  const good = encodeEnvelope(MsgType.Ack, randomBytes(7, 64));
  for (let n = 0; n < good.length; n++) {
    t.is(decodeEnvelope(good.subarray(0, n)), undefined, `length ${n}`);
  }
});

test("random bytes never decode and never throw, even behind a valid magic", (t) => {
  let accepted = 0;
  for (let seed = 1; seed <= 2000; seed++) {
    const noise = randomBytes(seed, 1 + (seed % 97));
    t.is(decodeEnvelope(noise), undefined);
    // Behind the magic and version 0, random bytes must still fail the CRC or header checks.
    const framed = Uint8Array.of(...MAGIC, 0x00, 12, 0x01, ...noise);
    if (decodeEnvelope(framed) !== undefined) accepted++;
  }
  t.is(accepted, 0);
});

test("isEnvelope checks only the magic number", (t) => {
  t.true(isEnvelope(encodeEnvelope(MsgType.Publish, new Uint8Array(0), false)));
  t.true(isEnvelope(Uint8Array.of(...MAGIC, 0xff, 0xff, 0xff, 0xff)));
  t.false(isEnvelope(Uint8Array.from(MAGIC)));
  t.false(isEnvelope(text("not an envelope")));
});

test("encodeEnvelope rejects a message type that does not fit a byte", (t) => {
  t.throws(() => encodeEnvelope(256, new Uint8Array(0)), { message: /message type: got 256/ });
  t.throws(() => encodeEnvelope(-1, new Uint8Array(0)), { message: /message type: got -1/ });
});
