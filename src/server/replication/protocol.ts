import {
  decodeEnvelope,
  ENVELOPE_MAGIC,
  ENVELOPE_MIN_HEADER_LENGTH,
  ENVELOPE_VERSION,
  MsgType,
} from "../../wire/envelope.js";

/**
 * The partition replication messages followers and leaders exchange over NATS. Each is a
 * Liftbridge envelope (no CRC: NATS delivers a message whole or not at all) whose message type
 * says what it is, around a fixed big-endian layout. Integers are 8-byte signed, strings a
 * 2-byte length then UTF-8, records as stored in the log. Decoding checks every length and
 * throws ReplicationProtocolError on anything malformed.
 */

export class ReplicationProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReplicationProtocolError";
  }
}

/** "Send me what follows `fetchOffset`": the follower has every record below it. */
export interface FetchRequest {
  replicaId: string;
  /** The follower's log end: the next offset it needs. */
  fetchOffset: number;
  /** The leader epoch the follower believes is current. */
  leaderEpoch: number;
  /**
   * Set by a follower repairing a damaged range of its log: "send me the records from
   * `fetchOffset` up to this offset". Such a fetch says nothing of how far the follower is
   * (it is not counted for the ISR or the high watermark) and is answered at once.
   */
  repairTo?: number;
}

export interface ReplicatedRecord {
  offset: number;
  /** Nanoseconds since the epoch. */
  timestamp: bigint;
  leaderEpoch: number;
  /** The stored body; a view into the message it was decoded from. */
  body: Uint8Array;
}

export type ReplicationErrorCode = "not_leader" | "stale_epoch" | "out_of_range";

/** A refusal: why, the leader epoch the answering broker is in, and a readable reason. */
export interface ReplicationError {
  ok: false;
  code: ReplicationErrorCode;
  leaderEpoch: number;
  /** The leader's oldest offset (-1 unknown): a follower behind it must restart its log there. */
  logStartOffset: number;
  message: string;
}

export type FetchResponse =
  | {
      ok: true;
      leaderEpoch: number;
      /** The leader's high watermark (-1: nothing committed). */
      highWatermark: number;
      /** In offset order; empty when the follower is caught up. */
      records: ReplicatedRecord[];
    }
  | ReplicationError;

/** "Where does `epoch` end in your log?" (truncation by leader epoch, KIP-101). */
export interface EpochOffsetRequest {
  replicaId: string;
  epoch: number;
  /** The leader epoch the follower knows: only the leader of that epoch answers. */
  leaderEpoch: number;
  /**
   * The follower's high watermark: records up to it were committed. A leader whose log ends
   * below it has lost committed records and must step down.
   */
  highWatermark?: number;
}

export type EpochOffsetResponse =
  | {
      ok: true;
      /** The largest epoch <= the requested one the leader has; -1 if it has none. */
      epoch: number;
      /** Where that epoch ends: the next epoch's start offset, or the leader's log end. */
      endOffset: number;
      /** The partition's data key wrapped by the master key, for streams encrypted at rest. */
      wrappedDataKey?: Uint8Array;
    }
  | ReplicationError;

/** "New records in this partition": wakes an idle follower. */
export interface PartitionNotification {
  stream: string;
  partition: number;
}

const ERROR_CODES: readonly ReplicationErrorCode[] = ["not_leader", "stale_epoch", "out_of_range"];
const STATUS_OK = 0;
const RECORD_HEADER_BYTES = 8 + 8 + 4 + 4;
const MAX_U16 = 0xffff;
const MAX_U32 = 0xffffffff;
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

export function encodeFetchRequest(req: FetchRequest): Uint8Array {
  const id = encodeString("replicaId", req.replicaId);
  const repair = req.repairTo !== undefined;
  const w = new Writer(MsgType.ReplicationRequest, 16 + 2 + id.length + (repair ? 8 : 0));
  w.int("fetchOffset", req.fetchOffset).int("leaderEpoch", req.leaderEpoch).string(id);
  // Optional trailing field: a plain fetch is laid out as before.
  if (repair) w.int("repairTo", req.repairTo!);
  return w.finish();
}

