import type { Segment } from "./segment.js";
import type { SegmentIndex } from "./segment-index.js";

/**
 * Indexes of sealed segments, loaded from their files when first read and kept for the most
 * recently used few, so memory does not grow with the number of segments.
 */
export class SealedIndexCache {
  private readonly entries = new Map<Segment, Promise<SegmentIndex>>();

  constructor(
    private readonly capacity: number,
    private readonly load: (segment: Segment) => Promise<SegmentIndex>,
  ) {}

  get(segment: Segment): Promise<SegmentIndex> {
    let entry = this.entries.get(segment);
    if (entry) {
      // Map order is insertion order: re-inserting marks the entry most recently used.
      this.entries.delete(segment);
    } else {
      const loading = this.load(segment);
      loading.catch(() => {
        if (this.entries.get(segment) === loading) this.entries.delete(segment);
      });
      entry = loading;
    }
    this.entries.set(segment, entry);
    this.evict();
    return entry;
  }

  /** Keeps the index of a segment that was just sealed, sparing a reload. */
  put(segment: Segment, index: SegmentIndex): void {
    this.entries.delete(segment);
    this.entries.set(segment, Promise.resolve(index));
    this.evict();
  }

  /** Forgets a segment that left the log. */
  delete(segment: Segment): void {
    this.entries.delete(segment);
  }

  private evict(): void {
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as Segment;
      this.entries.delete(oldest);
    }
  }
}
