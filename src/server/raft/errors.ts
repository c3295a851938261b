import type { NodeId } from "./types.js";

/** The requested index is at or below the compacted prefix of the log. */
export class CompactedError extends Error {
  constructor(
    readonly index: number,
    readonly firstIndex: number,
  ) {
    super(`log index ${index} is compacted: the log starts at ${firstIndex}`);
    this.name = "CompactedError";
  }
}

/** The requested index is past the end of the log. */
export class UnavailableError extends Error {
  constructor(
    readonly index: number,
    readonly lastIndex: number,
  ) {
    super(`log index ${index} is not available: the log ends at ${lastIndex}`);
    this.name = "UnavailableError";
  }
}

/** Proposals, membership changes and leader transfers are accepted by the leader only. */
export class NotLeaderError extends Error {
  constructor(
    readonly nodeId: NodeId,
    /** The leader this node knows of, or null during an election. */
    readonly leader: NodeId | null,
  ) {
    super(
      leader === null
        ? `node ${nodeId} is not the Raft leader and knows of no leader`
        : `node ${nodeId} is not the Raft leader; the leader is ${leader}`,
    );
    this.name = "NotLeaderError";
  }
}

/** The leader refused a proposal it would otherwise accept (e.g. while handing leadership over). */
export class ProposalDroppedError extends Error {
  constructor(reason: string) {
    super(`proposal dropped: ${reason}`);
    this.name = "ProposalDroppedError";
  }
}

/** A membership change that does not fit the current configuration. */
export class ConfChangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfChangeError";
  }
}

/** Bytes that do not decode as what they claim to be (message, entry, snapshot, hard state). */
export class DecodeError extends Error {
  constructor(what: string, reason: string) {
    super(`cannot decode ${what}: ${reason}`);
    this.name = "DecodeError";
  }
}

/** Durable Raft state that failed a CRC or structure check somewhere other than a torn tail. */
export class CorruptStorageError extends Error {
  constructor(
    readonly file: string,
    readonly position: number,
    reason: string,
  ) {
    super(`corrupt Raft storage in ${file} at byte ${position}: ${reason}`);
    this.name = "CorruptStorageError";
  }
}

/**
 * A Raft safety rule would be broken (for instance a committed entry would be overwritten).
 * It signals a bug or damaged storage; the node must stop.
 */
export class RaftInvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RaftInvariantError";
  }
}
