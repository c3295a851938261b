import type { RaftConfig } from "./config.js";
import type { Message } from "./messages.js";
import { Raft, type RaftStatus, type SoftState } from "./raft.js";
import type { StorageUpdate } from "./storage.js";
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  hardStatesEqual,
  type NodeId,
  type Snapshot,
} from "./types.js";

/** One batch of the core's output. */
export interface Ready {
  /** Set when the role or known leader changed. */
  readonly softState?: SoftState;
  /** Set when term, vote or commit changed. */
  readonly hardState?: HardState;
  /** Entries to append to storage. */
  readonly entries: readonly Entry[];
  /** A snapshot from the leader to store and to restore the application from. */
  readonly snapshot?: Snapshot;
  /** Entries to apply to the application, in order. */
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
}

/** Where a proposal was appended in the leader's log. */
export interface Proposal {
  readonly index: number;
  readonly term: number;
}

/** What the application receives to apply: restore `snapshot` (if any), then apply `entries`. */
export interface ApplyBatch {
  readonly snapshot?: Snapshot;
  /** Includes membership-change entries (decode with decodeConfChange) and empty entries. */
  readonly entries: readonly Entry[];
}

type MaybePromise<T> = T | Promise<T>;

export interface ReadyHandler {
  /** Make the update durable (persistUpdate does it in the right order). */
  persist(update: StorageUpdate): MaybePromise<void>;
  /** Hand messages to the transport; delivery may fail, Raft retries on its own. */
  send(messages: readonly Message[]): void;
  apply(batch: ApplyBatch): MaybePromise<void>;
  /** Told when the role or the known leader changed, after the batch was applied. */
  softState?(state: SoftState): void;
}

export interface SyncReadyHandler extends ReadyHandler {
  persist(update: StorageUpdate): void;
  apply(batch: ApplyBatch): void;
}

/**
 * The driver-facing node. The driver feeds it (tick, step, propose...) and, whenever
 * hasReady(), calls handleReady with its I/O. handleReady is the one place the ordering rule
 * lives:
 *
 *   1. persist: the snapshot, the entries, then the hard state, durably (fsync). Votes and
 *      acknowledged entries must survive a crash before anyone hears about them (§5.2, §5.3).
 *   2. send the messages. They may promise what step 1 stored (a vote, an append ack), so
 *      never before it.
 *   3. apply the committed entries (and a received snapshot) to the application. They may
 *      include entries persisted in step 1 of this very batch.
 *   4. advance: the core learns that all of the above happened; committed membership
 *      changes take effect now.
 *
 * One handleReady at a time (a second concurrent call throws). tick/step/propose may be
 * called while one is awaiting I/O. If a handler throws, the node is broken and refuses
 * further use: restart it from its storage, as after a crash.
 */