export function decodeFetchRequest(data: Uint8Array): FetchRequest {
  const r = new Reader(unframe(data, MsgType.ReplicationRequest, "fetch request"), "fetch request");
  const fetchOffset = r.int("fetchOffset");
  const leaderEpoch = r.int("leaderEpoch");
  const replicaId = r.string("replicaId");
  const repairTo = r.remaining > 0 ? r.int("repairTo") : undefined;
  r.end();
  return repairTo === undefined
    ? { replicaId, fetchOffset, leaderEpoch }
    : { replicaId, fetchOffset, leaderEpoch, repairTo };
}

export function encodeFetchResponse(res: FetchResponse): Uint8Array {
  if (!res.ok) return encodeError(MsgType.ReplicationResponse, res);
  let size = 1 + 8 + 8 + 4;
  for (const record of res.records) size += RECORD_HEADER_BYTES + record.body.length;
  const w = new Writer(MsgType.ReplicationResponse, size);
  w.byte(STATUS_OK)
    .int("leaderEpoch", res.leaderEpoch)
    .int("highWatermark", res.highWatermark)
    .u32("record count", res.records.length);
  for (const record of res.records) {
    w.int("record offset", record.offset)
      .bigint("record timestamp", record.timestamp)
      .u32("record leaderEpoch", record.leaderEpoch)
      .u32("record body length", record.body.length)
      .raw(record.body);
  }
  return w.finish();
}

export function decodeFetchResponse(data: Uint8Array): FetchResponse {
  const what = "fetch response";
  const r = new Reader(unframe(data, MsgType.ReplicationResponse, what), what);
  const status = r.byte("status");
  if (status !== STATUS_OK) return decodeError(r, status);
  const leaderEpoch = r.int("leaderEpoch");
  const highWatermark = r.int("highWatermark");
  const count = r.u32("record count");
  // Each record takes at least its header: a count beyond that is garbage, not a huge batch.
  if (count * RECORD_HEADER_BYTES > r.remaining) {
    throw new ReplicationProtocolError(
      `${what}: record count ${count} needs at least ${count * RECORD_HEADER_BYTES} bytes, only ${r.remaining} left`,
    );
  }
  const records: ReplicatedRecord[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const offset = r.int(`records[${i}].offset`);
    const timestamp = r.bigint(`records[${i}].timestamp`);
    const recordEpoch = r.u32(`records[${i}].leaderEpoch`);
    const body = r.bytes(`records[${i}].body`, r.u32(`records[${i}].body length`));
    records[i] = { offset, timestamp, leaderEpoch: recordEpoch, body };
  }
  r.end();
  return { ok: true, leaderEpoch, highWatermark, records };
}

export function encodeEpochOffsetRequest(req: EpochOffsetRequest): Uint8Array {
  const id = encodeString("replicaId", req.replicaId);
  const known = req.highWatermark !== undefined;
  const w = new Writer(MsgType.LeaderEpochOffsetRequest, 16 + 2 + id.length + (known ? 8 : 0));
  w.int("epoch", req.epoch).int("leaderEpoch", req.leaderEpoch).string(id);
  if (known) w.int("highWatermark", req.highWatermark!);
  return w.finish();
}

export function decodeEpochOffsetRequest(data: Uint8Array): EpochOffsetRequest {
  const what = "epoch offset request";
  const r = new Reader(unframe(data, MsgType.LeaderEpochOffsetRequest, what), what);
  const epoch = r.int("epoch");
  const leaderEpoch = r.int("leaderEpoch");
  const replicaId = r.string("replicaId");
  const highWatermark = r.remaining > 0 ? r.int("highWatermark") : undefined;
  r.end();
  return highWatermark === undefined
    ? { replicaId, epoch, leaderEpoch }
    : { replicaId, epoch, leaderEpoch, highWatermark };
}

