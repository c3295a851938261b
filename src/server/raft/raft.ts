import { decodeConfChange, encodeConfChange } from "./codec.js";
import { applyConfChange, checkConfChange } from "./conf-state.js";
import { type RaftConfig, type ResolvedRaftConfig, resolveConfig } from "./config.js";
import { NotLeaderError, ProposalDroppedError, RaftInvariantError } from "./errors.js";
import type {
  AppendRequest,
  AppendResponse,
  Heartbeat,
  InstallSnapshot,
  Message,
  VoteRequest,
  VoteResponse,
} from "./messages.js";
import { Progress, type ProgressState } from "./progress.js";
import { committedIndex, voteResult } from "./quorum.js";
import { RaftLog } from "./raft-log.js";
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type EntryKind,
  type HardState,
  isEmptyHardState,
  type NodeId,
  type Role,
  type Snapshot,
} from "./types.js";

export interface SoftState {
  readonly role: Role;
  readonly leader: NodeId | null;
}

export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly recentActive: boolean;
}

export interface RaftStatus extends SoftState {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId | null;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly confState: ConfState;
  readonly leadTransferee: NodeId | null;
  /** The leader's view of every member's replication; empty on other nodes. */
  readonly progress: Readonly<Record<NodeId, ProgressStatus>>;
}

type Campaign = "preElection" | "election" | "transfer";

/**
 * Raft as a pure state machine, in the style of etcd's raft.go: no I/O, no timers, no
 * ambient randomness. Inputs are step() (a message), tick() (a clock pulse), propose() and
 * friends; outputs accumulate in `messages` and in the log's unstable part and commit index,
 * and RawNode hands them to the driver as a Ready.
 *
 * Section references are to the Raft paper (Ongaro & Ousterhout, 2014) and Ongaro's thesis.
 */
export class Raft {
  readonly id: NodeId;
  readonly log: RaftLog;
  term = 0;
  vote: NodeId | null = null;
  role: Role = "follower";
  leader: NodeId | null = null;
  /** Messages produced since the last Ready. */
  messages: Message[] = [];
  /** Membership as of the applied index (committed changes take effect once applied). */
  conf: ConfState = { voters: [], learners: [] };
  /** Log index `conf` is as of (a snapshot's index or a membership entry's). */
  private confIndex = 0;
  private voters = new Set<NodeId>();
  private members = new Set<NodeId>();
  /** Per member replication state; meaningful on the leader. */
  readonly progress = new Map<NodeId, Progress>();
  private readonly votes = new Map<NodeId, boolean>();
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  /** Index of the latest membership change the leader appended; one at a time. */
  private pendingConfIndex = 0;
  leadTransferee: NodeId | null = null;
  private readonly cfg: ResolvedRaftConfig;

  constructor(config: RaftConfig) {
    this.cfg = resolveConfig(config);
    this.id = this.cfg.id;
    this.log = new RaftLog(this.cfg.storage);
    const { hardState, confState } = this.cfg.storage.initialState();
    this.setConf(confState);
    this.confIndex = this.cfg.storage.snapshot().metadata.index;
    if (!isEmptyHardState(hardState)) this.loadHardState(hardState);
    if (this.cfg.applied > 0) this.log.appliedTo(this.cfg.applied);
    this.becomeFollower(this.term, null);
  }

