import { crc32c } from "../../wire/crc32c.js";

/** Envelopes awaited at most: beyond this, publishes take the NATS path again. */
const MAX_PENDING = 8192;
const MAX_PENDING_BYTES = 16 * 1024 * 1024;

interface Pending {
  key: number;
  envelope: Uint8Array;
}

/**
 * The NATS copies a partition leader still expects of the envelopes it recorded in-process
 * (Partition.recordLocal), so that it can skip them when they arrive. NATS delivers one
 * connection's publishes to its own subscription in order, so when a copy arrives, every copy
 * expected before it was lost (a reconnect) and is forgotten. Copies are found by a CRC-32C of
 * their bytes, then compared in full.
 */
export class LocalEchoes {
  private pending: Pending[] = [];
  private head = 0;
  private bytes = 0;
  /** How many pending copies have each key. */
  private readonly keys = new Map<number, number>();

  /** Whether another envelope may be awaited. */
  get hasRoom(): boolean {
    return this.pending.length - this.head < MAX_PENDING && this.bytes < MAX_PENDING_BYTES;
  }

  expect(envelope: Uint8Array): void {
    const key = crc32c(envelope);
    this.pending.push({ key, envelope });
    this.bytes += envelope.length;
    this.keys.set(key, (this.keys.get(key) ?? 0) + 1);
  }

  /** True, and forgets it (and every copy expected before it), if `data` is an expected copy. */
  take(data: Uint8Array): boolean {
    if (this.keys.size === 0) return false;
    // Copies come back in order: usually it is the oldest one, found without a checksum.
    const oldest = this.pending[this.head]!;
    if (oldest.envelope.length === data.length && Buffer.compare(oldest.envelope, data) === 0) {
      this.forgetThrough(this.head);
      return true;
    }
    const key = crc32c(data);
    if (!this.keys.has(key)) return false;
    for (let i = this.head; i < this.pending.length; i++) {
      const entry = this.pending[i]!;
      if (entry.key !== key || Buffer.compare(entry.envelope, data) !== 0) continue;
      this.forgetThrough(i);
      return true;
    }
    return false;
  }

  /** Forgets the copies expected up to and including index `last`. */
  private forgetThrough(last: number): void {
    for (let j = this.head; j <= last; j++) this.forget(this.pending[j]!);
    this.head = last + 1;
    if (this.head === this.pending.length) {
      this.pending = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.pending = [];
    this.head = 0;
    this.bytes = 0;
    this.keys.clear();
  }

  private forget(entry: Pending): void {
    this.bytes -= entry.envelope.length;
    const count = this.keys.get(entry.key)! - 1;
    if (count === 0) this.keys.delete(entry.key);
    else this.keys.set(entry.key, count);
  }
}
