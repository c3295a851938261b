/**
 * gRPC length-prefixed messages, shared by lb's server and client transports: a 1-byte
 * compressed flag, a 4-byte big-endian length, the message bytes. lb only ever sends and
 * accepts identity encoding (flag 0).
 */

export const FRAME_HEADER_BYTES = 5;

/** The 5-byte prefix of an uncompressed message of `length` bytes. */
export function frameHeader(length: number): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header[0] = 0;
  header.writeUInt32BE(length, 1);
  return header;
}

/** One framed message in a single buffer. */
export function encodeFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + message.byteLength);
  frame[0] = 0;
  frame.writeUInt32BE(message.byteLength, 1);
  frame.set(message, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Frames many messages into one Buffer: add() them during an event-loop turn, take() them all as
 * one write.
 */
export class FrameBatch {
  private payloads: Uint8Array[] = [];
  private total = 0;

  get bytes(): number {
    return this.total;
  }

  get isEmpty(): boolean {
    return this.payloads.length === 0;
  }

  add(payload: Uint8Array): void {
    this.payloads.push(payload);
    this.total += FRAME_HEADER_BYTES + payload.length;
  }

  take(): Buffer {
    const out = Buffer.allocUnsafe(this.total);
    let at = 0;
    for (const payload of this.payloads) {
      out[at] = 0;
      out.writeUInt32BE(payload.length, at + 1);
      out.set(payload, at + FRAME_HEADER_BYTES);
      at += FRAME_HEADER_BYTES + payload.length;
    }
    this.payloads = [];
    this.total = 0;
    return out;
  }
}

/** A message body refused by the decoder; `kind` picks the gRPC status. */
export class FrameError extends Error {
  constructor(
    readonly kind: "too-large" | "compressed" | "out-of-memory",
    message: string,
  ) {
    super(message);
    this.name = "FrameError";
  }
}

/**
 * Bytes of partly received messages that several decoders share (the streams of one HTTP/2
 * connection): reserve() refuses what would go over `limit`.
 */
export class MemoryBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.used;
  }

  reserve(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used -= bytes;
  }
}

/**
 * Splits a request body into messages however it arrives: a message may span several DATA
 * chunks, and one chunk may hold several messages. Throws FrameError on a message larger than
 * `maxMessageBytes` (checked from its prefix), a compressed one, or a partial message that would
 * take the shared `budget` over its limit. Only bytes received are buffered, never the length a
 * prefix announces; dispose() gives them back when the stream ends early.
 */
export class FrameDecoder {
  private header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFilled = 0;
  /** Length of the message being received, or -1 between messages. */
  private bodyLength = -1;
  private parts: Buffer[] = [];
  private partsBytes = 0;

  constructor(
    private readonly maxMessageBytes = Number.POSITIVE_INFINITY,
    private readonly budget?: MemoryBudget,
  ) {}

  /** True when no message is partly received (a body may end here). */
  get idle(): boolean {
    return this.headerFilled === 0 && this.bodyLength < 0;
  }

  /** Bytes of the partly received message held now. */
  get bufferedBytes(): number {
    return this.partsBytes;
  }

  push(chunk: Buffer): Buffer[] {
    const messages: Buffer[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.bodyLength < 0) {
        // Fast path: a whole message inside this chunk needs no copy.
        if (this.headerFilled === 0 && chunk.length - at >= FRAME_HEADER_BYTES) {
          const length = this.checkPrefix(chunk[at]!, chunk.readUInt32BE(at + 1));
          const start = at + FRAME_HEADER_BYTES;
          if (chunk.length - start >= length) {
            messages.push(chunk.subarray(start, start + length));
            at = start + length;
            continue;
          }
          this.bodyLength = length;
          at = start;
          continue;
        }
        const take = Math.min(FRAME_HEADER_BYTES - this.headerFilled, chunk.length - at);
        chunk.copy(this.header, this.headerFilled, at, at + take);
        this.headerFilled += take;
        at += take;
        if (this.headerFilled < FRAME_HEADER_BYTES) break;
        this.headerFilled = 0;
        this.bodyLength = this.checkPrefix(this.header[0]!, this.header.readUInt32BE(1));
      }
      const take = Math.min(this.bodyLength - this.partsBytes, chunk.length - at);
      if (take > 0) this.hold(chunk.subarray(at, at + take));
      at += take;
      if (this.partsBytes === this.bodyLength) messages.push(this.takeBody());
    }
    return messages;
  }

  /** Drops a partly received message, returning its bytes to the budget. */
  dispose(): void {
    this.budget?.release(this.partsBytes);
    this.parts = [];
    this.partsBytes = 0;
    this.bodyLength = -1;
    this.headerFilled = 0;
  }

  /** Keeps a piece of the message (copied: the chunk's memory may be a larger pooled buffer). */
  private hold(piece: Buffer): void {
    if (this.budget && !this.budget.reserve(piece.length)) {
      throw new FrameError(
        "out-of-memory",
        `Partly received messages on this connection exceed the session memory limit of ${this.budget.limit} bytes`,
      );
    }
    this.parts.push(Buffer.from(piece));
    this.partsBytes += piece.length;
  }

  private takeBody(): Buffer {
    const body =
      this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partsBytes);
    this.budget?.release(this.partsBytes);
    this.parts = [];
    this.partsBytes = 0;
    this.bodyLength = -1;
    return body;
  }

  private checkPrefix(flag: number, length: number): number {
    if (flag !== 0) {
      throw new FrameError(
        "compressed",
        "Received a compressed message, but only identity encoding was accepted",
      );
    }
    if (length > this.maxMessageBytes) {
      throw new FrameError(
        "too-large",
        `Received message larger than max (${length} vs ${this.maxMessageBytes})`,
      );
    }
    return length;
  }
}
