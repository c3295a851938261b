import { setTimeout as delay } from "node:timers/promises";
import type { Msg, NatsConnection, Subscription } from "nats";
import { isNoSpace } from "../disk-space.js";
import type { Logger } from "../logger.js";
import { decodeCommand } from "../metadata/command-check.js";
import {
  type AppliedEntry,
  MetadataCommandTooLargeError,
  MetadataNotStoredError,
  MetadataUnavailableError,
  type ReplicatedLog,
} from "../metadata/replicated-log.js";
import type { MetadataState } from "../metadata/state.js";
import type { ApplyResult, MetadataCommand } from "../metadata/types.js";
import {
  type ApplyBatch,
  type ConfState,
  type Entry,
  FileStorage,
  isMember,
  isPristine,
  makeConfState,
  persistUpdate,
  type RaftStatus,
  RawNode,
  type StorageUpdate,
  systemRandom,
} from "../raft/index.js";
import { RaftTransport, transportLimits } from "./raft-transport.js";
import { clusterSubjects } from "./subjects.js";

/** One Raft tick; elections time out after 10 to 20 ticks, leaders heartbeat every tick. */
export const TICK_MS = 100;
const ELECTION_TICKS = 10;
const DEFAULT_PROPOSE_TIMEOUT_MS = 5000;
/** How long one join request waits for the controller's answer. */
const JOIN_REQUEST_MS = 1000;
/** Applied commands kept for entry() (the activity stream reads them shortly after apply). */
const HISTORY_KEPT = 10_000;
/** After a failed write, the node restarts from its storage this much later. */
const RECOVERY_MS = 1000;
/** After a failed snapshot, the next attempt waits this long. */
const SNAPSHOT_RETRY_MS = 5000;

export type Bootstrap =
  | { mode: "seed" }
  | { mode: "peers"; peers: string[] }
  /** No state and no bootstrap setting: ask the cluster on NATS to add this broker. */
  | { mode: "join" };

export interface MetadataRaftOptions {
  dir: string;
  serverId: string;
  namespace: string;
  nc: NatsConnection;
  state: MetadataState;
  logger: Logger;
  bootstrap: Bootstrap;
  /** Most voters; members added beyond it are learners. 0: no limit. */
  maxQuorumSize: number;
  /** Applied entries between snapshots (0: never). */
  snapshotThreshold: number;
  /** How long a broker with no Raft state asks the cluster to add it before giving up. */
  joinTimeoutMs: number;
  /** Aborted when the broker is stopped during start-up: a join in progress gives up. */
  signal?: AbortSignal;
  /** Room kept for this log on a full disk (DiskSpace); without it, ENOSPC just fails. */
  reserve?: SpaceReserve;
}

export interface SpaceReserve {
  /** The reserve is released: no stream may be created. */
  readonly full: boolean;
  /** Frees the reserve's room; true if this call freed some. */
  release(reason: string): Promise<boolean>;
}

/** A Ready could not be made durable; `rolledBack` says its entries were taken back. */
class PersistFailure extends Error {
  constructor(
    override readonly cause: unknown,
    /** The first index of the failed Ready's entries (everything from it was taken back). */
    readonly from: number,
    readonly rolledBack: boolean,
  ) {
    super((cause as Error)?.message ?? String(cause), { cause });
    this.name = "PersistFailure";
  }
}

type RpcRequest = { kind: string; [key: string]: unknown };
type RpcReply =
  | { ok: true; [key: string]: unknown }
  /** tooLarge: the command can never fit one Raft entry; retrying is pointless. */
  | { ok: false; error: string; tooLarge?: boolean; notStored?: boolean; diskFull?: boolean };
export type RpcHandler = (request: RpcRequest) => Promise<Record<string, unknown>>;

interface ProposalWaiter {
  term: number;
  resolve: (result: ApplyResult) => void;
  reject: (err: Error) => void;
}

