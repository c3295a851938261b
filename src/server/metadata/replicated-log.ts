import type { ApplyResult, MetadataCommand } from "./types.js";

/**
 * The one door through which metadata changes pass. Callers propose a command and get the
 * result once it is committed and applied on this broker. Today's engine is a single-member
 * durable log (SingleNodeLog); the Raft engine replaces it without changing the callers.
 */
export interface ReplicatedLog {
  propose(command: MetadataCommand): Promise<ApplyResult>;
  close(): Promise<void>;
}
