import type { Entry, NodeId, Snapshot } from "./types.js";

/**
 * Every message names its sender, its receiver and the sender's term. For preVote the term is
 * the one the sender would campaign in (its own term + 1); it does not change the sender's term.
 */
interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

/** RequestVote (§5.2) or its pre-vote twin (thesis §9.6). */
export interface VoteRequest extends Envelope {
  readonly type: "preVote" | "vote";
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  /** Set by a leader transfer's campaign: voters ignore their leader lease for it. */
  readonly transfer: boolean;
}

export interface VoteResponse extends Envelope {
  readonly type: "preVoteResponse" | "voteResponse";
  readonly reject: boolean;
}

/** AppendEntries (§5.3). */
export interface AppendRequest extends Envelope {
  readonly type: "append";
  readonly prevLogIndex: number;
  readonly prevLogTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

/**
 * Accepted: `index` is the last index now known to match the leader's log.
 * Rejected: `index` is the rejected prevLogIndex, and (`hintIndex`, `hintTerm`) is the follower's
 * last entry at or below it whose term is at most the leader's prevLogTerm: the leader skips
 * every index the hint rules out (fast back-off, §5.3 last paragraphs).
 */
export interface AppendResponse extends Envelope {
  readonly type: "appendResponse";
  readonly index: number;
  readonly reject: boolean;
  readonly hintIndex: number;
  readonly hintTerm: number;
}

/** Empty AppendEntries: keeps followers from campaigning and carries a safe commit index. */
export interface Heartbeat extends Envelope {
  readonly type: "heartbeat";
  readonly commit: number;
}

export interface HeartbeatResponse extends Envelope {
  readonly type: "heartbeatResponse";
}

/**
 * InstallSnapshot (§7), one message here; a transport that cannot carry it in one piece sends
 * it in chunks (chunks.ts) and reports the outcome with reportSnapshot.
 */
export interface InstallSnapshot extends Envelope {
  readonly type: "snapshot";
  readonly snapshot: Snapshot;
}

/** Leader transfer (thesis §3.10): "campaign now, skipping pre-vote". */
export interface TimeoutNow extends Envelope {
  readonly type: "timeoutNow";
}

export type Message =
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | Heartbeat
  | HeartbeatResponse
  | InstallSnapshot
  | TimeoutNow;

export type MessageType = Message["type"];

export const MESSAGE_TYPES: readonly MessageType[] = [
  "preVote",
  "vote",
  "preVoteResponse",
  "voteResponse",
  "append",
  "appendResponse",
  "heartbeat",
  "heartbeatResponse",
  "snapshot",
  "timeoutNow",
];