/**
 * The metadata log as a Raft group over NATS. Every broker runs one member; the leader is the
 * controller. Proposals made on a follower are forwarded to the controller, and the call
 * returns once the command is committed and applied here too, so a caller always reads its
 * own change.
 */
export class MetadataRaft implements ReplicatedLog {
  private readonly subjects;
  private readonly subscriptions: Subscription[] = [];
  private readonly history = new Map<number, AppliedEntry>();
  private readonly proposals = new Map<number, ProposalWaiter>();
  private readonly appliedWaiters: { index: number; resolve: () => void }[] = [];
  private readonly listeners: ((index: number) => void)[] = [];
  private readonly roleListeners: ((leader: string) => void)[] = [];
  private readonly rpcHandlers = new Map<string, RpcHandler>();
  private applied: number;
  private snapshotIndex: number;
  private driving = false;
  private failure?: Error;
  /** Set while the node restarts from its storage after a failed write. */
  private recovery?: NodeJS.Timeout;
  private recovering = false;
  private snapshotNotBefore = 0;
  private closed = false;
  private ticker?: NodeJS.Timeout;
  private leader = "";
  private readonly transport: RaftTransport;

  private constructor(
    private readonly options: MetadataRaftOptions,
    private readonly storage: FileStorage,
    private node: RawNode,
  ) {
    this.subjects = clusterSubjects(options.namespace);
    this.transport = new RaftTransport(
      options.nc,
      options.namespace,
      options.serverId,
      options.logger,
      {
        deliver: (message) => this.withNode((n) => n.step(message)),
        unreachable: (to) => this.withNode((n) => n.reportUnreachable(to)),
        snapshotSent: (to, delivered) => this.withNode((n) => n.reportSnapshot(to, delivered)),
      },
    );
    this.snapshotIndex = storage.snapshot().metadata.index;
    this.applied = this.snapshotIndex;
  }

  static async open(options: MetadataRaftOptions): Promise<MetadataRaft> {
    const { bootstrap, serverId, state } = options;
    const storage = await FileStorage.open(options.dir);
    const pristine = isPristine(storage);
    if (pristine && bootstrap.mode !== "join") {
      await storage.bootstrap(initialMembership(bootstrap, serverId, options.maxQuorumSize));
    }
    const snapshot = storage.snapshot();
    state.restore(snapshot.data);
    const node = new RawNode({
      id: serverId,
      storage,
      random: systemRandom,
      electionTicks: ELECTION_TICKS,
      heartbeatTicks: 1,
      applied: snapshot.metadata.index,
      // Every append message fits one NATS message (bigger ones would need chunks).
      maxMessageBytes: transportLimits(options.nc).maxMessageBytes,
    });
    const raft = new MetadataRaft(options, storage, node);
    await raft.start();
    const conf = node.confState();
    if (!pristine && !isMember(conf, serverId)) {
      await raft.close();
      // No broker is ever removed from the group, so this is a changed or damaged server id.
      throw new Error(
        `this broker's id ${serverId} is not a member of the metadata Raft group stored in ${options.dir} (members ${[...conf.voters, ...conf.learners].join(", ")}): restore the server-id file or --server-id this data dir was created with`,
      );
    }
    if (pristine && bootstrap.mode === "join") {
      try {
        await raft.join();
      } catch (err) {
        await raft.close();
        throw err;
      }
    }
    return raft;
  }

  private async start(): Promise<void> {
    const { nc, serverId } = this.options;
    this.transport.start();
    this.subscriptions.push(
      nc.subscribe(this.subjects.rpc(serverId), {
        callback: (err, msg) => {
          if (!err) void this.answerRpc(msg);
        },
      }),
      nc.subscribe(this.subjects.join, {
        callback: (err, msg) => {
          if (!err && this.isLeader) void this.answerJoin(msg);
        },
      }),
    );
    await nc.flush();
    // Replay what was committed before the restart, then a lone voter need not wait for an
    // election timeout to lead.
    this.drive();
    await this.waitApplied(this.node.status().commit);
    if (this.isLoneVoter()) this.withNode((n) => n.campaign());
    this.ticker = setInterval(() => this.withNode((node) => node.tick()), TICK_MS);
  }

