import type { ConfState, Entry, HardState, Snapshot } from "./types.js";

export interface InitialState {
  readonly hardState: HardState;
  /** Membership as of the storage's snapshot; the core re-applies later changes from the log. */
  readonly confState: ConfState;
}

/**
 * The read side of Raft's durable state, used synchronously by the core (like etcd's
 * storage.go). The log holds indexes firstIndex()..lastIndex(); the term of firstIndex() - 1
 * (the snapshot's or compaction point's) is also known.
 *
 * Reads below the compacted prefix throw CompactedError, past the end UnavailableError.
 */
export interface Storage {
  initialState(): InitialState;
  /**
   * Entries [lo, hi). With maxBytes, stops once the data would exceed it, but always returns
   * at least one entry when lo < hi.
   */
  entries(lo: number, hi: number, maxBytes?: number): Entry[];
  term(index: number): number;
  firstIndex(): number;
  lastIndex(): number;
  /** The latest snapshot (metadata.index 0 when there is none). */
  snapshot(): Snapshot;
}

export type MaybePromise<T> = T | Promise<T>;

/**
 * The write side. Every write is durable when the call returns (or its promise resolves): the
 * Raft driver acts on the data (sends messages, applies entries) right after.
 */
export interface PersistentStorage extends Storage {
  /**
   * Appends entries whose indexes are contiguous. An entry at or below lastIndex() replaces
   * that entry and drops everything after it (a follower's conflicting suffix). Entries
   * already compacted are skipped.
   */
  append(entries: readonly Entry[]): MaybePromise<void>;
  setHardState(state: HardState): MaybePromise<void>;
  /** Replaces the whole log with a snapshot received from the leader. */
  applySnapshot(snapshot: Snapshot): MaybePromise<void>;
  /**
   * Records the application's state as of `index` (at most the applied index), so the log
   * prefix up to it can be compacted and slow followers can be sent the snapshot.
   */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): MaybePromise<Snapshot>;
  /**
   * Discards entries up to and including `index`, which must not exceed the snapshot's index
   * (so a restart can always rebuild state from snapshot + log). At or below the current
   * compaction point it does nothing.
   */
  compact(index: number): MaybePromise<void>;
  /**
   * Makes a brand-new member of a brand-new cluster: stores bootstrapSnapshot(confState) and
   * BOOTSTRAP_HARD_STATE. Refuses a storage that has state. Members joining an existing
   * cluster start from an empty storage instead.
   */
  bootstrap(confState: ConfState): MaybePromise<void>;
}

/** What one Ready asks to persist. */
export interface StorageUpdate {
  readonly snapshot?: Snapshot;
  readonly entries: readonly Entry[];
  readonly hardState?: HardState;
}

/**
 * Persists a Ready's state in the only safe order: the snapshot first (the entries follow it),
 * then the entries, then the hard state (its commit index must never point past the stored
 * log). A crash between steps leaves a state Raft can restart from.
 */
export async function persistUpdate(
  storage: PersistentStorage,
  update: StorageUpdate,
): Promise<void> {
  if (update.snapshot) await storage.applySnapshot(update.snapshot);
  if (update.entries.length > 0) await storage.append(update.entries);
  if (update.hardState) await storage.setHardState(update.hardState);
}

/** The same order for storages whose writes are synchronous (MemoryStorage). */
export function persistUpdateSync(storage: PersistentStorage, update: StorageUpdate): void {
  const steps: (() => MaybePromise<void>)[] = [];
  const { snapshot, hardState } = update;
  if (snapshot) steps.push(() => storage.applySnapshot(snapshot));
  if (update.entries.length > 0) steps.push(() => storage.append(update.entries));
  if (hardState) steps.push(() => storage.setHardState(hardState));
  for (const step of steps) {
    if (step() instanceof Promise) {
      throw new Error("persistUpdateSync needs a storage whose writes are synchronous");
    }
  }
}

/** What an entry's encoding adds to its data at most (index, term, kind, data length). */
export const ENTRY_OVERHEAD_BYTES = 24;

/** Bytes an entry is counted as when batching by size: at least its encoded size. */
export function entrySize(entry: Entry): number {
  return entry.data.length + ENTRY_OVERHEAD_BYTES;
}

/** Keeps the longest prefix of `entries` within maxBytes, but at least one entry. */
export function limitSize(entries: Entry[], maxBytes: number | undefined): Entry[] {
  if (maxBytes === undefined || entries.length === 0) return entries;
  let size = entrySize(entries[0]!);
  let n = 1;
  while (n < entries.length) {
    size += entrySize(entries[n]!);
    if (size > maxBytes) break;
    n++;
  }
  return n === entries.length ? entries : entries.slice(0, n);
}
