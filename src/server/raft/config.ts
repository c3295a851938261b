import type { RandomSource } from "./random.js";
import type { Storage } from "./storage.js";
import type { NodeId } from "./types.js";

export interface RaftConfig {
  readonly id: NodeId;
  readonly storage: Storage;
  /** Election jitter source. */
  readonly random: RandomSource;
  /**
   * Ticks without hearing from a leader before a follower campaigns; the actual timeout is
   * drawn from [electionTicks, 2 * electionTicks) each time (§5.2). Default 10.
   */
  readonly electionTicks?: number;
  /** Ticks between a leader's heartbeats. Default 1. */
  readonly heartbeatTicks?: number;
  /** Pre-vote (thesis §9.6): a partitioned node cannot raise the term. Default true. */
  readonly preVote?: boolean;
  /**
   * Check-quorum (thesis §6.2): a leader that has not heard from a quorum for an election
   * timeout steps down, and a follower that hears from a live leader ignores vote requests
   * (the leader lease). Default true.
   */
  readonly checkQuorum?: boolean;
  /** Upper bound of entry bytes per append message (at least one entry is sent). Default 1 MiB. */
  readonly maxMessageBytes?: number;
  /** Appends in flight per follower in replicate state. Default 64. */
  readonly maxInflight?: number;
  /** Upper bound of entry bytes per Ready's committedEntries. Default 4 MiB. */
  readonly maxApplyBytes?: number;
  /** Index the application has already applied (it restored its state past the snapshot). */
  readonly applied?: number;
}

export type ResolvedRaftConfig = Required<RaftConfig>;

function positiveInteger(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`raft config ${field} ${value}: expected a positive integer`);
  }
  return value;
}

/** Fills in defaults and rejects impossible settings, naming the field. */
export function resolveConfig(config: RaftConfig): ResolvedRaftConfig {
  if (typeof config.id !== "string" || config.id.length === 0) {
    throw new Error(`raft config id ${JSON.stringify(config.id)}: expected a non-empty node ID`);
  }
  const electionTicks = positiveInteger("electionTicks", config.electionTicks ?? 10);
  const heartbeatTicks = positiveInteger("heartbeatTicks", config.heartbeatTicks ?? 1);
  if (electionTicks <= heartbeatTicks) {
    throw new Error(
      `raft config electionTicks ${electionTicks}: expected more than heartbeatTicks (${heartbeatTicks})`,
    );
  }
  const applied = config.applied ?? 0;
  if (!Number.isSafeInteger(applied) || applied < 0) {
    throw new Error(`raft config applied ${applied}: expected a non-negative integer`);
  }
  return {
    id: config.id,
    storage: config.storage,
    random: config.random,
    electionTicks,
    heartbeatTicks,
    preVote: config.preVote ?? true,
    checkQuorum: config.checkQuorum ?? true,
    maxMessageBytes: positiveInteger("maxMessageBytes", config.maxMessageBytes ?? 1 << 20),
    maxInflight: positiveInteger("maxInflight", config.maxInflight ?? 64),
    maxApplyBytes: positiveInteger("maxApplyBytes", config.maxApplyBytes ?? 4 << 20),
    applied,
  };
}
