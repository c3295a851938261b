import type { ApplyResult, MetadataCommand } from "./types.js";

/**
 * The one door through which metadata changes pass. Callers propose a command and get the
 * result once it is committed and applied on this broker. The engine is the metadata Raft
 * group (cluster/metadata-raft.ts); a broker that is not the controller forwards to it.
 */
export interface ReplicatedLog {
  /** Rejects with MetadataUnavailableError when not committed and applied by `deadline` (ms). */
  propose(command: MetadataCommand, deadline?: number): Promise<ApplyResult>;
  /**
   * Resolves once this broker has applied everything the controller had committed when asked
   * (at once on the controller). A check against local metadata that would refuse a request
   * (no such stream) waits for this first, so a follower that has not yet applied a change
   * another broker already acknowledged does not deny it. Rejects with MetadataUnavailableError.
   */
  catchUp(deadline?: number): Promise<void>;
  /** Index of the newest applied command (1-based; 0 when none). */
  readonly appliedIndex: number;
  /** A command applied earlier, with what applying it did; undefined once compacted away. */
  entry(index: number): AppliedEntry | undefined;
  /** Calls `listener` after each command is applied (not for the replay at open). */
  onApplied(listener: (index: number) => void): void;
  close(): Promise<void>;
}

export interface AppliedEntry {
  command: MetadataCommand;
  result: ApplyResult;
}

/**
 * The change could not be committed in time: no controller is known (no quorum), or the
 * controller did not answer. It may still be applied later; the API answers Unavailable.
 */
export class MetadataUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MetadataUnavailableError";
  }
}

/**
 * The change was not stored and will never take effect: the metadata log could not write it
 * (with `diskFull`, for lack of space) and took it back. The API answers ResourceExhausted
 * for a full disk, Unavailable otherwise.
 */
export class MetadataNotStoredError extends Error {
  constructor(
    message: string,
    readonly diskFull: boolean,
  ) {
    super(message);
    this.name = "MetadataNotStoredError";
  }
}

/**
 * The command is too large for one metadata Raft entry (one NATS message): refused before it
 * was appended, so nothing of it is applied. The API answers InvalidArgument.
 */
export class MetadataCommandTooLargeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MetadataCommandTooLargeError";
  }
}
