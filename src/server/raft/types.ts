/** A Raft member's identity: lb uses broker server IDs. Never empty. */
export type NodeId = string;

/**
 * "normal" entries carry application commands (an empty one is appended by every new leader);
 * "confChange" entries carry an encoded ConfChange that the core applies once committed.
 */
export type EntryKind = "normal" | "confChange";

export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly kind: EntryKind;
  readonly data: Uint8Array;
}

/** What must be on disk before any message that depends on it is sent (Raft paper, Figure 2). */
export interface HardState {
  readonly term: number;
  /** The candidate this node voted for in `term`, or null. */
  readonly vote: NodeId | null;
  readonly commit: number;
}

/** Cluster membership: voters elect and count toward quorum; learners only receive the log. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export interface SnapshotMetadata {
  /** Last log index the snapshot covers (0: the empty initial snapshot). */
  readonly index: number;
  readonly term: number;
  /** Membership as of `index`. */
  readonly confState: ConfState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  /** The application's state as of metadata.index, opaque to Raft. */
  readonly data: Uint8Array;
}

/** Single-server membership changes (Ongaro's thesis §4.1), one in flight at a time. */
export type ConfChangeType = "addVoter" | "addLearner" | "promoteLearner" | "removeNode";

export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
}

export type Role = "follower" | "preCandidate" | "candidate" | "leader";

export const EMPTY_CONF_STATE: ConfState = Object.freeze({ voters: [], learners: [] });

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: null, commit: 0 });

export function emptySnapshot(confState: ConfState = EMPTY_CONF_STATE): Snapshot {
  return { metadata: { index: 0, term: 0, confState }, data: new Uint8Array(0) };
}

/**
 * A new cluster's starting point: a snapshot at index 1, term 1 holding the initial membership
 * and an empty application state. Every bootstrapped member holds the same one; members that
 * join later are sent it (or a later snapshot) by the leader, so they learn the membership.
 */
export function bootstrapSnapshot(confState: ConfState): Snapshot {
  return { metadata: { index: 1, term: 1, confState }, data: new Uint8Array(0) };
}

export const BOOTSTRAP_HARD_STATE: HardState = Object.freeze({ term: 1, vote: null, commit: 1 });

export function hardStatesEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

export function isEmptyHardState(state: HardState): boolean {
  return hardStatesEqual(state, EMPTY_HARD_STATE);
}