export class RawNode {
  readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;
  private busy = false;
  private broken: unknown = null;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoft = this.raft.softState();
    this.prevHard = this.raft.hardState();
  }

  get id(): NodeId {
    return this.raft.id;
  }

  tick(): void {
    this.usable().tick();
  }

  step(message: Message): void {
    this.usable().step(message);
  }

  /**
   * Appends a command. Leader only (NotLeaderError otherwise; ProposalDroppedError during a
   * leader transfer). The command took effect when an entry with this index and term is
   * applied; an applied entry at this index with another term means it was lost.
   */
  propose(data: Uint8Array): Proposal {
    const raft = this.usable();
    return { index: raft.propose(data), term: raft.term };
  }

  /** Like propose; also ConfChangeError for a change that does not fit the membership. */
  proposeConfChange(change: ConfChange): Proposal {
    const raft = this.usable();
    return { index: raft.proposeConfChange(change), term: raft.term };
  }

  /** Campaigns now (no-op for a leader or a non-voter), e.g. a lone voter at start. */
  campaign(): void {
    this.usable().campaignNow();
  }

  transferLeadership(to: NodeId): void {
    this.usable().transferLeadership(to);
  }

  reportUnreachable(id: NodeId): void {
    this.usable().reportUnreachable(id);
  }

  reportSnapshot(id: NodeId, delivered: boolean): void {
    this.usable().reportSnapshot(id, delivered);
  }

  status(): RaftStatus {
    return this.raft.status();
  }

  /** Membership as of the applied index: what a snapshot taken now must record. */
  confState(): ConfState {
    return this.raft.conf;
  }

  appliedIndex(): number {
    return this.raft.log.applied;
  }

  hasReady(): boolean {
    const r = this.raft;
    return (
      this.broken === null &&
      (r.messages.length > 0 ||
        r.log.unstable.entries.length > 0 ||
        r.log.unstable.snapshot !== null ||
        r.log.hasNextCommittedEntries() ||
        !hardStatesEqual(r.hardState(), this.prevHard) ||
        !softStatesEqual(r.softState(), this.prevSoft))
    );
  }

  /** Runs one Ready through `io` in the order above; false when there was nothing to do. */
  async handleReady(io: ReadyHandler): Promise<boolean> {
    const rd = this.begin();
    if (!rd) return false;
    try {
      for (const step of this.steps(rd, io)) await step;
    } catch (err) {
      this.broken = err;
      throw err;
    } finally {
      this.busy = false;
    }
    return true;
  }

  /** handleReady for synchronous I/O (in-memory storage, simulations): the same order. */
  handleReadySync(io: SyncReadyHandler): boolean {
    const rd = this.begin();
    if (!rd) return false;
    try {
      for (const step of this.steps(rd, io)) {
        if (step instanceof Promise) throw new Error("handleReadySync needs synchronous I/O");
      }
    } catch (err) {
      this.broken = err;
      throw err;
    } finally {
      this.busy = false;
    }
    return true;
  }

  /**
   * The ordering rule, written once: each yield is I/O that must finish before the next step
   * (the async driver awaits it, the sync one checks it already has).
   */
  private *steps(rd: Ready, io: ReadyHandler): Generator<MaybePromise<void>, void, void> {
    if (rd.snapshot || rd.entries.length > 0 || rd.hardState) {
      yield io.persist({ snapshot: rd.snapshot, entries: rd.entries, hardState: rd.hardState });
    }
    if (rd.messages.length > 0) io.send(rd.messages);
    if (rd.snapshot || rd.committedEntries.length > 0) {
      yield io.apply({ snapshot: rd.snapshot, entries: rd.committedEntries });
    }
    if (rd.softState) io.softState?.(rd.softState);
    this.advance(rd);
  }

  private usable(): Raft {
    if (this.broken !== null) {
      throw new Error("this Raft node failed while handling a Ready; restart it from its storage", {
        cause: this.broken,
      });
    }
    return this.raft;
  }

  private begin(): Ready | null {
    this.usable();
    if (this.busy) throw new Error("handleReady is already running: await it before calling again");
    if (!this.hasReady()) return null;
    this.busy = true;
    const r = this.raft;
    const soft = r.softState();
    const hard = r.hardState();
    const rd: Ready = {
      softState: softStatesEqual(soft, this.prevSoft) ? undefined : soft,
      hardState: hardStatesEqual(hard, this.prevHard) ? undefined : hard,
      entries: r.log.unstable.entries.slice(),
      snapshot: r.log.unstable.snapshot ?? undefined,
      committedEntries: r.log.nextCommittedEntries(),
      messages: r.messages,
    };
    r.messages = [];
    this.prevSoft = soft;
    this.prevHard = hard;
    return rd;
  }

  private advance(rd: Ready): void {
    const log = this.raft.log;
    if (rd.snapshot) {
      log.stableSnapshotTo(rd.snapshot.metadata.index);
      log.appliedTo(rd.snapshot.metadata.index);
    }
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (lastEntry) log.stableTo(lastEntry.index, lastEntry.term);
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied) {
      log.appliedTo(lastApplied.index);
      this.raft.applyEntries(rd.committedEntries);
    }
  }
}

function softStatesEqual(a: SoftState, b: SoftState): boolean {
  return a.role === b.role && a.leader === b.leader;
}
