import { INDEX_ENTRY_BYTES } from "./record-format.js";

/**
 * The offset → position index of one segment, held in memory as two growable Uint32Arrays.
 *
 * Only the first `count` entries are visible. The writer fills entries past `count` while
 * its write is in flight and publishes them with `commit`, so a reader that captured a
 * `view()` never sees an entry whose record is not yet on disk.
 */
export class SegmentIndex {
  private relOffsets: Uint32Array;
  private positions: Uint32Array;
  private visible = 0;

  constructor(capacity = 16) {
    this.relOffsets = new Uint32Array(Math.max(capacity, 16));
    this.positions = new Uint32Array(Math.max(capacity, 16));
  }

  /** Decodes an index file's bytes (whole entries only). */
  static fromBytes(bytes: Buffer): SegmentIndex {
    const count = Math.floor(bytes.length / INDEX_ENTRY_BYTES);
    const index = new SegmentIndex(count);
    for (let i = 0; i < count; i++) {
      index.relOffsets[i] = bytes.readUInt32BE(i * INDEX_ENTRY_BYTES);
      index.positions[i] = bytes.readUInt32BE(i * INDEX_ENTRY_BYTES + 4);
    }
    index.visible = count;
    return index;
  }

  get count(): number {
    return this.visible;
  }

  /** A stable picture of the visible entries, safe to use across awaits. */
  view(): IndexView {
    return { relOffsets: this.relOffsets, positions: this.positions, count: this.visible };
  }

  /** Sets entry `count + i`, which stays invisible until committed. */
  setPending(i: number, relOffset: number, position: number): void {
    const at = this.visible + i;
    if (at >= this.relOffsets.length) this.grow(at + 1);
    this.relOffsets[at] = relOffset;
    this.positions[at] = position;
  }

  /** Makes the next `n` pending entries visible. */
  commit(n: number): void {
    this.visible += n;
  }

  /** Appends a visible entry (used while scanning a segment). */
  push(relOffset: number, position: number): void {
    this.setPending(0, relOffset, position);
    this.visible++;
  }

  /** Big-endian index file bytes of entries `[from, to)`, visible or pending. */
  toBytes(from: number, to: number, target?: Buffer): Buffer {
    const bytes = target ?? Buffer.allocUnsafe((to - from) * INDEX_ENTRY_BYTES);
    for (let i = from, at = 0; i < to; i++, at += INDEX_ENTRY_BYTES) {
      bytes.writeUInt32BE(this.relOffsets[i]!, at);
      bytes.writeUInt32BE(this.positions[i]!, at + 4);
    }
    return bytes;
  }

  private grow(minimum: number): void {
    let capacity = this.relOffsets.length * 2;
    while (capacity < minimum) capacity *= 2;
    const relOffsets = new Uint32Array(capacity);
    const positions = new Uint32Array(capacity);
    relOffsets.set(this.relOffsets);
    positions.set(this.positions);
    // Fresh arrays: views handed out earlier keep the old ones, whose visible part never changes.
    this.relOffsets = relOffsets;
    this.positions = positions;
  }
}

export interface IndexView {
  readonly relOffsets: Uint32Array;
  readonly positions: Uint32Array;
  readonly count: number;
}

/** Index of the first entry whose relative offset is >= `relOffset`; `view.count` if none. */
export function firstEntryAtOrAfter(view: IndexView, relOffset: number): number {
  const { relOffsets, count } = view;
  if (relOffset <= 0) return 0;
  // Offsets in a segment are usually contiguous, which makes the entry number the offset.
  if (relOffset < count && relOffsets[relOffset] === relOffset) return relOffset;
  let low = 0;
  let high = count;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (relOffsets[mid]! < relOffset) low = mid + 1;
    else high = mid;
  }
  return low;
}
