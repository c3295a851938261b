import type { ApplyResult, MetadataCommand } from "./types.js";

/**
 * The one door through which metadata changes pass. Callers propose a command and get the
 * result once it is committed and applied on this broker. Today's engine is a single-member
 * durable log (SingleNodeLog); the Raft engine replaces it without changing the callers.
 */
export interface ReplicatedLog {
  propose(command: MetadataCommand): Promise<ApplyResult>;
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
