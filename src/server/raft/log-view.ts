import { CompactedError, UnavailableError } from "./errors.js";
import { limitSize } from "./storage.js";
import {
  EMPTY_HARD_STATE,
  type Entry,
  emptySnapshot,
  type HardState,
  type Snapshot,
} from "./types.js";

/**
 * The read side shared by MemoryStorage and FileStorage: both keep the live part of the log
 * in memory after the snapshot (or compaction) point, and answer reads from it alike.
 */
export abstract class InMemoryLogView {
  protected hard: HardState = EMPTY_HARD_STATE;
  protected snap: Snapshot = emptySnapshot();
  /** Index and term of the entry just before log[0] (snapshot or compaction point). */
  protected prevIndex = 0;
  protected prevTerm = 0;
  protected log: Entry[] = [];

  initialState() {
    return { hardState: this.hard, confState: this.snap.metadata.confState };
  }

  firstIndex(): number {
    return this.prevIndex + 1;
  }

  lastIndex(): number {
    return this.prevIndex + this.log.length;
  }

  term(index: number): number {
    if (index < this.prevIndex) throw new CompactedError(index, this.firstIndex());
    if (index === this.prevIndex) return this.prevTerm;
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    return this.log[index - this.prevIndex - 1]!.term;
  }

  entries(lo: number, hi: number, maxBytes?: number): Entry[] {
    if (lo <= this.prevIndex) throw new CompactedError(lo, this.firstIndex());
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    if (lo >= hi) return [];
    return limitSize(this.log.slice(lo - this.prevIndex - 1, hi - this.prevIndex - 1), maxBytes);
  }

  snapshot(): Snapshot {
    return this.snap;
  }
}