  private loadHardState(state: HardState): void {
    if (state.commit > this.log.lastIndex()) {
      throw new RaftInvariantError(
        `stored commit index ${state.commit} is past the stored log's last index ${this.log.lastIndex()}`,
      );
    }
    // A crash between storing a received snapshot and the hard state leaves the stored
    // commit below the snapshot, which is committed by definition.
    this.log.committed = Math.max(this.log.committed, state.commit);
    this.term = state.term;
    this.vote = state.vote;
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  softState(): SoftState {
    return { role: this.role, leader: this.leader };
  }

  isVoter(id: NodeId = this.id): boolean {
    return this.voters.has(id);
  }

  status(): RaftStatus {
    const progress: Record<NodeId, ProgressStatus> = {};
    if (this.role === "leader") {
      for (const [id, pr] of this.progress) {
        progress[id] = {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          recentActive: pr.recentActive,
        };
      }
    }
    return {
      id: this.id,
      role: this.role,
      leader: this.leader,
      term: this.term,
      vote: this.vote,
      commit: this.log.committed,
      applied: this.log.applied,
      firstIndex: this.log.firstIndex(),
      lastIndex: this.log.lastIndex(),
      confState: this.conf,
      leadTransferee: this.leadTransferee,
      progress,
    };
  }

  // ---------------------------------------------------------------------------------------
  // Inputs

  tick(): void {
    if (this.role === "leader") this.tickLeader();
    else this.tickElection();
  }

  /** Appends an application command; returns its log index. Leader only. */
  propose(data: Uint8Array): number {
    this.checkCanPropose();
    return this.appendAndBroadcast("normal", data);
  }

  /** Appends a single-server membership change (thesis §4.1); returns its index. Leader only. */
  proposeConfChange(change: ConfChange): number {
    this.checkCanPropose();
    if (this.pendingConfIndex > this.log.applied) {
      throw new ProposalDroppedError(
        `the membership change at index ${this.pendingConfIndex} is not applied yet; one change at a time`,
      );
    }
    checkConfChange(this.conf, change);
    const index = this.appendAndBroadcast("confChange", encodeConfChange(change));
    this.pendingConfIndex = index;
    return index;
  }

  /**
   * Hands leadership to `to` (thesis §3.10): bring its log up to date, then tell it to
   * campaign at once. Proposals are refused meanwhile; the transfer is abandoned if it does
   * not finish within an election timeout.
   */
  transferLeadership(to: NodeId): void {
    if (this.role !== "leader") throw new NotLeaderError(this.id, this.leader);
    if (to === this.id) return;
    if (!this.voters.has(to)) {
      throw new ProposalDroppedError(`cannot transfer leadership to ${to}: it is not a voter`);
    }
    if (this.leadTransferee === to) return;
    this.electionElapsed = 0;
    this.leadTransferee = to;
    const pr = this.progress.get(to)!;
    if (pr.match === this.log.lastIndex())
      this.send({ type: "timeoutNow", to, from: this.id, term: this.term });
    else this.sendAppend(to);
  }

  /** The driver could not reach `id`: stop streaming to it until it answers again. */
  reportUnreachable(id: NodeId): void {
    const pr = this.role === "leader" ? this.progress.get(id) : undefined;
    if (pr?.state === "replicate") pr.becomeProbe();
  }

  /** The driver learned whether the snapshot sent to `id` was delivered. */
  reportSnapshot(id: NodeId, delivered: boolean): void {
    const pr = this.role === "leader" ? this.progress.get(id) : undefined;
    if (pr?.state !== "snapshot") return;
    if (!delivered) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    // Wait for the follower's answer (or a heartbeat response) before probing.
    pr.probeSent = true;
  }

  /** Applies a committed membership change; called once the application applied the entry. */
  applyConfChange(change: ConfChange): ConfState {
    const before = this.voters;
    this.setConf(applyConfChange(this.conf, change));
    if (this.role !== "leader") return this.conf;
    if (!this.voters.has(this.id)) {
      // Removed: a leader outside the configuration steps down; the rest elect a new one.
      this.becomeFollower(this.term, null);
      return this.conf;
    }
    if (this.leadTransferee !== null && !this.voters.has(this.leadTransferee)) {
      this.leadTransferee = null;
    }
    if (this.maybeCommit()) this.broadcastAppend();
    else {
      for (const id of this.members) if (!before.has(id) && id !== this.id) this.sendAppend(id);
    }
    return this.conf;
  }

  /**
   * Applies the membership changes among entries just applied. Changes at or below the
   * index the membership is already as of (a snapshot installed meanwhile) are skipped.
   */
  applyEntries(entries: readonly Entry[]): void {
    for (const entry of entries) {
      if (entry.kind !== "confChange" || entry.index <= this.confIndex) continue;
      this.applyConfChange(decodeConfChange(entry.data));
      this.confIndex = entry.index;
    }
  }

  step(m: Message): void {
    if (m.to !== this.id || m.from === this.id) return;
    if (m.term > this.term) {
      if (m.type === "preVote" || m.type === "vote") {
        // Leader lease (thesis §6.2 with check-quorum): while we hear from a live leader, a
        // candidate is probably partitioned or removed and must not disturb the cluster.
        const inLease =
          this.cfg.checkQuorum &&
          this.leader !== null &&
          this.electionElapsed < this.cfg.electionTicks;
        if (inLease && !(m.type === "vote" && m.transfer)) return;
      }
      if (m.type === "preVote" || (m.type === "preVoteResponse" && !m.reject)) {
        // A pre-vote or a granted pre-vote carries a term nobody holds yet: no change.
      } else if (m.type === "append" || m.type === "heartbeat" || m.type === "snapshot") {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, null);
      }
    } else if (m.term < this.term) {
      if (
        (this.cfg.checkQuorum || this.cfg.preVote) &&
        (m.type === "append" || m.type === "heartbeat")
      ) {
        // A stale leader (e.g. after a partition healed) learns our term and steps down;
        // with pre-vote it could otherwise never be told, as nobody raises terms any more.
        this.send({ type: "heartbeatResponse", to: m.from, from: this.id, term: this.term });
      } else if (m.type === "preVote") {
        this.send({
          type: "preVoteResponse",
          to: m.from,
          from: this.id,
          term: this.term,
          reject: true,
        });
      }
      return;
    }

    if (m.type === "preVote" || m.type === "vote") {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.role) {
      case "leader":
        this.stepLeader(m);
        break;
      case "candidate":
      case "preCandidate":
        this.stepCandidate(m);
        break;
      case "follower":
        this.stepFollower(m);
        break;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Elections (§5.2, §5.4.1, thesis §9.6)

  private tickElection(): void {
    this.electionElapsed++;
    if (this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      // Not heard from within a timeout: forget the leader, which also ends its lease here
      // (a node that cannot campaign, such as a learner, must still grant votes later).
      this.leader = null;
      this.startElection(false);
    }
  }

  /** Starts an election now instead of at the election timeout (etcd's MsgHup). */
  campaignNow(): void {
    this.startElection(false);
  }

  private startElection(transfer: boolean): void {
    if (this.role === "leader" || !this.voters.has(this.id)) return;
    // A node about to apply a membership change would campaign with a stale configuration.
    if (this.hasUnappliedConfChanges()) return;
    if (transfer) this.campaign("transfer");
    else this.campaign(this.cfg.preVote ? "preElection" : "election");
  }

  private hasUnappliedConfChanges(): boolean {
    if (this.log.committed <= this.log.applied) return false;
    const lo = Math.max(this.log.applied + 1, this.log.firstIndex());
    return this.log.slice(lo, this.log.committed + 1).some((e) => e.kind === "confChange");
  }

  private campaign(kind: Campaign): void {
    let type: "preVote" | "vote";
    let term: number;
    if (kind === "preElection") {
      this.becomePreCandidate();
      type = "preVote";
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      type = "vote";
      term = this.term;
    }
    this.votes.set(this.id, true);
    if (voteResult(this.voters, this.votes) === "won") {
      if (kind === "preElection") this.campaign("election");
      else this.becomeLeader();
      return;
    }
    const lastLogIndex = this.log.lastIndex();
    const lastLogTerm = this.log.lastTerm();
    for (const to of this.voters) {
      if (to === this.id) continue;
      this.send({
        type,
        to,
        from: this.id,
        term,
        lastLogIndex,
        lastLogTerm,
        transfer: kind === "transfer",
      });
    }
  }

  private handleVoteRequest(m: VoteRequest): void {
    // Learners and non-members answer too: a learner whose promotion is committed but not yet
    // applied may be needed for a quorum. Only the candidate's voters are counted.
    const canVote =
      this.vote === m.from ||
      (this.vote === null && this.leader === null) ||
      (m.type === "preVote" && m.term > this.term);
    const response = m.type === "preVote" ? "preVoteResponse" : "voteResponse";
    if (canVote && this.log.isUpToDate(m.lastLogIndex, m.lastLogTerm)) {
      this.send({ type: response, to: m.from, from: this.id, term: m.term, reject: false });
      if (m.type === "vote") {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: response, to: m.from, from: this.id, term: this.term, reject: true });
    }
  }

  private handleVoteResponse(m: VoteResponse): void {
    const expected = this.role === "preCandidate" ? "preVoteResponse" : "voteResponse";
    if (m.type !== expected) return;
    if (!this.votes.has(m.from)) this.votes.set(m.from, !m.reject);
    switch (voteResult(this.voters, this.votes)) {
      case "won":
        if (this.role === "preCandidate") this.campaign("election");
        else {
          this.becomeLeader();
          this.broadcastAppend();
        }
        break;
      case "lost":
        this.becomeFollower(this.term, null);
        break;
      case "pending":
        break;
    }
  }

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = null;
    }
    this.leader = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout =
      this.cfg.electionTicks + this.cfg.random.int(this.cfg.electionTicks);
    this.leadTransferee = null;
    this.votes.clear();
    this.pendingConfIndex = 0;
    const next = this.log.lastIndex() + 1;
    for (const id of this.members) {
      const pr = new Progress(next, this.cfg.maxInflight);
      if (id === this.id) pr.match = next - 1;
      this.progress.set(id, pr);
    }
  }

  becomeFollower(term: number, leader: NodeId | null): void {
    this.reset(term);
    this.role = "follower";
    this.leader = leader;
  }

  private becomePreCandidate(): void {
    // The term stays: a pre-election changes nothing other nodes can see.
    this.role = "preCandidate";
    this.votes.clear();
    this.leader = null;
  }

  private becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = "candidate";
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.role = "leader";
    this.leader = this.id;
    const self = this.progress.get(this.id)!;
    self.becomeReplicate();
    self.recentActive = true;
    // An entry of the new term lets older entries commit (§5.4.2, §8). No membership change
    // until it is applied: a leader must commit an entry of its own term before changing the
    // configuration (the single-server-change fix of thesis §4.1), and an older change still
    // in the log is applied by then (one change at a time across leader changes).
    this.pendingConfIndex = this.appendEntry("normal", new Uint8Array(0));
  }

  // ---------------------------------------------------------------------------------------
  // Leader: replication (§5.3), commitment (§5.4.2), check-quorum, leader transfer

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    for (const pr of this.progress.values()) {
      // A snapshot lost in transit would otherwise stall the follower forever.
      if (pr.state === "snapshot" && ++pr.snapshotTicks >= this.cfg.electionTicks) pr.becomeProbe();
    }
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum && !this.quorumActive()) {
        this.becomeFollower(this.term, null);
        return;
      }
      this.leadTransferee = null;
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeat();
    }
  }

  /** Did a quorum of voters (counting ourselves) answer since the last check? Resets. */
  private quorumActive(): boolean {
    let active = 0;
    for (const id of this.voters) {
      const pr = this.progress.get(id);
      if (id === this.id || pr?.recentActive) active++;
    }
    for (const [id, pr] of this.progress) pr.recentActive = id === this.id;
    return active >= Math.floor(this.voters.size / 2) + 1;
  }

  private checkCanPropose(): void {
    if (this.role !== "leader") throw new NotLeaderError(this.id, this.leader);
    if (this.leadTransferee !== null) {
      throw new ProposalDroppedError(`leadership is being handed to ${this.leadTransferee}`);
    }
    if (!this.voters.has(this.id)) {
      throw new ProposalDroppedError(`node ${this.id} was removed from the cluster`);
    }
  }

  private appendAndBroadcast(kind: EntryKind, data: Uint8Array): number {
    const index = this.appendEntry(kind, data);
    this.broadcastAppend();
    return index;
  }

  /**
   * Appends one entry of the current term. The leader counts its own copy at once: the
   * driver persists it before anything that depends on the commit is sent or applied.
   */
  private appendEntry(kind: EntryKind, data: Uint8Array): number {
    const index = this.log.lastIndex() + 1;
    this.log.append([{ index, term: this.term, kind, data }]);
    this.progress.get(this.id)?.maybeUpdate(index);
    this.maybeCommit();
    return index;
  }

  private maybeCommit(): boolean {
    const index = committedIndex(this.voters, (id) => this.progress.get(id)?.match ?? 0);
    return this.log.maybeCommit(index, this.term);
  }

  private broadcastAppend(): void {
    for (const id of this.progress.keys()) if (id !== this.id) this.sendAppend(id);
  }

  private broadcastHeartbeat(): void {
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      // Never tell a follower to commit past what it is known to hold in our log.
      const commit = Math.min(pr.match, this.log.committed);
      this.send({ type: "heartbeat", to: id, from: this.id, term: this.term, commit });
    }
  }

  /** Sends `to` the entries it lacks (or a snapshot); false when nothing was sent. */
  private sendAppend(to: NodeId, sendIfEmpty = true): boolean {
    const pr = this.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevLogIndex = pr.next - 1;
    const prevLogTerm = this.log.term(prevLogIndex);
    const entries =
      prevLogTerm === undefined
        ? undefined
        : this.log.entriesFrom(pr.next, this.cfg.maxMessageBytes);
    if (prevLogTerm === undefined || entries === undefined) return this.sendSnapshot(to, pr);
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send({
      type: "append",
      to,
      from: this.id,
      term: this.term,
      prevLogIndex,
      prevLogTerm,
      entries,
      commit: this.log.committed,
    });
    pr.sentAppend(entries.length, prevLogIndex + entries.length);
    return true;
  }

  /** §7: the follower needs entries compacted away; send the snapshot instead. */
  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    if (!pr.recentActive) return false;
    const snapshot = this.log.snapshot();
    if (snapshot.metadata.index === 0) {
      throw new RaftInvariantError(`log compacted to ${this.log.firstIndex()} without a snapshot`);
    }
    this.send({ type: "snapshot", to, from: this.id, term: this.term, snapshot });
    pr.becomeSnapshot(snapshot.metadata.index);
    return true;
  }

  private stepLeader(m: Message): void {
    const pr = this.progress.get(m.from);
    if (!pr) return;
    if (m.type === "appendResponse") {
      pr.recentActive = true;
      this.handleAppendResponse(m, pr);
    } else if (m.type === "heartbeatResponse") {
      pr.recentActive = true;
      pr.probeSent = false;
      if (pr.state === "replicate" && pr.isPaused()) pr.inflight.shift();
      if (pr.match < this.log.lastIndex()) this.sendAppend(m.from);
    }
  }

  private handleAppendResponse(m: AppendResponse, pr: Progress): void {
    if (m.reject) {
      // Fast back-off: skip every index the follower's hint rules out.
      const probeFrom =
        m.hintTerm > 0 ? this.log.findConflictByTerm(m.hintIndex, m.hintTerm).index : m.hintIndex;
      if (pr.maybeDecrease(m.index, probeFrom)) {
        if (pr.state === "replicate") pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index)) return;
    if (pr.state === "probe") pr.becomeReplicate();
    else if (pr.state === "snapshot") {
      if (pr.match + 1 >= this.log.firstIndex()) {
        pr.becomeProbe();
        pr.becomeReplicate();
      }
    } else pr.freeInflightTo(m.index);

    if (this.maybeCommit()) this.broadcastAppend();
    else if (wasPaused) this.sendAppend(m.from);
    while (this.sendAppend(m.from, false)) {
      // Keep streaming while the window allows and there are entries to send.
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.send({ type: "timeoutNow", to: m.from, from: this.id, term: this.term });
    }
  }

  // ---------------------------------------------------------------------------------------
  // Candidates and followers

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case "append":
      case "heartbeat":
      case "snapshot":
        // Somebody won this term (§5.2).
        this.becomeFollower(this.term, m.from);
        this.stepFollower(m);
        break;
      case "preVoteResponse":
      case "voteResponse":
        this.handleVoteResponse(m);
        break;
      default:
        break;
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case "append":
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleAppend(m);
        break;
      case "heartbeat":
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleHeartbeat(m);
        break;
      case "snapshot":
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleSnapshot(m);
        break;
      case "timeoutNow":
        this.startElection(true);
        break;
      default:
        break;
    }
  }

  private handleAppend(m: AppendRequest): void {
    const reply = { type: "appendResponse", to: m.from, from: this.id, term: this.term } as const;
    if (m.prevLogIndex < this.log.committed) {
      this.send({ ...reply, index: this.log.committed, reject: false, hintIndex: 0, hintTerm: 0 });
      return;
    }
    const lastNew = this.log.maybeAppend(m.prevLogIndex, m.prevLogTerm, m.commit, m.entries);
    if (lastNew !== null) {
      this.send({ ...reply, index: lastNew, reject: false, hintIndex: 0, hintTerm: 0 });
      return;
    }
    const hint = this.log.findConflictByTerm(m.prevLogIndex, m.prevLogTerm);
    this.send({
      ...reply,
      index: m.prevLogIndex,
      reject: true,
      hintIndex: hint.index,
      hintTerm: hint.term,
    });
  }

  private handleHeartbeat(m: Heartbeat): void {
    this.log.commitTo(m.commit);
    this.send({ type: "heartbeatResponse", to: m.from, from: this.id, term: this.term });
  }

  private handleSnapshot(m: InstallSnapshot): void {
    const restored = this.restore(m.snapshot);
    this.send({
      type: "appendResponse",
      to: m.from,
      from: this.id,
      term: this.term,
      index: restored ? this.log.lastIndex() : this.log.committed,
      reject: false,
      hintIndex: 0,
      hintTerm: 0,
    });
  }

  /** §7: installs a snapshot unless the log already holds what it covers. */
  private restore(snapshot: Snapshot): boolean {
    const { index, term, confState } = snapshot.metadata;
    if (index <= this.log.committed) return false;
    if (this.log.matchTerm(index, term)) {
      // Our log already has the snapshot's last entry: just learn that it is committed.
      this.log.commitTo(index);
      return false;
    }
    this.log.restore(snapshot);
    this.setConf(confState);
    this.confIndex = index;
    return true;
  }

  // ---------------------------------------------------------------------------------------

  private setConf(conf: ConfState): void {
    this.conf = conf;
    this.voters = new Set(conf.voters);
    this.members = new Set([...conf.voters, ...conf.learners]);
    for (const id of [...this.progress.keys()]) {
      if (!this.members.has(id)) this.progress.delete(id);
    }
    const next = this.log.lastIndex() + 1;
    for (const id of this.members) {
      if (this.progress.has(id)) continue;
      const pr = new Progress(next, this.cfg.maxInflight);
      // A new member gets an election timeout to show up before check-quorum counts it.
      pr.recentActive = true;
      if (id === this.id) pr.match = next - 1;
      this.progress.set(id, pr);
    }
  }

  private send(m: Message): void {
    this.messages.push(m);
  }
}