export function encodeEpochOffsetResponse(res: EpochOffsetResponse): Uint8Array {
  if (!res.ok) return encodeError(MsgType.LeaderEpochOffsetResponse, res);
  const key = res.wrappedDataKey ?? new Uint8Array(0);
  if (key.length > MAX_U16) {
    throw new RangeError(`wrappedDataKey is ${key.length} bytes, expected at most ${MAX_U16}`);
  }
  const w = new Writer(MsgType.LeaderEpochOffsetResponse, 1 + 16 + 2 + key.length);
  w.byte(STATUS_OK)
    .int("epoch", res.epoch)
    .int("endOffset", res.endOffset)
    .u16(key.length)
    .raw(key);
  return w.finish();
}

export function decodeEpochOffsetResponse(data: Uint8Array): EpochOffsetResponse {
  const what = "epoch offset response";
  const r = new Reader(unframe(data, MsgType.LeaderEpochOffsetResponse, what), what);
  const status = r.byte("status");
  if (status !== STATUS_OK) return decodeError(r, status);
  const epoch = r.int("epoch");
  const endOffset = r.int("endOffset");
  const key = r.bytes("wrappedDataKey", r.u16("wrappedDataKey length"));
  r.end();
  return key.length > 0
    ? { ok: true, epoch, endOffset, wrappedDataKey: key }
    : { ok: true, epoch, endOffset };
}

export function encodePartitionNotification(n: PartitionNotification): Uint8Array {
  const stream = encodeString("stream", n.stream);
  const w = new Writer(MsgType.PartitionNotification, 4 + 2 + stream.length);
  w.u32("partition", n.partition).string(stream);
  return w.finish();
}

export function decodePartitionNotification(data: Uint8Array): PartitionNotification {
  const what = "partition notification";
  const r = new Reader(unframe(data, MsgType.PartitionNotification, what), what);
  const partition = r.u32("partition");
  const stream = r.string("stream");
  r.end();
  return { stream, partition };
}

function encodeError(type: MsgType, err: ReplicationError): Uint8Array {
  const status = ERROR_CODES.indexOf(err.code) + 1;
  if (status === 0) {
    throw new RangeError(
      `error code is ${String(err.code)}, expected one of ${ERROR_CODES.join(", ")}`,
    );
  }
  const message = utf8.encode(err.message).subarray(0, MAX_U16);
  const w = new Writer(type, 1 + 16 + 2 + message.length);
  w.byte(status)
    .int("leaderEpoch", err.leaderEpoch)
    .int("logStartOffset", err.logStartOffset)
    .u16(message.length)
    .raw(message);
  return w.finish();
}

function decodeError(r: Reader, status: number): ReplicationError {
  const code = ERROR_CODES[status - 1];
  if (!code) {
    throw new ReplicationProtocolError(
      `${r.what}: status is ${status}, expected 0 (ok) or 1-${ERROR_CODES.length} (${ERROR_CODES.join(", ")})`,
    );
  }
  const leaderEpoch = r.int("leaderEpoch");
  const logStartOffset = r.int("logStartOffset");
  // An error message cut at 64 KiB may end mid-character: decode it leniently.
  const message = new TextDecoder().decode(r.bytes("message", r.u16("message length")));
  r.end();
  return { ok: false, code, leaderEpoch, logStartOffset, message };
}

function unframe(data: Uint8Array, type: number, what: string): Uint8Array {
  const envelope = decodeEnvelope(data);
  if (!envelope) {
    throw new ReplicationProtocolError(`${what}: not a valid envelope (${data.length} bytes)`);
  }
  if (envelope.type !== type) {
    throw new ReplicationProtocolError(
      `${what}: envelope message type is ${envelope.type}, expected ${type}`,
    );
  }
  return envelope.payload;
}

function encodeString(field: string, value: string): Uint8Array {
  const bytes = utf8.encode(value);
  if (bytes.length > MAX_U16) {
    throw new RangeError(`${field} is ${bytes.length} bytes of UTF-8, expected at most ${MAX_U16}`);
  }
  return bytes;
}

/** Writes into a buffer sized up front; each integer is range-checked by field name. */
class Writer {
  private readonly buf: Buffer;
  private at = 0;

