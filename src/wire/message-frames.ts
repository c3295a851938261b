/**
 * Subscribe's output: stored records as gRPC length-prefixed `proto.Message`s, written straight
 * into large chunks. Each message is its fields 1, 4, 5, 6 (offset, timestamp, stream,
 * partition; defaults omitted, as encodeMessageEnvelopeFields does) followed by the stored body,
 * which protobuf parsers merge into the full Message. A record costs one copy of its body and
 * no allocation of its own; the chunks are handed to HTTP/2 whole, so a peer receives full
 * DATA frames of many messages.
 */
import { FRAME_HEADER_BYTES } from "./grpc-frames.js";
import { encodeMessageEnvelopeFields } from "./message-codec.js";

/** Chunk size: room for several full 16 KiB HTTP/2 DATA frames. */
export const MESSAGE_CHUNK_BYTES = 64 * 1024;
/** Tag and largest varint of fields 1 and 4. */
const FIXED_FIELDS_ROOM = 2 * (1 + 10);
const TWO_POW_32 = 2 ** 32;

/** Frames of one partition's records, taken as Buffers of whole messages. */
export class MessageFrames {
  /** Fields 5 and 6, the same for every record of the partition. */
  private readonly tail: Uint8Array;
  private chunk: Buffer = Buffer.alloc(0);
  /** Where the frames not yet taken start in `chunk`, and where they end. */
  private start = 0;
  private end = 0;
  private largest = 0;
  private readonly scratch = new DataView(new ArrayBuffer(8));

  constructor(
    stream: string,
    partition: number,
    private readonly chunkBytes = MESSAGE_CHUNK_BYTES,
  ) {
    this.tail = Uint8Array.from(encodeMessageEnvelopeFields(0, 0n, stream, partition));
  }

  /** Bytes appended and not yet taken. */
  get pendingBytes(): number {
    return this.end - this.start;
  }

  /** The largest message (without its 5-byte prefix) appended since the last take. */
  get largestMessage(): number {
    return this.largest;
  }

  /** Appends the message of one record. */
  append(offset: number, timestamp: bigint, body: Uint8Array): void {
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new RangeError(`Message.offset: got ${offset}, expected a non-negative safe integer`);
    }
    const room = FRAME_HEADER_BYTES + FIXED_FIELDS_ROOM + this.tail.length + body.length;
    if (this.end + room > this.chunk.length) this.newChunk(room);
    const chunk = this.chunk;
    const frameStart = this.end;
    let pos = frameStart + FRAME_HEADER_BYTES;
    if (offset !== 0) {
      chunk[pos++] = 0x08;
      pos = putVarint64(chunk, pos, offset % TWO_POW_32, Math.floor(offset / TWO_POW_32));
    }
    if (timestamp !== 0n) {
      chunk[pos++] = 0x20;
      // Two's complement, as protobuf encodes a negative int64; no BigInt arithmetic.
      this.scratch.setBigInt64(0, timestamp);
      pos = putVarint64(chunk, pos, this.scratch.getUint32(4), this.scratch.getUint32(0));
    }
    chunk.set(this.tail, pos);
    pos += this.tail.length;
    chunk.set(body, pos);
    pos += body.length;
    const length = pos - frameStart - FRAME_HEADER_BYTES;
    chunk[frameStart] = 0;
    chunk.writeUInt32BE(length, frameStart + 1);
    if (length > this.largest) this.largest = length;
    this.end = pos;
  }

  /** The frames appended since the last take (undefined when none), as one Buffer. */
  take(): Buffer | undefined {
    if (this.end === this.start) return undefined;
    const frames = this.chunk.subarray(this.start, this.end);
    this.start = this.end;
    this.largest = 0;
    return frames;
  }

  /**
   * Starts a chunk with room for `room` more bytes, carrying over the frames not yet taken.
   * Taken frames stay views of the old chunk, which is never written again.
   */
  private newChunk(room: number): void {
    const pending = this.end - this.start;
    const next = Buffer.allocUnsafe(Math.max(this.chunkBytes, pending + room));
    this.chunk.copy(next, 0, this.start, this.end);
    this.chunk = next;
    this.start = 0;
    this.end = pending;
  }
}

/** Writes a varint of the 64-bit value hi:lo (both uint32) at `pos`; returns the new position. */
function putVarint64(buf: Buffer, pos: number, lo: number, hi: number): number {
  while (hi !== 0 || lo > 0x7f) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  buf[pos++] = lo;
  return pos;
}

/**
 * Calls `each` with every message (without its prefix) in `frames`, a Buffer of whole gRPC
 * length-prefixed messages such as MessageFrames.take returns.
 */
export function forEachFramedMessage(frames: Buffer, each: (message: Buffer) => void): void {
  let pos = 0;
  while (pos < frames.length) {
    const length = frames.readUInt32BE(pos + 1);
    const start = pos + FRAME_HEADER_BYTES;
    each(frames.subarray(start, start + length));
    pos = start + length;
  }
}
