import { RaftInvariantError } from "./errors.js";
import { limitSize, type Storage } from "./storage.js";
import type { Entry, Snapshot } from "./types.js";
import { Unstable } from "./unstable.js";

/**
 * A node's view of its log: the persisted part (storage) followed by the unstable part, plus
 * the commit and apply points. committed and applied never move backwards.
 */
export class RaftLog {
  readonly unstable: Unstable;
  committed: number;
  applied: number;

  /**
   * Starts committed and applied at the storage's snapshot: the application restores its
   * state from that snapshot when the node starts, and is handed the entries after it.
   */
  constructor(readonly storage: Storage) {
    this.unstable = new Unstable(storage.lastIndex() + 1);
    this.committed = storage.snapshot().metadata.index;
    this.applied = this.committed;
  }

  firstIndex(): number {
    return this.unstable.firstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.lastIndex() ?? this.storage.lastIndex();
  }

  /** The term at `index`, or undefined when it is compacted away or past the end. */
  term(index: number): number | undefined {
    if (index < this.firstIndex() - 1 || index > this.lastIndex()) return undefined;
    return this.unstable.term(index) ?? this.storage.term(index);
  }

  lastTerm(): number {
    return this.term(this.lastIndex())!;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** §5.4.1: is a log ending at (lastIndex, lastTerm) at least as up to date as this one? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * The follower side of AppendEntries: when our entry at prevIndex has prevTerm, appends
   * what is new in `entries` (dropping a conflicting suffix), commits up to
   * min(commit, last new index) and returns that last new index; otherwise null.
   */
  maybeAppend(
    prevIndex: number,
    prevTerm: number,
    commit: number,
    entries: readonly Entry[],
  ): number | null {
    if (!this.matchTerm(prevIndex, prevTerm)) return null;
    const lastNew = prevIndex + entries.length;
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      if (conflict <= this.committed) {
        throw new RaftInvariantError(
          `entry ${conflict} conflicts with the committed log (committed ${this.committed})`,
        );
      }
      this.append(entries.slice(conflict - prevIndex - 1));
    }
    this.commitTo(Math.min(commit, lastNew));
    return lastNew;
  }

  /** Appends entries that follow or replace part of the uncommitted log; returns lastIndex. */
  append(entries: readonly Entry[]): number {
    if (entries.length === 0) return this.lastIndex();
    const after = entries[0]!.index - 1;
    if (after < this.committed) {
      throw new RaftInvariantError(
        `appending after index ${after} would overwrite committed entries (committed ${this.committed})`,
      );
    }
    if (after > this.lastIndex()) {
      throw new RaftInvariantError(
        `appending after index ${after} would leave a gap (last index ${this.lastIndex()})`,
      );
    }
    this.unstable.truncateAndAppend(entries);
    return this.lastIndex();
  }

  /**
   * Index of the first entry whose term differs from ours, or of the first entry past our
   * log; 0 when every entry is already present.
   */
  findConflict(entries: readonly Entry[]): number {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /**
   * The largest index at or below `index` whose term is at most `term`, with its term. Used on
   * both sides of a rejected append to skip a whole term's worth of entries at a time. Stops
   * at the compaction point, returning term 0 below it.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    let at = Math.min(index, this.lastIndex());
    for (;;) {
      const ours = this.term(at);
      if (ours === undefined) return { index: at, term: 0 };
      if (ours <= term) return { index: at, term: ours };
      at--;
    }
  }

  /** Entries [lo, hi) from storage and the unstable part; lo must be at least firstIndex(). */
  slice(lo: number, hi: number, maxBytes?: number): Entry[] {
    if (lo >= hi) return [];
    if (lo < this.firstIndex() || hi > this.lastIndex() + 1) {
      throw new RaftInvariantError(
        `slice [${lo}, ${hi}) is outside the log [${this.firstIndex()}, ${this.lastIndex() + 1})`,
      );
    }
    const offset = this.unstable.offset;
    let out: Entry[] = [];
    if (lo < offset) {
      out = this.storage.entries(lo, Math.min(hi, offset), maxBytes);
      if (out.length < Math.min(hi, offset) - lo) return out;
    }
    if (hi > offset) {
      const tail = this.unstable.slice(Math.max(lo, offset), hi);
      out = out.length > 0 ? out.concat(tail) : tail;
    }
    return limitSize(out, maxBytes);
  }

  /** Entries from `index` to the end, or undefined when `index` is compacted. */
  entriesFrom(index: number, maxBytes?: number): Entry[] | undefined {
    if (index < this.firstIndex()) return undefined;
    return this.slice(index, this.lastIndex() + 1, maxBytes);
  }

  /** Committed entries not yet applied; none while a snapshot waits to be applied. */
  nextCommittedEntries(maxBytes?: number): Entry[] {
    if (this.unstable.snapshot) return [];
    const lo = Math.max(this.applied + 1, this.firstIndex());
    return lo > this.committed ? [] : this.slice(lo, this.committed + 1, maxBytes);
  }

  hasNextCommittedEntries(): boolean {
    return !this.unstable.snapshot && this.committed > this.applied;
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    if (index > this.lastIndex()) {
      throw new RaftInvariantError(
        `commit index ${index} is past the last index ${this.lastIndex()}`,
      );
    }
    this.committed = index;
  }

  /**
   * §5.4.2: a leader commits by counting replicas only for an entry of its own term; older
   * entries are committed indirectly, by the Log Matching Property.
   */
  maybeCommit(index: number, term: number): boolean {
    if (index > this.committed && this.term(index) === term) {
      this.commitTo(index);
      return true;
    }
    return false;
  }

  appliedTo(index: number): void {
    if (index <= this.applied) return;
    if (index > this.committed) {
      throw new RaftInvariantError(
        `applied index ${index} is past the commit index ${this.committed}`,
      );
    }
    this.applied = index;
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapshotTo(index: number): void {
    this.unstable.stableSnapshotTo(index);
  }

  /** Replaces the whole log with a snapshot from the leader. */
  restore(snapshot: Snapshot): void {
    this.committed = snapshot.metadata.index;
    this.unstable.restore(snapshot);
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }
}
