/**
 * Hand-rolled encoders for `proto.Message`, the one message encoded for every record the broker
 * ingests and serves. It is written straight into a slab rather than through google-protobuf's
 * BinaryWriter, which builds byte arrays and then copies them into a fresh buffer. The output is
 * the canonical encoding (fields in number order, proto3 defaults omitted), byte for byte what
 * other protobuf encoders produce.
 */
import type { Message, MessageInit } from "./api.js";

/*
 * Output is carved out of shared slabs: allocating a typed array over 64 bytes costs about a
 * microsecond in V8 (an off-heap backing store), more than the whole encoding. Each encoding
 * writes at the free end of the current slab and is returned as a view; a slab that runs out
 * is replaced, copying only the bytes of the encoding in progress. Views keep their slab alive,
 * as Node's own Buffer pool does.
 */
const SLAB_SIZE = 32 * 1024;
let slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
let slabBytes = new Uint8Array(slab.buffer, slab.byteOffset, slab.length);
/** Where the encoding in progress starts in the current slab. */
let start = 0;

/** Makes room for `extra` more bytes at `pos`; returns `pos` in the (possibly new) slab. */
function ensure(pos: number, extra: number): number {
  if (pos + extra <= slab.length) return pos;
  const written = pos - start;
  const next = Buffer.allocUnsafeSlow(SLAB_SIZE + written + extra);
  slab.copy(next, 0, start, pos);
  slab = next;
  slabBytes = new Uint8Array(next.buffer, next.byteOffset, next.length);
  start = 0;
  return written;
}

/** Ends the encoding in progress at `pos` and returns it as a plain Uint8Array view. */
function finish(pos: number): Uint8Array {
  const out = slabBytes.subarray(start, pos);
  start = pos;
  return out;
}

/** Writes a varint of the 64-bit value hi:lo (both uint32) at `pos`; returns the new position. */
function putVarint64(buf: Uint8Array, pos: number, lo: number, hi: number): number {
  while (hi !== 0 || lo > 0x7f) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  buf[pos++] = lo;
  return pos;
}

function putVarint32(buf: Uint8Array, pos: number, value: number): number {
  while (value > 0x7f) {
    buf[pos++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[pos++] = value;
  return pos;
}

function varint32Size(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

/** An int32/enum: negative values are sign-extended to ten bytes, as protobuf requires. */
function putInt32(buf: Uint8Array, pos: number, value: number): number {
  return value >= 0 ? putVarint32(buf, pos, value) : putVarint64(buf, pos, value >>> 0, 0xffffffff);
}

/** A safe integer as a two's complement int64 varint (so -1 is ten bytes). */
function putInt64Number(buf: Uint8Array, pos: number, value: number): number {
  const magnitude = Math.abs(value);
  let lo = magnitude >>> 0;
  let hi = Math.floor(magnitude / 0x100000000) >>> 0;
  if (value < 0) {
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  return putVarint64(buf, pos, lo, hi);
}

function putInt64BigInt(buf: Uint8Array, pos: number, value: bigint): number {
  const bits = BigInt.asUintN(64, value);
  return putVarint64(buf, pos, Number(bits & 0xffffffffn), Number(bits >> 32n));
}

function checkInt64(name: string, value: number): void {
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`${name}: got ${value}, expected a safe integer`);
  }
}

function checkInt32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
    throw new RangeError(`${name}: got ${value}, expected an int32`);
  }
}

