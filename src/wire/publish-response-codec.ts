/**
 * A hand-rolled encoder for `proto.PublishResponse`, the message the broker writes for every
 * acked publish. google-protobuf's BinaryWriter took about 5 µs per ack (a writer, its byte
 * arrays and a copy into a fresh buffer each time); this sizes the message first and writes it
 * once into a pooled Buffer. The output is the canonical encoding, byte for byte what
 * `encodePublishResponse` produces (fields in number order, proto3 defaults omitted).
 */
import type { Ack, MessageInit, PublishResponse } from "./api.js";

const TWO_32 = 2 ** 32;

/** Bytes of a varint holding the unsigned 64-bit value hi:lo. */
function splitVarintSize(lo: number, hi: number): number {
  let size = 1;
  while (hi !== 0) {
    size++;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  while (lo > 127) {
    size++;
    lo >>>= 7;
  }
  return size;
}

function writeSplitVarint(buf: Buffer, pos: number, lo: number, hi: number): number {
  while (hi !== 0) {
    buf[pos++] = (lo & 127) | 128;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  while (lo > 127) {
    buf[pos++] = (lo & 127) | 128;
    lo >>>= 7;
  }
  buf[pos++] = lo;
  return pos;
}

/** The low and high 32 bits of an integer as int64 two's complement. */
function numberBits(value: number): [number, number] {
  return [value >>> 0, Math.floor(value / TWO_32) >>> 0];
}

function bigintBits(value: bigint): [number, number] {
  const u = BigInt.asUintN(64, value);
  return [Number(u & 0xffffffffn), Number(u >> 32n)];
}

function lengthSize(length: number): number {
  return length < 0x80
    ? 1
    : length < 0x4000
      ? 2
      : length < 0x200000
        ? 3
        : length < 0x10000000
          ? 4
          : 5;
}

/** Bytes of string field `value` (tag, length, UTF-8), 0 when it is empty (omitted). */
function stringSize(value: string | undefined, bytes: number): number {
  return value ? 1 + lengthSize(bytes) + bytes : 0;
}

function utf8Length(value: string | undefined): number {
  return value ? Buffer.byteLength(value) : 0;
}

function writeString(buf: Buffer, pos: number, tag: number, value: string, bytes: number): number {
  buf[pos++] = tag;
  pos = writeSplitVarint(buf, pos, bytes, 0);
  return pos + buf.write(value, pos);
}

/** An int64 field's bits, kept between sizing and writing (one ack's fields at a time). */
const bits = new Array<number>(8).fill(0);

function ackSize(ack: MessageInit<Ack>, lengths: number[]): number {
  let size = 0;
  lengths[0] = utf8Length(ack.stream);
  size += stringSize(ack.stream, lengths[0]);
  lengths[1] = utf8Length(ack.partitionSubject);
  size += stringSize(ack.partitionSubject, lengths[1]);
  lengths[2] = utf8Length(ack.msgSubject);
  size += stringSize(ack.msgSubject, lengths[2]);
  lengths[3] = utf8Length(ack.ackInbox);
  size += stringSize(ack.ackInbox, lengths[3]);
  lengths[4] = utf8Length(ack.correlationId);
  size += stringSize(ack.correlationId, lengths[4]);
  if (ack.offset) {
    [bits[0], bits[1]] = numberBits(ack.offset);
    size += 1 + splitVarintSize(bits[0]!, bits[1]!);
  }
  if (ack.ackPolicy) size += 1 + splitVarintSize(...numberBits(ack.ackPolicy));
  if (ack.receptionTimestamp) {
    [bits[2], bits[3]] = bigintBits(ack.receptionTimestamp);
    size += 1 + splitVarintSize(bits[2]!, bits[3]!);
  }
  if (ack.commitTimestamp) {
    [bits[4], bits[5]] = bigintBits(ack.commitTimestamp);
    size += 1 + splitVarintSize(bits[4]!, bits[5]!);
  }
  if (ack.ackError) size += 1 + splitVarintSize(...numberBits(ack.ackError));
  return size;
}

function writeAck(buf: Buffer, pos: number, ack: MessageInit<Ack>, lengths: number[]): number {
  if (ack.stream) pos = writeString(buf, pos, 0x0a, ack.stream, lengths[0]!);
  if (ack.partitionSubject) pos = writeString(buf, pos, 0x12, ack.partitionSubject, lengths[1]!);
  if (ack.msgSubject) pos = writeString(buf, pos, 0x1a, ack.msgSubject, lengths[2]!);
  if (ack.offset) {
    buf[pos++] = 0x20;
    pos = writeSplitVarint(buf, pos, bits[0]!, bits[1]!);
  }
  if (ack.ackInbox) pos = writeString(buf, pos, 0x2a, ack.ackInbox, lengths[3]!);
  if (ack.correlationId) pos = writeString(buf, pos, 0x32, ack.correlationId, lengths[4]!);
  if (ack.ackPolicy) {
    buf[pos++] = 0x38;
    pos = writeSplitVarint(buf, pos, ...numberBits(ack.ackPolicy));
  }
  if (ack.receptionTimestamp) {
    buf[pos++] = 0x40;
    pos = writeSplitVarint(buf, pos, bits[2]!, bits[3]!);
  }
  if (ack.commitTimestamp) {
    buf[pos++] = 0x48;
    pos = writeSplitVarint(buf, pos, bits[4]!, bits[5]!);
  }
  if (ack.ackError) {
    buf[pos++] = 0x50;
    pos = writeSplitVarint(buf, pos, ...numberBits(ack.ackError));
  }
  return pos;
}

const ackLengths = [0, 0, 0, 0, 0];

export function encodePublishResponseFast(m: MessageInit<PublishResponse>): Buffer {
  const { ack, asyncError, correlationId } = m;
  const ackBytes = ack == null ? 0 : ackSize(ack, ackLengths);
  let errorBytes = 0;
  let messageBytes = 0;
  if (asyncError != null) {
    messageBytes = utf8Length(asyncError.message);
    errorBytes =
      (asyncError.code ? 1 + splitVarintSize(...numberBits(asyncError.code)) : 0) +
      stringSize(asyncError.message, messageBytes);
  }
  const correlationBytes = utf8Length(correlationId);
  const size =
    (ack == null ? 0 : 1 + lengthSize(ackBytes) + ackBytes) +
    (asyncError == null ? 0 : 1 + lengthSize(errorBytes) + errorBytes) +
    stringSize(correlationId, correlationBytes);
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  if (ack != null) {
    buf[pos++] = 0x0a;
    pos = writeSplitVarint(buf, pos, ackBytes, 0);
    pos = writeAck(buf, pos, ack, ackLengths);
  }
  if (asyncError != null) {
    buf[pos++] = 0x12;
    pos = writeSplitVarint(buf, pos, errorBytes, 0);
    if (asyncError.code) {
      buf[pos++] = 0x08;
      pos = writeSplitVarint(buf, pos, ...numberBits(asyncError.code));
    }
    if (asyncError.message) pos = writeString(buf, pos, 0x12, asyncError.message, messageBytes);
  }
  if (correlationId) writeString(buf, pos, 0x1a, correlationId, correlationBytes);
  return buf;
}
