import {
  type ApplyBatch,
  MemoryStorage,
  type Message,
  type RandomSource,
  RawNode,
  type StorageUpdate,
} from "../../src/server/raft/index.js";
import type { Raft } from "../../src/server/raft/raft.js";
import { DigestApp } from "./digest-app.js";

export interface NodeSettings {
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly maxInflight: number;
  readonly maxMessageBytes: number;
}

export const DEFAULT_NODE_SETTINGS: NodeSettings = {
  electionTicks: 10,
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
  maxInflight: 8,
  maxMessageBytes: 512,
};

/** Where in the handling of a Ready a simulated crash strikes. */
export type CrashPoint = "beforePersist" | "midPersist" | "afterPersist" | "afterSend";

export const CRASH_POINTS: readonly CrashPoint[] = [
  "beforePersist",
  "midPersist",
  "afterPersist",
  "afterSend",
];

export class SimulatedCrash extends Error {
  constructor(point: CrashPoint) {
    super(`simulated crash ${point}`);
    this.name = "SimulatedCrash";
  }
}

/** Hooks through which the safety checker sees what a node persists and applies. */
export interface NodeObserver {
  persisted(node: SimNode, update: StorageUpdate): void;
  applied(node: SimNode, index: number, digest: number): void;
}

/**
 * One simulated server: a RawNode (its volatile state, lost in a crash), a MemoryStorage (its
 * disk, which survives) and the digest application (rebuilt from the storage's snapshot and
 * the log on restart).
 */
export class SimNode {
  readonly storage = new MemoryStorage();
  raw: RawNode | null = null;
  app = new DigestApp(0, 0);
  /** The highest index applied in any life: a restart must never fall behind it. */
  maxApplied = 0;
  lives = 0;

  constructor(
    readonly id: string,
    readonly settings: NodeSettings,
  ) {}

  get up(): boolean {
    return this.raw !== null;
  }

  get raft(): Raft {
    if (!this.raw) throw new Error(`node ${this.id} is down`);
    return this.raw.raft;
  }

  start(random: RandomSource): void {
    const { commit } = this.storage.initialState().hardState;
    const covered = Math.max(commit, this.storage.snapshot().metadata.index);
    if (covered < this.maxApplied) {
      throw new Error(
        `node ${this.id} restarts with commit ${covered} below the ${this.maxApplied} it had applied: applied entries were lost`,
      );
    }
    this.raw = new RawNode({ id: this.id, storage: this.storage, random, ...this.settings });
    this.app = DigestApp.fromSnapshot(this.storage.snapshot());
    this.lives++;
  }

  crash(): void {
    this.raw = null;
  }

  /**
   * Handles every pending Ready. With `crashAt`, the node crashes at that point of the first
   * Ready that reaches it (and stays down). Returns false if it crashed.
   */
  drain(
    send: (messages: readonly Message[]) => void,
    observer: NodeObserver,
    crashAt?: CrashPoint,
  ): boolean {
    let pendingCrash = crashAt;
    const strike = (point: CrashPoint) => {
      if (pendingCrash === point) throw new SimulatedCrash(point);
    };
    try {
      while (
        this.raw?.handleReadySync({
          persist: (update) => {
            strike("beforePersist");
            if (update.snapshot) this.storage.applySnapshot(update.snapshot);
            if (update.entries.length > 0) this.storage.append(update.entries);
            strike("midPersist");
            if (update.hardState) this.storage.setHardState(update.hardState);
            observer.persisted(this, update);
            strike("afterPersist");
          },
          send: (messages) => {
            send(messages);
            strike("afterSend");
          },
          apply: (batch) => this.apply(batch, observer),
        })
      ) {
        pendingCrash = undefined;
      }
    } catch (err) {
      if (!(err instanceof SimulatedCrash)) throw err;
      this.crash();
      return false;
    }
    return true;
  }

  private apply(batch: ApplyBatch, observer: NodeObserver): void {
    if (batch.snapshot) {
      this.app = DigestApp.fromSnapshot(batch.snapshot);
      observer.applied(this, this.app.index, this.app.digest);
    }
    for (const entry of batch.entries) {
      this.app.apply(entry);
      observer.applied(this, entry.index, this.app.digest);
    }
    this.maxApplied = Math.max(this.maxApplied, this.app.index);
  }

  /** Snapshots the application at its applied index and compacts the log up to `keepFrom`. */
  snapshotAndCompact(keepEntries: number): boolean {
    const raw = this.raw;
    if (!raw || this.app.index <= this.storage.snapshot().metadata.index) return false;
    if (this.app.index !== raw.appliedIndex()) {
      throw new Error(
        `node ${this.id}: application at ${this.app.index}, Raft applied ${raw.appliedIndex()}`,
      );
    }
    this.storage.createSnapshot(this.app.index, raw.confState(), this.app.snapshotData());
    this.storage.compact(Math.max(this.storage.firstIndex() - 1, this.app.index - keepEntries));
    return true;
  }
}