function checkBytes(name: string, value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${name}: expected a Uint8Array, got ${typeof value}`);
  }
}

/**
 * Writes `value` as UTF-8 at `pos`, returning the new position. Short ASCII strings (subjects,
 * inboxes, ids) are copied byte by byte, which beats Buffer#write's call overhead; anything else
 * goes through Buffer#write. The caller has made room for Buffer.byteLength(value) bytes.
 */
function putUtf8(pos: number, value: string, byteLength: number): number {
  if (byteLength === value.length && byteLength <= 64) {
    for (let i = 0; i < byteLength; i++) slab[pos++] = value.charCodeAt(i);
    return pos;
  }
  return pos + slab.write(value, pos, byteLength, "utf8");
}

/** Tag, length and UTF-8 bytes of a non-empty string field. */
function putString(pos: number, tag: number, value: string): number {
  const length = Buffer.byteLength(value, "utf8");
  pos = ensure(pos, 12 + length);
  pos = putVarint32(slab, pos, tag);
  pos = putVarint32(slab, pos, length);
  return putUtf8(pos, value, length);
}

function putBytes(pos: number, tag: number, value: Uint8Array): number {
  pos = ensure(pos, 12 + value.length);
  pos = putVarint32(slab, pos, tag);
  pos = putVarint32(slab, pos, value.length);
  slab.set(value, pos);
  return pos + value.length;
}

/** map<string, bytes>: one entry sub-message {1: key, 2: value} per header. */
function putHeaders(
  pos: number,
  tag: number,
  headers: { [key: string]: Uint8Array | undefined },
): number {
  for (const key of Object.keys(headers)) {
    const value = headers[key];
    if (value === undefined) continue;
    checkBytes(`Message.headers[${JSON.stringify(key)}]`, value);
    const keyLength = Buffer.byteLength(key, "utf8");
    const entryLength =
      2 + varint32Size(keyLength) + keyLength + varint32Size(value.length) + value.length;
    pos = ensure(pos, 10 + entryLength);
    pos = putVarint32(slab, pos, tag);
    pos = putVarint32(slab, pos, entryLength);
    slab[pos++] = 0x0a;
    pos = putVarint32(slab, pos, keyLength);
    pos = putUtf8(pos, key, keyLength);
    slab[pos++] = 0x12;
    pos = putVarint32(slab, pos, value.length);
    slab.set(value, pos);
    pos += value.length;
  }
  return pos;
}

/** Room for any fixed-size field: a tag plus a ten-byte varint, with margin. */
const FIXED_FIELD_ROOM = 16;

export function encodeMessageFast(m: MessageInit<Message>): Uint8Array {
  let pos = start;
  if (m.offset) {
    checkInt64("Message.offset", m.offset);
    pos = ensure(pos, FIXED_FIELD_ROOM);
    slab[pos++] = 0x08;
    pos = putInt64Number(slab, pos, m.offset);
  }
  if (m.key != null && m.key.length > 0) {
    checkBytes("Message.key", m.key);
    pos = putBytes(pos, 0x12, m.key);
  }
  if (m.value != null && m.value.length > 0) {
    checkBytes("Message.value", m.value);
    pos = putBytes(pos, 0x1a, m.value);
  }
  if (m.timestamp) {
    pos = ensure(pos, FIXED_FIELD_ROOM);
    slab[pos++] = 0x20;
    pos = putInt64BigInt(slab, pos, m.timestamp);
  }
  if (m.stream) pos = putString(pos, 0x2a, m.stream);
  if (m.partition) {
    checkInt32("Message.partition", m.partition);
    pos = ensure(pos, FIXED_FIELD_ROOM);
    slab[pos++] = 0x30;
    pos = putInt32(slab, pos, m.partition);
  }
  if (m.subject) pos = putString(pos, 0x3a, m.subject);
  if (m.replySubject) pos = putString(pos, 0x42, m.replySubject);
  if (m.headers) pos = putHeaders(pos, 0x4a, m.headers);
  if (m.ackInbox) pos = putString(pos, 0x52, m.ackInbox);
  if (m.correlationId) pos = putString(pos, 0x5a, m.correlationId);
  if (m.ackPolicy) {
    pos = ensure(pos, FIXED_FIELD_ROOM);
    slab[pos++] = 0x60;
    pos = putInt32(slab, pos, m.ackPolicy);
  }
  return finish(pos);
}

// The server stores a Message body without fields 1, 4, 5 and 6 and prefixes them when it
// serves the record. Protobuf parsers merge concatenated encodings, so concat(prefix, body)
// decodes as the full Message.

const streamNameCache = new Map<string, Uint8Array>();
const STREAM_NAME_CACHE_LIMIT = 4096;

function streamNameBytes(stream: string): Uint8Array {
  let bytes = streamNameCache.get(stream);
  if (bytes === undefined) {
    if (streamNameCache.size >= STREAM_NAME_CACHE_LIMIT) streamNameCache.clear();
    bytes = Buffer.from(stream, "utf8");
    streamNameCache.set(stream, bytes);
  }
  return bytes;
}

/**
 * The encoding of Message fields offset (1), timestamp (4), stream (5) and partition (6), each
 * omitted at its default, to be concatenated in front of a stored Message body.
 */
export function encodeMessageEnvelopeFields(
  offset: number,
  timestamp: bigint,
  stream: string,
  partition: number,
): Uint8Array {
  checkInt64("Message.offset", offset);
  checkInt32("Message.partition", partition);
  const name = streamNameBytes(stream);
  let pos = ensure(start, 4 * FIXED_FIELD_ROOM + name.length);
  if (offset !== 0) {
    slab[pos++] = 0x08;
    pos = putInt64Number(slab, pos, offset);
  }
  if (timestamp !== 0n) {
    slab[pos++] = 0x20;
    pos = putInt64BigInt(slab, pos, timestamp);
  }
  if (name.length > 0) {
    slab[pos++] = 0x2a;
    pos = putVarint32(slab, pos, name.length);
    slab.set(name, pos);
    pos += name.length;
  }
  if (partition !== 0) {
    slab[pos++] = 0x30;
    pos = putInt32(slab, pos, partition);
  }
  return finish(pos);
}