  /** `size`: bytes of the payload, after the envelope header this writes first. */
  constructor(type: MsgType, size: number) {
    this.buf = Buffer.allocUnsafe(ENVELOPE_MIN_HEADER_LENGTH + size);
    this.buf.set(ENVELOPE_MAGIC, 0);
    this.buf[4] = ENVELOPE_VERSION;
    this.buf[5] = ENVELOPE_MIN_HEADER_LENGTH;
    this.buf[6] = 0; // flags: no CRC
    this.buf[7] = type;
    this.at = ENVELOPE_MIN_HEADER_LENGTH;
  }

  byte(value: number): this {
    this.buf[this.at++] = value;
    return this;
  }

  u16(value: number): this {
    this.buf.writeUInt16BE(value, this.at);
    this.at += 2;
    return this;
  }

  u32(field: string, value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > MAX_U32) {
      throw new RangeError(
        `${field} is ${String(value)}, expected an integer from 0 to ${MAX_U32}`,
      );
    }
    this.buf.writeUInt32BE(value, this.at);
    this.at += 4;
    return this;
  }

  int(field: string, value: number): this {
    if (!Number.isSafeInteger(value)) {
      throw new RangeError(`${field} is ${String(value)}, expected a safe integer`);
    }
    return this.bigint(field, BigInt(value));
  }

  bigint(field: string, value: bigint): this {
    if (typeof value !== "bigint") {
      throw new TypeError(`${field} is ${typeof value}, expected a bigint`);
    }
    this.buf.writeBigInt64BE(value, this.at);
    this.at += 8;
    return this;
  }

  string(bytes: Uint8Array): this {
    return this.u16(bytes.length).raw(bytes);
  }

  raw(bytes: Uint8Array): this {
    this.buf.set(bytes, this.at);
    this.at += bytes.length;
    return this;
  }

  finish(): Uint8Array {
    if (this.at !== this.buf.length) {
      throw new Error(`encoder wrote ${this.at} bytes into a ${this.buf.length}-byte buffer`);
    }
    return this.buf;
  }
}

/** Reads with a bounds check before every field, naming the field when data runs out. */
class Reader {
  private readonly view: DataView;
  private at = 0;

  constructor(
    private readonly data: Uint8Array,
    readonly what: string,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  get remaining(): number {
    return this.data.length - this.at;
  }

  byte(field: string): number {
    this.need(field, 1);
    return this.data[this.at++]!;
  }

  u16(field: string): number {
    this.need(field, 2);
    const value = this.view.getUint16(this.at);
    this.at += 2;
    return value;
  }

  u32(field: string): number {
    this.need(field, 4);
    const value = this.view.getUint32(this.at);
    this.at += 4;
    return value;
  }

  int(field: string): number {
    const value = this.bigint(field);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new ReplicationProtocolError(
        `${this.what}: ${field} is ${value}, expected a safe integer`,
      );
    }
    return Number(value);
  }

  bigint(field: string): bigint {
    this.need(field, 8);
    const value = this.view.getBigInt64(this.at);
    this.at += 8;
    return value;
  }

  bytes(field: string, length: number): Uint8Array {
    this.need(field, length);
    const bytes = this.data.subarray(this.at, this.at + length);
    this.at += length;
    return bytes;
  }

  string(field: string): string {
    const bytes = this.bytes(field, this.u16(`${field} length`));
    try {
      return utf8Decoder.decode(bytes);
    } catch {
      throw new ReplicationProtocolError(`${this.what}: ${field} is not valid UTF-8`);
    }
  }

  end(): void {
    if (this.remaining !== 0) {
      throw new ReplicationProtocolError(
        `${this.what}: ${this.remaining} unexpected bytes after the last field`,
      );
    }
  }

  private need(field: string, n: number): void {
    if (this.remaining < n) {
      throw new ReplicationProtocolError(
        `${this.what}: ${field} needs ${n} bytes at position ${this.at}, only ${this.remaining} left`,
      );
    }
  }
}
