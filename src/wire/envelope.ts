import { crc32c } from "./crc32c.js";

/**
 * Liftbridge envelope framing for everything sent over NATS:
 * magic (4) | version (1) | header length (1) | flags (1) | message type (1) | [CRC-32C (4)] | payload.
 * The CRC, when flag bit 0 is set, covers the payload only and is stored big-endian.
 */

/** Message types carried in an envelope; the payload is the protobuf of that type. */
export const MsgType = {
  Publish: 0,
  Ack: 1,
  ReplicationRequest: 2,
  ReplicationResponse: 3,
  RaftJoinRequest: 4,
  RaftJoinResponse: 5,
  LeaderEpochOffsetRequest: 6,
  LeaderEpochOffsetResponse: 7,
  PropagatedRequest: 8,
  PropagatedResponse: 9,
  ServerInfoRequest: 10,
  ServerInfoResponse: 11,
  PartitionStatusRequest: 12,
  PartitionStatusResponse: 13,
  PartitionNotification: 14,
} as const;
export type MsgType = (typeof MsgType)[keyof typeof MsgType];

export const ENVELOPE_MAGIC = Uint8Array.of(0xb9, 0x0e, 0x43, 0xb4);
export const ENVELOPE_VERSION = 0x00;
/** Header length without the optional CRC. */
export const ENVELOPE_MIN_HEADER_LENGTH = 8;
/** Header length with the CRC-32C; upstream accepts a CRC only at exactly this length. */
export const ENVELOPE_CRC_HEADER_LENGTH = 12;
const FLAG_CRC = 0x01;

export interface Envelope {
  type: number;
  /** A view into the decoded buffer, not a copy. */
  payload: Uint8Array;
}

/** Frames `payload` as an envelope of message type `type`, with a CRC-32C of the payload unless told not to. */
export function encodeEnvelope(type: number, payload: Uint8Array, withCrc = true): Uint8Array {
  if (!Number.isInteger(type) || type < 0 || type > 0xff) {
    throw new RangeError(`envelope message type: got ${type}, expected an integer from 0 to 255`);
  }
  const headerLength = withCrc ? ENVELOPE_CRC_HEADER_LENGTH : ENVELOPE_MIN_HEADER_LENGTH;
  // From Node's Buffer pool: a fresh typed array over 64 bytes costs about a microsecond (an
  // off-heap backing store), more than the rest of the encoding. Every byte is written below.
  const pooled = Buffer.allocUnsafe(headerLength + payload.length);
  const out = new Uint8Array(pooled.buffer, pooled.byteOffset, pooled.length);
  out.set(ENVELOPE_MAGIC, 0);
  out[4] = ENVELOPE_VERSION;
  out[5] = headerLength;
  out[6] = withCrc ? FLAG_CRC : 0;
  out[7] = type;
  if (withCrc) {
    const crc = crc32c(payload);
    out[8] = crc >>> 24;
    out[9] = (crc >>> 16) & 0xff;
    out[10] = (crc >>> 8) & 0xff;
    out[11] = crc & 0xff;
  }
  out.set(payload, headerLength);
  return out;
}

/** Cheap check of the magic number only: does `buf` claim to be an envelope? */
export function isEnvelope(buf: Uint8Array): boolean {
  return (
    buf.length >= ENVELOPE_MIN_HEADER_LENGTH &&
    buf[0] === 0xb9 &&
    buf[1] === 0x0e &&
    buf[2] === 0x43 &&
    buf[3] === 0xb4
  );
}

/**
 * Unwraps an envelope, or returns undefined when `buf` is not a valid one: too short, wrong
 * magic or version, a header length outside [8, buf.length], a CRC flag with a header length
 * other than 12, or a CRC that does not match the payload. Never throws.
 */
export function decodeEnvelope(buf: Uint8Array): Envelope | undefined {
  if (!isEnvelope(buf) || buf[4] !== ENVELOPE_VERSION) return undefined;
  const headerLength = buf[5];
  if (headerLength < ENVELOPE_MIN_HEADER_LENGTH || headerLength > buf.length) return undefined;
  const payload = buf.subarray(headerLength);
  if ((buf[6] & FLAG_CRC) !== 0) {
    if (headerLength !== ENVELOPE_CRC_HEADER_LENGTH) return undefined;
    const expected = ((buf[8] << 24) | (buf[9] << 16) | (buf[10] << 8) | buf[11]) >>> 0;
    if (crc32c(payload) !== expected) return undefined;
  }
  return { type: buf[7], payload };
}
