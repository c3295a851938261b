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
    readonly kind: "too-large" | "compressed",
    message: string,
  ) {
    super(message);
    this.name = "FrameError";
  }
}

/**
 * Splits a request body into messages however it arrives: a message may span several DATA
 * chunks, and one chunk may hold several messages. Throws FrameError on a message larger than
 * `maxMessageBytes` (checked from its prefix, before it is buffered) or a compressed one.
 */
export class FrameDecoder {
  private header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFilled = 0;
  private body: Buffer | undefined;
  private bodyFilled = 0;

  constructor(private readonly maxMessageBytes = Number.POSITIVE_INFINITY) {}

  /** True when no message is partly received (a body may end here). */
  get idle(): boolean {
    return this.headerFilled === 0 && this.body === undefined;
  }

  push(chunk: Buffer): Buffer[] {
    const messages: Buffer[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.body === undefined) {
        // Fast path: a whole message inside this chunk needs no copy.
        if (this.headerFilled === 0 && chunk.length - at >= FRAME_HEADER_BYTES) {
          const length = this.checkPrefix(chunk[at]!, chunk.readUInt32BE(at + 1));
          const start = at + FRAME_HEADER_BYTES;
          if (chunk.length - start >= length) {
            messages.push(chunk.subarray(start, start + length));
            at = start + length;
            continue;
          }
          this.startBody(length);
          at = start;
          continue;
        }
        const take = Math.min(FRAME_HEADER_BYTES - this.headerFilled, chunk.length - at);
        chunk.copy(this.header, this.headerFilled, at, at + take);
        this.headerFilled += take;
        at += take;
        if (this.headerFilled < FRAME_HEADER_BYTES) break;
        this.headerFilled = 0;
        const length = this.checkPrefix(this.header[0]!, this.header.readUInt32BE(1));
        this.startBody(length);
      }
      const body = this.body!;
      const take = Math.min(body.length - this.bodyFilled, chunk.length - at);
      chunk.copy(body, this.bodyFilled, at, at + take);
      this.bodyFilled += take;
      at += take;
      if (this.bodyFilled === body.length) {
        messages.push(body);
        this.body = undefined;
        this.bodyFilled = 0;
      }
    }
    return messages;
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

  private startBody(length: number): void {
    this.body = Buffer.allocUnsafe(length);
    this.bodyFilled = 0;
  }
}