  private isLoneVoter(): boolean {
    const conf = this.node.confState();
    return conf.voters.length === 1 && conf.voters[0] === this.options.serverId;
  }

  /** Asks the controller to add this broker, until it answers or the join timeout passes. */
  private async join(): Promise<void> {
    const { nc, serverId, logger, namespace, joinTimeoutMs, signal } = this.options;
    logger.info(
      "no Raft state yet: asking the cluster on NATS to add this broker (the first broker of a cluster needs --raft-bootstrap-seed or --raft-bootstrap-peers)",
      { namespace },
    );
    const deadline = Date.now() + joinTimeoutMs;
    for (let attempt = 1; !this.closed; attempt++) {
      signal?.throwIfAborted();
      const left = deadline - Date.now();
      if (left <= 0) break;
      try {
        const reply = await nc.request(
          this.subjects.join,
          Buffer.from(JSON.stringify({ id: serverId })),
          { timeout: Math.min(JOIN_REQUEST_MS, left) },
        );
        const answer = JSON.parse(Buffer.from(reply.data).toString("utf8")) as RpcReply;
        if (answer.ok) {
          logger.info("joined the metadata Raft group", { id: serverId });
          return;
        }
        logger.debug("join refused; retrying", { reason: answer.error });
      } catch {
        logger.debug("no controller answered the join request yet", { attempt });
      }
      // A request without responders fails at once: pace the retries.
      const pause = Math.min(JOIN_REQUEST_MS / 4, Math.max(0, deadline - Date.now()));
      await delay(pause, undefined, { signal }).catch(() => undefined);
    }
    signal?.throwIfAborted();
    throw new Error(
      `no cluster in namespace ${namespace} answered within ${formatJoinTimeout(joinTimeoutMs)} (clustering.raft.join.timeout): start the first broker with --raft-bootstrap-seed (or all with --raft-bootstrap-peers)`,
    );
  }

