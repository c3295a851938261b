import { CallError, Code } from "./status.js";

/** Length-prefixed gRPC message framing: 1 byte compressed flag, 4 bytes big-endian length. */
export const FRAME_HEADER_BYTES = 5;

/** One framed message in one Buffer, for a single write. */
export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out[0] = 0;
  out.writeUInt32BE(payload.length, 1);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
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

function compressedInput(): CallError {
  return new CallError({
    code: Code.INTERNAL,
    details: "received a compressed message, but only identity encoding was accepted",
  });
}

/**
 * Cuts a byte stream arriving in arbitrary chunks into message payloads. Messages wholly inside
 * one chunk are views of it (no copy); only a message split across chunks is copied once.
 */
export class FrameDecoder {
  /** Bytes of an incomplete frame, oldest first. */
  private parts: Buffer[] = [];
  private partBytes = 0;

  /** Calls `onMessage` for each complete message in order; throws CallError on bad input. */
  push(chunk: Buffer, onMessage: (payload: Buffer) => void): void {
    let data = chunk;
    if (this.partBytes > 0) {
      const rest = this.completeSplitFrame(chunk, onMessage);
      if (rest === undefined) return;
      data = rest;
    }
    let at = 0;
    const end = data.length;
    while (end - at >= FRAME_HEADER_BYTES) {
      if (data[at] !== 0) throw compressedInput();
      const length = data.readUInt32BE(at + 1);
      const stop = at + FRAME_HEADER_BYTES + length;
      if (stop > end) break;
      onMessage(data.subarray(at + FRAME_HEADER_BYTES, stop));
      at = stop;
    }
    if (at < end) {
      this.parts.push(at === 0 ? data : data.subarray(at));
      this.partBytes = end - at;
    }
  }

  /** True when bytes of an unfinished message are held (a call ending now was cut short). */
  get hasPartial(): boolean {
    return this.partBytes > 0;
  }

  /**
   * Adds `chunk` to the held partial frame. Emits the frame when complete and returns what of
   * the chunk follows it; undefined when the chunk was used up.
   */
  private completeSplitFrame(
    chunk: Buffer,
    onMessage: (payload: Buffer) => void,
  ): Buffer | undefined {
    if (this.partBytes < FRAME_HEADER_BYTES) {
      // The header itself is split: join the (few) held bytes with the chunk and start over.
      const joined = Buffer.concat([...this.parts, chunk]);
      this.parts = [];
      this.partBytes = 0;
      return joined;
    }
    const head = this.parts[0]!.length >= FRAME_HEADER_BYTES ? this.parts[0]! : this.joinParts();
    if (head[0] !== 0) throw compressedInput();
    const frameBytes = FRAME_HEADER_BYTES + head.readUInt32BE(1);
    const missing = frameBytes - this.partBytes;
    if (chunk.length < missing) {
      this.parts.push(chunk);
      this.partBytes += chunk.length;
      return undefined;
    }
    this.parts.push(chunk.subarray(0, missing));
    const whole = Buffer.concat(this.parts, frameBytes);
    this.parts = [];
    this.partBytes = 0;
    onMessage(whole.subarray(FRAME_HEADER_BYTES));
    return missing === chunk.length ? undefined : chunk.subarray(missing);
  }

  private joinParts(): Buffer {
    const joined = Buffer.concat(this.parts, this.partBytes);
    this.parts = [joined];
    return joined;
  }
}
