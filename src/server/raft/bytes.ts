import { DecodeError } from "./errors.js";

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** Appends unsigned LEB128 varints, strings and byte strings to a growing buffer. */
export class ByteWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialSize = 64) {
    this.buf = new Uint8Array(initialSize);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    bigger.set(this.buf.subarray(0, this.len));
    this.buf = bigger;
  }

  byte(value: number): this {
    this.reserve(1);
    this.buf[this.len++] = value;
    return this;
  }

  /** A non-negative safe integer, 7 bits per byte. */
  uint(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`cannot encode ${value}: expected a non-negative safe integer`);
    }
    this.reserve(8);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
    return this;
  }

  bytes(value: Uint8Array): this {
    this.uint(value.length);
    this.reserve(value.length);
    this.buf.set(value, this.len);
    this.len += value.length;
    return this;
  }

  string(value: string): this {
    return this.bytes(utf8Encoder.encode(value));
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** Reads what ByteWriter writes; every failure names what was being decoded and where. */
export class ByteReader {
  private pos = 0;

  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {}

  private fail(field: string, reason: string): never {
    throw new DecodeError(this.what, `${field} at byte ${this.pos}: ${reason}`);
  }

  byte(field: string): number {
    if (this.pos >= this.buf.length) this.fail(field, "unexpected end of data");
    return this.buf[this.pos++]!;
  }

  bool(field: string): boolean {
    const b = this.byte(field);
    if (b > 1) this.fail(field, `expected 0 or 1, got ${b}`);
    return b === 1;
  }

  uint(field: string): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte(field);
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(result)) this.fail(field, "value exceeds 2^53 - 1");
        return result;
      }
      scale *= 0x80;
    }
    return this.fail(field, "varint longer than 8 bytes");
  }

  /** A byte string; the result shares memory with the input. */
  bytes(field: string): Uint8Array {
    const length = this.uint(`${field} length`);
    if (length > this.buf.length - this.pos) {
      this.fail(field, `length ${length} exceeds the ${this.buf.length - this.pos} bytes left`);
    }
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  string(field: string): string {
    const raw = this.bytes(field);
    try {
      return utf8Decoder.decode(raw);
    } catch {
      return this.fail(field, "invalid UTF-8");
    }
  }

  end(): void {
    if (this.pos !== this.buf.length) {
      this.fail("end", `${this.buf.length - this.pos} unexpected trailing bytes`);
    }
  }
}