  /**
   * Resolves once this broker has applied everything the controller had committed when asked,
   * so that roles taken from the metadata (partition leaderships) are not stale ones left from
   * before a restart. (A follower's own commit index is no guide: a heartbeat only advances it
   * as far as the leader knows the follower's log to match.) Gives up at the deadline, false:
   * a broker without a quorum still starts.
   */
  async waitCaughtUp(timeoutMs: number): Promise<boolean> {
    // A lone voter has everything committed in its own log, replayed at open.
    if (this.isLoneVoter()) return true;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !this.closed) {
      try {
        const { index } = await this.requestController(
          { kind: "commitIndex" },
          Math.min(deadline, Date.now() + 1000),
        );
        await this.waitApplied(index as number, deadline);
        return true;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, TICK_MS));
      }
    }
    return false;
  }

  get appliedIndex(): number {
    return this.applied;
  }

  get isLeader(): boolean {
    return this.leader === this.options.serverId;
  }

  /** The controller's ID, "" while none is known. */
  get controller(): string {
    return this.leader;
  }

  status(): RaftStatus {
    return this.node.status();
  }

  entry(index: number): AppliedEntry | undefined {
    return this.history.get(index);
  }

  onApplied(listener: (index: number) => void): void {
    this.listeners.push(listener);
  }

  /** Called with the new controller's ID ("" when unknown) whenever it changes. */
  onControllerChange(listener: (leader: string) => void): void {
    this.roleListeners.push(listener);
  }

  /** Handles `kind` requests sent to this broker with requestController or requestBroker. */
  handleRpc(kind: string, handler: RpcHandler): void {
    this.rpcHandlers.set(kind, handler);
  }

  async propose(command: MetadataCommand, deadline?: number): Promise<ApplyResult> {
    const until = deadline ?? Date.now() + DEFAULT_PROPOSE_TIMEOUT_MS;
    const data = this.encodeCommand(command);
    for (;;) {
      this.checkUsable();
      const leader = this.leader || (await this.waitForLeader(until));
      try {
        if (leader === this.options.serverId) {
          this.admit(command);
          return await this.proposeHere(data, until);
        }
        const reply = await this.requestBroker(leader, { kind: "propose", command }, until);
        await this.waitApplied(reply.index as number, until);
        return reply.result as ApplyResult;
      } catch (err) {
        if (!(err instanceof RetryableError) || Date.now() >= until) throw this.unavailable(err);
        await new Promise((resolve) => setTimeout(resolve, TICK_MS));
      }
    }
  }

  async catchUp(deadline = Date.now() + DEFAULT_PROPOSE_TIMEOUT_MS): Promise<void> {
    this.checkUsable();
    if (this.isLeader) return;
    let index: number;
    try {
      ({ index } = (await this.requestController({ kind: "commitIndex" }, deadline)) as {
        index: number;
      });
    } catch (err) {
      throw this.unavailable(err);
    }
    await this.waitApplied(index, deadline);
  }

  /** Sends a request to whichever broker is the controller now. */
  async requestController(
    request: RpcRequest,
    deadline = Date.now() + DEFAULT_PROPOSE_TIMEOUT_MS,
  ): Promise<Record<string, unknown>> {
    const leader = this.leader || (await this.waitForLeader(deadline));
    return this.requestBroker(leader, request, deadline);
  }

  private async requestBroker(
    to: string,
    request: RpcRequest,
    deadline: number,
  ): Promise<Record<string, unknown>> {
    const timeout = Math.max(1, deadline - Date.now());
    const payload = Buffer.from(JSON.stringify(request));
    const { maxPayload } = this.transport.limits;
    if (payload.length > maxPayload) {
      throw new Error(
        `the ${request.kind} request is ${payload.length} bytes, more than the NATS max_payload of ${maxPayload}`,
      );
    }
    let msg: Msg;
    try {
      msg = await this.options.nc.request(this.subjects.rpc(to), payload, { timeout });
    } catch (err) {
      throw new RetryableError(`controller ${to} did not answer: ${(err as Error).message}`);
    }
    const reply = JSON.parse(Buffer.from(msg.data).toString("utf8")) as RpcReply;
    if (!reply.ok) {
      if (reply.notStored) throw new MetadataNotStoredError(reply.error, !!reply.diskFull);
      throw reply.tooLarge
        ? new MetadataCommandTooLargeError(reply.error)
        : new RetryableError(reply.error);
    }
    return reply;
  }

  private async answerRpc(msg: Msg): Promise<void> {
    let reply: RpcReply;
    try {
      const request = JSON.parse(Buffer.from(msg.data).toString("utf8")) as RpcRequest;
      if (request.kind === "commitIndex") {
        if (!this.isLeader) throw new Error(`${this.options.serverId} is not the controller`);
        reply = { ok: true, index: this.node.status().commit };
      } else if (request.kind === "propose") {
        if (!this.isLeader) throw new Error(`${this.options.serverId} is not the controller`);
        this.admit(request.command as MetadataCommand);
        const result = await this.proposeHere(
          this.encodeCommand(request.command as MetadataCommand),
          Date.now() + DEFAULT_PROPOSE_TIMEOUT_MS,
        );
        reply = { ok: true, index: this.applied, result };
      } else {
        const handler = this.rpcHandlers.get(request.kind);
        if (!handler) throw new Error(`unknown request ${request.kind}`);
        reply = { ok: true, ...(await handler(request)) };
      }
    } catch (err) {
      const tooLarge = err instanceof MetadataCommandTooLargeError;
      reply =
        err instanceof MetadataNotStoredError
          ? { ok: false, error: err.message, notStored: true, diskFull: err.diskFull }
          : { ok: false, error: (err as Error).message, tooLarge };
    }
    this.respond(msg, reply);
  }

  /** Answers a request; a reply too large for one NATS message becomes an error saying so. */
  private respond(msg: Msg, reply: RpcReply): void {
    if (!msg.reply) return;
    let bytes = Buffer.from(JSON.stringify(reply));
    const { maxPayload } = this.transport.limits;
    if (bytes.length > maxPayload) {
      const error = `the reply is ${bytes.length} bytes, more than the NATS max_payload of ${maxPayload}`;
      this.options.logger.error("a control-plane reply does not fit one NATS message", { error });
      bytes = Buffer.from(JSON.stringify({ ok: false, error }));
    }
    msg.respond(bytes);
  }

  /**
   * A command's Raft entry must fit one NATS message: refused here, before it is appended
   * (or forwarded), with the size and the limit. Both a follower and the controller check.
   */
  private encodeCommand(command: MetadataCommand): Uint8Array {
    const data = Buffer.from(JSON.stringify(command), "utf8");
    const { maxEntryBytes, maxPayload } = this.transport.limits;
    if (data.length > maxEntryBytes) {
      throw new MetadataCommandTooLargeError(
        `the metadata change ${command.op} is ${data.length} bytes encoded, more than the ${maxEntryBytes} bytes one metadata Raft entry can carry (the NATS max_payload of ${maxPayload} bytes less ${maxPayload - maxEntryBytes} bytes of framing): make it smaller (fewer partitions, shorter names or subjects) or raise the NATS server's max_payload`,
      );
    }
    return data;
  }

  private async answerJoin(msg: Msg): Promise<void> {
    let reply: RpcReply;
    try {
      const { id } = JSON.parse(Buffer.from(msg.data).toString("utf8")) as { id: string };
      const conf = this.node.confState();
      if (!isMember(conf, id)) {
        const { maxQuorumSize } = this.options;
        const asVoter = maxQuorumSize === 0 || conf.voters.length < maxQuorumSize;
        const proposal = this.node.proposeConfChange({
          type: asVoter ? "addVoter" : "addLearner",
          nodeId: id,
        });
        this.drive();
        await this.waitApplied(proposal.index, Date.now() + DEFAULT_PROPOSE_TIMEOUT_MS);
        if (!isMember(this.node.confState(), id)) throw new Error("membership change was lost");
        this.options.logger.info("added a broker to the metadata Raft group", {
          id,
          as: asVoter ? "voter" : "learner",
        });
      }
      reply = { ok: true };
    } catch (err) {
      reply = { ok: false, error: (err as Error).message };
    }
    this.respond(msg, reply);
  }

  /** A controller whose disk is full creates no stream: its partitions could store nothing. */
  private admit(command: MetadataCommand): void {
    if (command.op === "createStream" && this.options.reserve?.full) {
      throw new MetadataNotStoredError(
        `no space left on device: the disk of the controller ${this.options.serverId} is full, so no stream can be created; free space (delete streams) and try again`,
        true,
      );
    }
  }

  private proposeHere(data: Uint8Array, deadline: number): Promise<ApplyResult> {
    let proposal: { index: number; term: number };
    try {
      proposal = this.node.propose(data);
    } catch (err) {
      return Promise.reject(new RetryableError((err as Error).message));
    }
    this.drive();
    return new Promise<ApplyResult>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.proposals.delete(proposal.index);
          reject(new MetadataUnavailableError("the metadata change was not committed in time"));
        },
        Math.max(1, deadline - Date.now()),
      );
      this.proposals.set(proposal.index, {
        term: proposal.term,
        resolve: (result) => {
          clearTimeout(timer);
          resolve(result);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
    });
  }

  private waitForLeader(deadline: number): Promise<string> {
    if (this.leader) return Promise.resolve(this.leader);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          reject(
            new MetadataUnavailableError(
              "no controller: this broker cannot reach a quorum of the metadata Raft group",
            ),
          );
        },
        Math.max(1, deadline - Date.now()),
      );
      const listener = (leader: string) => {
        if (!leader) return;
        clearTimeout(timer);
        this.roleListeners.splice(this.roleListeners.indexOf(listener), 1);
        resolve(leader);
      };
      this.roleListeners.push(listener);
    });
  }

  /** Resolves once this broker applied `index` (rejects at the deadline, if any). */
  waitApplied(index: number, deadline?: number): Promise<void> {
    if (this.applied >= index) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer =
        deadline === undefined
          ? undefined
          : setTimeout(
              () => {
                const i = this.appliedWaiters.indexOf(waiter);
                if (i >= 0) this.appliedWaiters.splice(i, 1);
                reject(new MetadataUnavailableError("the metadata change was not applied in time"));
              },
              Math.max(1, deadline - Date.now()),
            );
      const waiter = {
        index,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.appliedWaiters.push(waiter);
    });
  }

  private unavailable(err: unknown): Error {
    if (
      err instanceof MetadataUnavailableError ||
      err instanceof MetadataCommandTooLargeError ||
      err instanceof MetadataNotStoredError
    ) {
      return err;
    }
    return new MetadataUnavailableError(
      `the metadata change could not be committed: ${(err as Error).message}`,
    );
  }

  private checkUsable(): void {
    if (this.closed) throw new MetadataUnavailableError("the broker is shutting down");
    // While the node restarts after a failed write, proposals wait for a controller.
    if (this.failure && !this.recovery) {
      throw new MetadataUnavailableError(`the metadata log failed: ${this.failure.message}`);
    }
  }

  /** Runs an input into the node and processes what it produced. */
  private withNode(input: (node: RawNode) => void): void {
    if (this.failure || this.closed) return;
    try {
      input(this.node);
    } catch (err) {
      this.options.logger.warn("Raft input refused", { error: err });
      return;
    }
    this.drive();
  }

  private drive(): void {
    if (this.driving || this.failure) return;
    this.driving = true;
    void (async () => {
      try {
        while (this.node.hasReady()) {
          await this.node.handleReady({
            persist: (update) => this.persist(update),
            send: (messages) => this.transport.send(messages),
            apply: (batch) => this.apply(batch),
            softState: (soft) => this.leaderChanged(soft.leader ?? ""),
          });
        }
        await this.maybeSnapshot().catch((err) => {
          // Only an optimisation: the log keeps its entries until a snapshot succeeds.
          this.snapshotNotBefore = Date.now() + SNAPSHOT_RETRY_MS;
          this.options.logger.warn("could not snapshot the metadata log; will retry", {
            error: err,
          });
        });
      } catch (err) {
        this.fail(err as Error);
      } finally {
        this.driving = false;
      }
      if (this.node.hasReady() && !this.failure) this.drive();
    })();
  }

  /**
   * Makes a Ready durable. On ENOSPC the disk reserve is released and, unless the Ready creates
   * a stream (which a full disk refuses), the write is tried again. A write that still fails is
   * taken back (its entries discarded from storage: they were never sent or applied), so that
   * a proposal reported as failed can never commit later.
   */
  private async persist(update: StorageUpdate): Promise<void> {
    let error: unknown;
    try {
      await persistUpdate(this.storage, update);
      this.noteWriting();
      return;
    } catch (err) {
      error = err;
    }
    const { reserve } = this.options;
    if (isNoSpace(error) && reserve) {
      const freed = await reserve
        .release(`the metadata log could not write: ${(error as Error).message}`)
        .catch(() => false);
      if (freed && !createsStream(update.entries)) {
        // A snapshot the first attempt stored is not stored twice.
        const stored = this.storage.snapshot().metadata.index;
        const snapshot =
          update.snapshot && update.snapshot.metadata.index > stored ? update.snapshot : undefined;
        try {
          await persistUpdate(this.storage, { ...update, snapshot });
          this.noteWriting();
          return;
        } catch (err) {
          error = err;
        }
      }
    }
    const from = update.entries[0]?.index ?? this.storage.lastIndex() + 1;
    let rolledBack = true;
    try {
      await this.storage.discardFrom(from);
    } catch (err) {
      rolledBack = false;
      this.options.logger.error("could not take back a failed metadata log write", {
        error: err,
      });
    }
    throw new PersistFailure(error, from, rolledBack);
  }

  private noteWriting(): void {
    if (!this.recovering) return;
    this.recovering = false;
    this.options.logger.info("the metadata log writes again");
  }

  private apply(batch: ApplyBatch): void {
    const { state } = this.options;
    if (batch.snapshot) {
      state.restore(batch.snapshot.data);
      this.history.clear();
      this.applied = batch.snapshot.metadata.index;
      this.snapshotIndex = this.applied;
      for (const [index, waiter] of this.proposals) {
        if (index > this.applied) continue;
        this.proposals.delete(index);
        waiter.reject(new RetryableError("replaced by a snapshot before its outcome was known"));
      }
    }
    for (const entry of batch.entries) {
      // A node restarted after a failed write replays what this broker had already applied.
      if (entry.index <= this.applied) continue;
      let result: ApplyResult = { ok: true };
      if (entry.kind === "normal" && entry.data.length > 0) {
        const command = decodeCommand(entry.data);
        result = state.apply(command);
        this.history.set(entry.index, { command, result });
        this.history.delete(entry.index - HISTORY_KEPT);
      }
      this.applied = entry.index;
      const waiter = this.proposals.get(entry.index);
      if (waiter) {
        this.proposals.delete(entry.index);
        if (waiter.term === entry.term) waiter.resolve(result);
        else waiter.reject(new RetryableError("lost to a leader change"));
      }
    }
    for (let i = this.appliedWaiters.length - 1; i >= 0; i--) {
      const waiter = this.appliedWaiters[i]!;
      if (waiter.index <= this.applied) {
        this.appliedWaiters.splice(i, 1);
        waiter.resolve();
      }
    }
    for (const listener of this.listeners) listener(this.applied);
  }

  private leaderChanged(leader: string): void {
    if (leader === this.leader) return;
    this.leader = leader;
    this.options.logger.info("controller changed", { controller: leader || "(none)" });
    for (const listener of [...this.roleListeners]) listener(leader);
  }

  private async maybeSnapshot(): Promise<void> {
    const threshold = this.options.snapshotThreshold;
    if (threshold === 0 || this.applied - this.snapshotIndex < threshold) return;
    // The membership a snapshot records must be as of its index: wait for a replay.
    if (this.node.appliedIndex() < this.applied || Date.now() < this.snapshotNotBefore) return;
    const index = this.applied;
    await this.storage.createSnapshot(index, this.node.confState(), this.options.state.snapshot());
    await this.storage.compact(index);
    this.snapshotIndex = index;
  }

  private fail(err: Error): void {
    this.failure = err;
    if (!(err instanceof PersistFailure && err.rolledBack)) {
      this.options.logger.error("the metadata Raft log failed; this broker must restart", {
        error: err,
      });
      for (const waiter of this.proposals.values()) waiter.reject(this.unavailable(err));
      this.proposals.clear();
      return;
    }
    const diskFull = isNoSpace(err.cause);
    const log = this.recovering ? this.options.logger.debug : this.options.logger.error;
    log.call(
      this.options.logger,
      "the metadata log could not write; it restarts from its storage and tries again",
      { error: err.cause },
    );
    // What the failed write held was taken back: those proposals never take effect. Earlier
    // ones are stored and may still commit; they keep waiting.
    const reason = diskFull
      ? `no space left on device: the metadata log on ${this.options.serverId} could not store the change, which will not take effect; free space (delete streams) and try again`
      : `the metadata log on ${this.options.serverId} could not store the change, which will not take effect: ${err.message}`;
    for (const [index, waiter] of this.proposals) {
      if (index < err.from) continue;
      this.proposals.delete(index);
      waiter.reject(new MetadataNotStoredError(reason, diskFull));
    }
    this.leaderChanged("");
    this.recovering = true;
    this.recovery = setTimeout(() => void this.recover(), RECOVERY_MS);
  }

  /**
   * Starts a new node from the storage, as after a crash: whatever the failed one held only in
   * memory is gone. It replays the log (entries this broker applied are skipped) before a lone
   * voter campaigns, so that it never leads with an outdated membership.
   */
  private async recover(): Promise<void> {
    while (this.driving) await new Promise((resolve) => setTimeout(resolve, 5));
    if (this.closed) return;
    const snapshot = this.storage.snapshot();
    if (snapshot.metadata.index > this.applied) this.apply({ snapshot, entries: [] });
    this.node = new RawNode({
      id: this.options.serverId,
      storage: this.storage,
      random: systemRandom,
      electionTicks: ELECTION_TICKS,
      heartbeatTicks: 1,
      applied: snapshot.metadata.index,
    });
    this.failure = undefined;
    this.recovery = undefined;
    const commit = this.node.status().commit;
    this.drive();
    while (!this.closed && !this.failure && (this.driving || this.node.appliedIndex() < commit)) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (!this.closed && !this.failure && this.isLoneVoter()) this.withNode((n) => n.campaign());
  }

  /**
   * Graceful stop: a controller first hands leadership to the most up-to-date voter, so the
   * cluster need not wait an election timeout.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.isLeader && !this.failure) await this.transferLeadership();
    this.closed = true;
    clearInterval(this.ticker);
    clearTimeout(this.recovery);
    this.transport.close();
    for (const sub of this.subscriptions) sub.unsubscribe();
    while (this.driving) await new Promise((resolve) => setTimeout(resolve, 5));
    for (const waiter of this.proposals.values()) {
      waiter.reject(new MetadataUnavailableError("the broker is shutting down"));
    }
    this.proposals.clear();
    await this.storage.close();
  }

  private async transferLeadership(): Promise<void> {
    const status = this.node.status();
    const target = status.confState.voters
      .filter((id) => id !== this.options.serverId && status.progress[id]?.recentActive)
      .sort((a, b) => (status.progress[b]?.match ?? 0) - (status.progress[a]?.match ?? 0))[0];
    if (!target) return;
    this.withNode((node) => node.transferLeadership(target));
    const deadline = Date.now() + ELECTION_TICKS * TICK_MS * 2;
    while (this.isLeader && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, TICK_MS / 2));
    }
  }
}

/** Whether any of the entries is a createStream command. */
function createsStream(entries: readonly Entry[]): boolean {
  return entries.some((entry) => {
    if (entry.kind !== "normal" || entry.data.length === 0) return false;
    try {
      return (
        (JSON.parse(Buffer.from(entry.data).toString("utf8")) as MetadataCommand).op ===
        "createStream"
      );
    } catch {
      return false;
    }
  });
}

function formatJoinTimeout(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** Not committed this time, but a later attempt may be (no leader yet, leader changed...). */
class RetryableError extends Error {}

function initialMembership(
  bootstrap: Exclude<Bootstrap, { mode: "join" }>,
  serverId: string,
  maxQuorumSize: number,
): ConfState {
  if (bootstrap.mode === "seed") return makeConfState([serverId]);
  const peers = [...new Set(bootstrap.peers)].sort();
  if (!peers.includes(serverId)) {
    throw new Error(
      `--raft-bootstrap-peers ${bootstrap.peers.join(",")} does not include this broker's ID ${serverId}`,
    );
  }
  // Every peer computes the same membership from the same list.
  const limit = maxQuorumSize === 0 ? peers.length : maxQuorumSize;
  return makeConfState(peers.slice(0, limit), peers.slice(limit));
}
