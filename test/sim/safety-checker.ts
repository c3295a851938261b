import type { Entry, StorageUpdate } from "../../src/server/raft/index.js";
import type { NodeObserver, SimNode } from "./sim-node.js";

export class SafetyViolation extends Error {
  constructor(property: string, detail: string) {
    super(`${property}: ${detail}`);
    this.name = "SafetyViolation";
  }
}

interface LoggedEntry {
  readonly kind: Entry["kind"];
  readonly data: Uint8Array;
  readonly prevTerm: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * Checks the Raft safety properties (paper §5.2–§5.4, Figure 3) as the simulation runs:
 * - Election Safety: at most one leader per term.
 * - Log Matching: entries with the same index and term hold the same command and the same
 *   predecessor term, hence (by induction) identical prefixes. Every entry that enters any
 *   log passes through a Ready, where it is checked.
 * - Leader Completeness: a new leader holds every entry committed before its election.
 * - State Machine Safety: no two nodes apply different entries at one index (compared by the
 *   digest of the whole applied prefix), including across restarts and snapshots.
 */
export class SafetyChecker implements NodeObserver {
  private readonly leaders = new Map<number, string>();
  private readonly leadersChecked = new Set<string>();
  private readonly entries = new Map<string, LoggedEntry>();
  /** Term of the entry committed at each index, as first seen committed anywhere. */
  readonly committed = new Map<number, number>();
  private readonly digests = new Map<number, number>();
  private readonly commitSeen = new Map<string, number>();
  maxCommitted = 0;
  leaderCount = 0;

  /** A node (re)started: its commit point is whatever its storage says. */
  started(node: SimNode): void {
    this.commitSeen.set(node.id, node.raft.log.committed);
  }

  persisted(node: SimNode, update: StorageUpdate): void {
    const log = node.raft.log;
    if (update.snapshot) {
      const { index, term } = update.snapshot.metadata;
      const known = this.committed.get(index);
      if (known !== undefined && known !== term) {
        throw new SafetyViolation(
          "State Machine Safety",
          `node ${node.id} installed a snapshot ending at ${index} term ${term}, but term ${known} was committed there`,
        );
      }
    }
    let prevTerm = update.entries.length > 0 ? log.term(update.entries[0]!.index - 1) : undefined;
    for (const entry of update.entries) {
      if (prevTerm === undefined) {
        throw new SafetyViolation(
          "Log Matching",
          `node ${node.id} stored entry ${entry.index} with no entry before it in its log`,
        );
      }
      this.checkEntry(node.id, entry, prevTerm);
      prevTerm = entry.term;
    }
    if (update.hardState) this.checkCommit(node, update.hardState.commit);
  }

  private checkEntry(nodeId: string, entry: Entry, prevTerm: number): void {
    const key = `${entry.index}/${entry.term}`;
    const seen = this.entries.get(key);
    if (!seen) {
      this.entries.set(key, { kind: entry.kind, data: entry.data, prevTerm });
      return;
    }
    if (
      seen.kind !== entry.kind ||
      !sameBytes(seen.data, entry.data) ||
      seen.prevTerm !== prevTerm
    ) {
      throw new SafetyViolation(
        "Log Matching",
        `node ${nodeId} holds entry ${entry.index} of term ${entry.term} (after term ${prevTerm}) that differs from another node's (after term ${seen.prevTerm})`,
      );
    }
  }

  private checkCommit(node: SimNode, commit: number): void {
    const from = this.commitSeen.get(node.id) ?? 0;
    if (commit < from) {
      throw new SafetyViolation(
        "Commit monotonicity",
        `node ${node.id} moved its commit index back from ${from} to ${commit}`,
      );
    }
    const log = node.raft.log;
    for (let index = from + 1; index <= commit; index++) {
      const term = log.term(index);
      if (term === undefined) continue; // covered by an installed snapshot
      const known = this.committed.get(index);
      if (known === undefined) this.committed.set(index, term);
      else if (known !== term) {
        throw new SafetyViolation(
          "State Machine Safety",
          `node ${node.id} committed index ${index} with term ${term}, another node with term ${known}`,
        );
      }
    }
    this.commitSeen.set(node.id, commit);
    this.maxCommitted = Math.max(this.maxCommitted, commit);
  }

  applied(node: SimNode, index: number, digest: number): void {
    const known = this.digests.get(index);
    if (known === undefined) this.digests.set(index, digest);
    else if (known !== digest) {
      throw new SafetyViolation(
        "State Machine Safety",
        `node ${node.id} applied a different history up to index ${index} than another node`,
      );
    }
  }

  /** Checks the leaders among `nodes` (Election Safety, Leader Completeness). */
  observeRoles(nodes: Iterable<SimNode>): void {
    for (const node of nodes) {
      if (!node.up || node.raft.role !== "leader") continue;
      const term = node.raft.term;
      const key = `${term}/${node.id}`;
      if (this.leadersChecked.has(key)) continue;
      const other = this.leaders.get(term);
      if (other !== undefined && other !== node.id) {
        throw new SafetyViolation(
          "Election Safety",
          `nodes ${other} and ${node.id} both lead term ${term}`,
        );
      }
      this.leaders.set(term, node.id);
      this.leadersChecked.add(key);
      this.leaderCount++;
      this.checkLeaderCompleteness(node);
    }
  }

  private checkLeaderCompleteness(node: SimNode): void {
    const log = node.raft.log;
    const first = log.firstIndex();
    for (const [index, term] of this.committed) {
      // Compacted entries are vouched for by the snapshot digest check.
      if (index < first) continue;
      const ours = log.term(index);
      if (ours !== term) {
        throw new SafetyViolation(
          "Leader Completeness",
          `node ${node.id}, leader of term ${node.raft.term}, has ${ours === undefined ? "no entry" : `term ${ours}`} at index ${index} where term ${term} was committed`,
        );
      }
    }
  }
}
