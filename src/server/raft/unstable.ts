import type { Entry, Snapshot } from "./types.js";

/**
 * The part of the log not yet handed to storage: entries (and possibly an incoming snapshot)
 * that the next Ready asks the driver to persist. entries[i] has index offset + i.
 */
export class Unstable {
  snapshot: Snapshot | null = null;
  entries: Entry[] = [];

  constructor(public offset: number) {}

  /** First index known only here: set when a snapshot is pending. */
  firstIndex(): number | undefined {
    return this.snapshot ? this.snapshot.metadata.index + 1 : undefined;
  }

  lastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot ? this.snapshot.metadata.index : undefined;
  }

  /** The term at `index` if this part knows it. */
  term(index: number): number | undefined {
    if (index < this.offset) {
      const snap = this.snapshot?.metadata;
      return snap && snap.index === index ? snap.term : undefined;
    }
    const at = index - this.offset;
    return at < this.entries.length ? this.entries[at]!.term : undefined;
  }

  /** Storage now holds everything up to (index, term): forget it here. */
  stableTo(index: number, term: number): void {
    if (index < this.offset || this.term(index) !== term) return;
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }

  stableSnapshotTo(index: number): void {
    if (this.snapshot && this.snapshot.metadata.index === index) this.snapshot = null;
  }

  restore(snapshot: Snapshot): void {
    this.offset = snapshot.metadata.index + 1;
    this.entries = [];
    this.snapshot = snapshot;
  }

  /** Appends entries, first dropping whatever they replace (from entries[0].index on). */
  truncateAndAppend(entries: readonly Entry[]): void {
    const from = entries[0]!.index;
    if (from === this.offset + this.entries.length) {
      this.entries.push(...entries);
    } else if (from <= this.offset) {
      // Replaces all unstable entries; storage's copies from `from` on are superseded and
      // get overwritten when these are persisted.
      this.offset = from;
      this.entries = [...entries];
    } else {
      this.entries = this.entries.slice(0, from - this.offset).concat(entries);
    }
  }

  /** Entries [lo, hi), all of which must lie within this part. */
  slice(lo: number, hi: number): Entry[] {
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
