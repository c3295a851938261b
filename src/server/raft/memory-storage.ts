import { validateConfState } from "./conf-state.js";
import { UnavailableError } from "./errors.js";
import { InMemoryLogView } from "./log-view.js";
import type { PersistentStorage } from "./storage.js";
import {
  BOOTSTRAP_HARD_STATE,
  bootstrapSnapshot,
  type ConfState,
  type Entry,
  type HardState,
  isEmptyHardState,
  type Snapshot,
} from "./types.js";

/**
 * Storage held in memory: the reference implementation of PersistentStorage, and the
 * "disk" of the simulation (what survives a simulated crash). Writes are synchronous.
 */
export class MemoryStorage extends InMemoryLogView implements PersistentStorage {
  hardState(): HardState {
    return this.hard;
  }

  append(entries: readonly Entry[]): void {
    checkContiguous(entries);
    if (entries.length === 0) return;
    const first = this.firstIndex();
    if (entries[entries.length - 1]!.index < first) return;
    const kept = entries[0]!.index < first ? entries.slice(first - entries[0]!.index) : entries;
    const at = kept[0]!.index - first;
    if (at > this.log.length) {
      throw new UnavailableError(kept[0]!.index - 1, this.lastIndex());
    }
    this.log = this.log.slice(0, at).concat(kept);
  }

  setHardState(state: HardState): void {
    this.hard = state;
  }

  applySnapshot(snapshot: Snapshot): void {
    const { index, term } = snapshot.metadata;
    if (index <= this.snap.metadata.index) {
      throw new Error(
        `snapshot index ${index} is not newer than the stored snapshot's ${this.snap.metadata.index}`,
      );
    }
    this.snap = snapshot;
    this.prevIndex = index;
    this.prevTerm = term;
    this.log = [];
  }

  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snap.metadata.index) {
      throw new Error(
        `snapshot index ${index} is not newer than the stored snapshot's ${this.snap.metadata.index}`,
      );
    }
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    validateConfState(confState);
    this.snap = { metadata: { index, term: this.term(index), confState }, data };
    return this.snap;
  }

  compact(index: number): void {
    if (index <= this.prevIndex) return;
    if (index > this.snap.metadata.index) {
      throw new Error(
        `cannot compact the log to ${index}: past the snapshot's index ${this.snap.metadata.index}`,
      );
    }
    this.prevTerm = this.term(index);
    this.log = this.log.slice(index - this.prevIndex);
    this.prevIndex = index;
  }

  bootstrap(confState: ConfState): void {
    validateConfState(confState);
    if (!isPristine(this)) {
      throw new Error("cannot bootstrap a Raft storage that already has state");
    }
    this.applySnapshot(bootstrapSnapshot(confState));
    this.hard = BOOTSTRAP_HARD_STATE;
  }
}

/** True for storage that has never held any Raft state. */
export function isPristine(storage: PersistentStorage): boolean {
  const { hardState, confState } = storage.initialState();
  return (
    storage.lastIndex() === 0 &&
    storage.snapshot().metadata.index === 0 &&
    isEmptyHardState(hardState) &&
    confState.voters.length === 0 &&
    confState.learners.length === 0
  );
}

export function checkContiguous(entries: readonly Entry[]): void {
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.index !== entries[i - 1]!.index + 1) {
      throw new Error(
        `entries are not contiguous: index ${entries[i]!.index} follows ${entries[i - 1]!.index}`,
      );
    }
  }
}
