import { MAX_U32, RECORD_FRAME_BYTES, RECORD_HEADER_BYTES } from "./record-format.js";

/**
 * Records already laid out as a segment stores them, back to back, each with its length field
 * and body written. The log fills in offset, timestamp, leader epoch and CRC when it writes
 * them, so a record's body is encoded once, into the buffer that goes to disk.
 */
export interface FramedRecords {
  readonly bytes: Buffer;
  readonly count: number;
  /** Every record gets this timestamp (nanoseconds) and leader epoch. */
  readonly timestamp: bigint;
  readonly leaderEpoch: number;
}

/**
 * Buffer sizes handed out, so that buffers fit each other's uses. Large buffers are slow to
 * fill the first time: malloc maps them fresh from the kernel (128 KiB and up), and on the
 * 2-core benchmark VM each page fault costs microseconds (filling a new 1 MiB buffer took
 * 4.3 ms, a reused one 82 µs). So buffers stay below 128 KiB unless a record needs more,
 * batches are cut to fit them (see `FRAMED_BATCH_BYTES`), and written buffers are reused.
 */
const CAPACITIES = [16 * 1024, 32 * 1024, 64 * 1024, 120 * 1024];
/** A batch should stop growing at this size, so that it fits the largest usual buffer. */
export const FRAMED_BATCH_BYTES = 96 * 1024;

/**
 * Batch buffers that were written, kept for the next batches of any partition. The records
 * waiting for a write and sync can add up to many MiB under load (groups of up to 19 MiB were
 * seen under (f) on a busy disk); a 32 MiB pool cut the broker's CPU per message by about 10%
 * against 8 MiB.
 */
const pool: ArrayBuffer[] = [];
const POOL_MAX_BYTES = 32 * 1024 * 1024;
/** Buffers larger than this (for large records) are not kept. */
const POOL_MAX_BUFFER = 1024 * 1024;
let pooledBytes = 0;

function capacityFor(minimum: number): number {
  for (const capacity of CAPACITIES) if (capacity >= minimum) return capacity;
  return Math.ceil(minimum / 65536) * 65536;
}

function takeBuffer(minimum: number): Buffer {
  const capacity = capacityFor(minimum);
  let best = -1;
  for (let i = 0; i < pool.length; i++) {
    const size = pool[i]!.byteLength;
    if (size >= capacity && (best < 0 || size < pool[best]!.byteLength)) best = i;
  }
  if (best >= 0) {
    const [buffer] = pool.splice(best, 1);
    pooledBytes -= buffer!.byteLength;
    return Buffer.from(buffer!);
  }
  // allocUnsafeSlow: a buffer of its own (never a slice of Node's shared pool), so it can be pooled.
  return Buffer.allocUnsafeSlow(capacity);
}

/**
 * Gives the buffer of written records back for reuse. Only once the append that took them has
 * settled, and nothing may use `framed.bytes` afterwards. When the pool is full, its smallest
 * buffers make room: large ones are the expensive ones to allocate.
 */
export function recycleFramedRecords(framed: FramedRecords): void {
  const buffer = framed.bytes.buffer;
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength > POOL_MAX_BUFFER) return;
  if (pool.includes(buffer)) return;
  pool.push(buffer);
  pooledBytes += buffer.byteLength;
  while (pooledBytes > POOL_MAX_BYTES) {
    let smallest = 0;
    for (let i = 1; i < pool.length; i++) {
      if (pool[i]!.byteLength < pool[smallest]!.byteLength) smallest = i;
    }
    pooledBytes -= pool[smallest]!.byteLength;
    pool.splice(smallest, 1);
  }
}

/** Builds FramedRecords one record at a time, growing its buffer as needed. */
export class FramedRecordsBuilder {
  private buffer: Buffer;
  private size = 0;
  private records = 0;

  constructor(capacity = CAPACITIES[0]!) {
    this.buffer = takeBuffer(capacity);
  }

  get count(): number {
    return this.records;
  }

  get byteLength(): number {
    return this.size;
  }

  /**
   * Starts a record with a body of `bodyLength` bytes and returns where the body goes in
   * `bytes`, which the caller must fill completely before calling anything else here.
   */
  reserve(bodyLength: number): number {
    const end = this.size + RECORD_HEADER_BYTES + bodyLength;
    if (RECORD_HEADER_BYTES - RECORD_FRAME_BYTES + bodyLength > MAX_U32) {
      throw new RangeError(`a record body of ${bodyLength} bytes does not fit the record format`);
    }
    if (end > this.buffer.length) this.grow(end);
    const at = this.size;
    this.buffer.writeUInt32BE(end - at - RECORD_FRAME_BYTES, at + 4);
    this.size = end;
    this.records++;
    return at + RECORD_HEADER_BYTES;
  }

  /** The buffer `reserve` positions refer to; replaced when it grows. */
  get bytes(): Buffer {
    return this.buffer;
  }

  /** Adds a record with a copy of `body`. */
  add(body: Uint8Array): void {
    const at = this.reserve(body.length);
    this.buffer.set(body, at);
  }

  /** The records so far, stamped with `timestamp` and `leaderEpoch`; the builder must not be used after. */
  finish(timestamp: bigint, leaderEpoch: number): FramedRecords {
    return {
      bytes: this.buffer.subarray(0, this.size),
      count: this.records,
      timestamp,
      leaderEpoch,
    };
  }

  private grow(minimum: number): void {
    const next = takeBuffer(Math.max(minimum, this.buffer.length * 1.5));
    this.buffer.copy(next, 0, 0, this.size);
    recycleFramedRecords(this.finish(0n, 0));
    this.buffer = next;
  }
}
