import {
  type ConfChange,
  ConfChangeError,
  decodeMessage,
  encodeMessage,
  type Message,
  makeConfState,
  NotLeaderError,
  ProposalDroppedError,
  SeededRandom,
} from "../../src/server/raft/index.js";
import { SafetyChecker } from "./safety-checker.js";
import { CRASH_POINTS, DEFAULT_NODE_SETTINGS, type NodeSettings, SimNode } from "./sim-node.js";

/** The knobs of one seed's run, themselves drawn from the seed. */
export interface Scenario {
  readonly voters: number;
  readonly learners: number;
  readonly chaosRounds: number;
  readonly lossRate: number;
  readonly duplicateRate: number;
  readonly maxDelay: number;
  readonly crashRate: number;
  readonly restartRate: number;
  readonly readyCrashRate: number;
  readonly partitionRate: number;
  readonly healRate: number;
  readonly proposeRate: number;
  readonly confChangeRate: number;
  readonly transferRate: number;
  readonly snapshotRate: number;
  /** Small values split appends into one entry per message, exposing partial acks. */
  readonly maxMessageBytes: number;
  readonly maxInflight: number;
}

export interface SeedStats {
  readonly scenario: Scenario;
  readonly rounds: number;
  readonly committed: number;
  readonly leaders: number;
  readonly crashes: number;
  readonly snapshotsTaken: number;
  readonly snapshotsInstalled: number;
  readonly confChanges: number;
  readonly transfers: number;
  readonly messages: number;
  readonly livenessRounds: number;
}

export interface RunOptions {
  /** Rounds of chaos; default drawn from the seed. */
  readonly chaosRounds?: number;
  /** Print every event to stderr. */
  readonly trace?: boolean;
  readonly settings?: Partial<NodeSettings>;
}

export class SimulationFailure extends Error {
  constructor(
    readonly seed: number,
    cause: unknown,
    recent: readonly string[],
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `seed=${seed} failed: ${reason}\n` +
        `rerun: SIM_SEED=${seed} SIM_TRACE=1 node dist/test/sim/sweep.js\n` +
        `last events:\n  ${recent.join("\n  ")}`,
      { cause },
    );
    this.name = "SimulationFailure";
  }
}

function drawScenario(rng: SeededRandom): Scenario {
  return {
    voters: rng.pick([3, 3, 5]),
    learners: rng.chance(0.3) ? 1 : 0,
    chaosRounds: 200 + rng.int(200),
    lossRate: rng.pick([0, 0.01, 0.05, 0.15]),
    duplicateRate: rng.pick([0, 0.02, 0.1]),
    maxDelay: rng.pick([0, 1, 2, 4]),
    crashRate: rng.pick([0, 0.005, 0.02]),
    restartRate: rng.pick([0.02, 0.1]),
    readyCrashRate: rng.pick([0, 0.002, 0.01]),
    partitionRate: rng.pick([0, 0.01, 0.03]),
    healRate: rng.pick([0.02, 0.05]),
    proposeRate: rng.pick([0.2, 0.5, 1]),
    confChangeRate: rng.pick([0, 0.01, 0.03]),
    transferRate: rng.pick([0, 0.005, 0.02]),
    snapshotRate: rng.pick([0, 0.02, 0.1]),
    maxMessageBytes: rng.pick([1, 100, 512, 1 << 20]),
    maxInflight: rng.pick([1, 4, 64]),
  };
}

interface InFlight {
  readonly message: Message;
  readonly due: number;
}

type Partition = "split" | "isolateLeader" | "leaderDeaf" | "oneWay";

/**
 * One seeded run: a cluster in a network that loses, duplicates, delays and reorders
 * messages, partitions (symmetric and not), crashes nodes at any point of a Ready and restarts
 * them from storage, while clients propose, membership changes, leadership moves and nodes
 * snapshot and compact. The safety checker runs after every event. Then the network heals and
 * the cluster must elect a leader and commit a proposal on every member within a bound.
 */
export class Simulation {
  private readonly rng: SeededRandom;
  readonly scenario: Scenario;
  private readonly settings: NodeSettings;
  private readonly nodes = new Map<string, SimNode>();
  private readonly checker = new SafetyChecker();
  private inFlight: InFlight[] = [];
  private readonly cut = new Set<string>();
  private now = 0;
  private nextNodeNumber = 1;
  private proposals = 0;
  private readonly recent: string[] = [];
  private stats = {
    crashes: 0,
    snapshotsTaken: 0,
    snapshotsInstalled: 0,
    confChanges: 0,
    transfers: 0,
    messages: 0,
  };
  private lossRate: number;
  private duplicateRate: number;
  private readyCrashRate: number;

  constructor(
    readonly seed: number,
    private readonly options: RunOptions = {},
  ) {
    this.rng = new SeededRandom(seed);
    const drawn = drawScenario(this.rng);
    this.scenario = { ...drawn, chaosRounds: options.chaosRounds ?? drawn.chaosRounds };
    this.settings = {
      ...DEFAULT_NODE_SETTINGS,
      maxMessageBytes: this.scenario.maxMessageBytes,
      maxInflight: this.scenario.maxInflight,
      ...options.settings,
    };
    this.lossRate = this.scenario.lossRate;
    this.duplicateRate = this.scenario.duplicateRate;
    this.readyCrashRate = this.scenario.readyCrashRate;
  }

  run(): SeedStats {
    try {
      return this.runUnchecked();
    } catch (err) {
      throw new SimulationFailure(this.seed, err, this.recent);
    }
  }

  private runUnchecked(): SeedStats {
    const voters: string[] = [];
    const learners: string[] = [];
    for (let i = 0; i < this.scenario.voters; i++) voters.push(this.newNode().id);
    for (let i = 0; i < this.scenario.learners; i++) learners.push(this.newNode().id);
    const conf = makeConfState(voters, learners);
    for (const node of this.nodes.values()) {
      node.storage.bootstrap(conf);
      this.startNode(node);
    }
    this.event(`bootstrap voters=${voters} learners=${learners} ${JSON.stringify(this.scenario)}`);

    for (let round = 0; round < this.scenario.chaosRounds; round++) this.chaosRound();
    const livenessRounds = this.heal();
    return {
      scenario: this.scenario,
      rounds: this.now,
      committed: this.checker.maxCommitted,
      leaders: this.checker.leaderCount,
      livenessRounds,
      ...this.stats,
    };
  }

  // -------------------------------------------------------------------------------------

  private event(text: string): void {
    const line = `t=${this.now} ${text}`;
    if (this.options.trace) process.stderr.write(`${line}\n`);
    this.recent.push(line);
    if (this.recent.length > 60) this.recent.shift();
  }

  private newNode(): SimNode {
    const node = new SimNode(`n${this.nextNodeNumber++}`, this.settings);
    this.nodes.set(node.id, node);
    return node;
  }

  private startNode(node: SimNode): void {
    node.start(new SeededRandom(this.rng.uint32()));
    this.checker.started(node);
    this.drain(node);
  }

  private upNodes(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.up);
  }

  private leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const node of this.nodes.values()) {
      if (!node.up || node.raft.role !== "leader") continue;
      if (!best || node.raft.term > best.raft.term) best = node;
    }
    return best;
  }

  private drain(node: SimNode, crashChance = 0): void {
    if (!node.up) return;
    const before = node.raft.log.unstable.snapshot;
    const crashAt =
      crashChance > 0 && this.rng.chance(crashChance) ? this.rng.pick(CRASH_POINTS) : undefined;
    const survived = node.drain((messages) => this.send(messages), this.checker, crashAt);
    if (!survived) {
      this.stats.crashes++;
      this.event(`${node.id} crashed ${crashAt} while handling a Ready`);
      return;
    }
    if (before) this.stats.snapshotsInstalled++;
    this.checker.observeRoles([node]);
  }

  private send(messages: readonly Message[]): void {
    for (const m of messages) {
      this.stats.messages++;
      if (this.rng.chance(this.lossRate)) continue;
      // Every message crosses the wire codec, as over NATS.
      const message = decodeMessage(encodeMessage(m));
      this.inFlight.push({ message, due: this.now + this.rng.int(this.scenario.maxDelay + 1) });
      if (this.rng.chance(this.duplicateRate)) {
        this.inFlight.push({ message, due: this.now + this.rng.int(this.scenario.maxDelay + 2) });
      }
    }
  }

  /** Delivers due messages in random order (new ones with no delay may join the round). */
  private deliverDue(): void {
    for (let budget = 2000; budget > 0; budget--) {
      const due: number[] = [];
      for (let i = 0; i < this.inFlight.length; i++)
        if (this.inFlight[i]!.due <= this.now) due.push(i);
      if (due.length === 0) return;
      const at = this.rng.pick(due);
      const { message } = this.inFlight[at]!;
      this.inFlight[at] = this.inFlight[this.inFlight.length - 1]!;
      this.inFlight.pop();
      const node = this.nodes.get(message.to);
      if (!node?.up || this.cut.has(`${message.from}>${message.to}`)) continue;
      node.raw!.step(message);
      this.drain(node, this.readyCrashRate);
    }
  }

  private tickAll(): void {
    this.now++;
    const order = this.upNodes();
    for (let i = order.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const node of order) {
      if (!node.up) continue;
      node.raw!.tick();
      this.drain(node, this.readyCrashRate);
    }
  }

  // -------------------------------------------------------------------------------------
  // Chaos

  private chaosRound(): void {
    const s = this.scenario;
    if (this.rng.chance(s.crashRate)) this.crashSomeone();
    for (const node of this.nodes.values()) {
      if (!node.up && this.rng.chance(s.restartRate)) {
        this.event(`${node.id} restarts`);
        this.startNode(node);
      }
    }
    if (this.rng.chance(s.partitionRate))
      this.partition(this.rng.pick<Partition>(["split", "isolateLeader", "leaderDeaf", "oneWay"]));
    if (this.cut.size > 0 && this.rng.chance(s.healRate)) {
      this.cut.clear();
      this.event("network healed");
    }
    if (this.rng.chance(s.proposeRate)) this.propose();
    if (this.rng.chance(s.confChangeRate)) this.changeMembership();
    if (this.rng.chance(s.transferRate)) this.transfer();
    if (this.rng.chance(s.snapshotRate)) this.snapshot();
    this.tickAll();
    this.deliverDue();
  }

  private crashSomeone(): void {
    const up = this.upNodes();
    if (up.length === 0) return;
    // Leaders half the time: leader churn is where the subtle cases (Figure 8) live.
    const leader = this.leader();
    const node = leader && this.rng.chance(0.5) ? leader : this.rng.pick(up);
    node.crash();
    this.stats.crashes++;
    this.event(`${node.id} crashed`);
  }

  private partition(kind: Partition): void {
    const ids = [...this.nodes.keys()];
    const leader = this.leader()?.id ?? this.rng.pick(ids);
    this.cut.clear();
    const cutBoth = (a: string, b: string) => {
      this.cut.add(`${a}>${b}`);
      this.cut.add(`${b}>${a}`);
    };
    switch (kind) {
      case "split": {
        const side = new Set(ids.filter(() => this.rng.chance(0.5)));
        for (const a of side) for (const b of ids) if (!side.has(b)) cutBoth(a, b);
        this.event(`partition: {${[...side]}} | rest`);
        break;
      }
      case "isolateLeader":
        for (const b of ids) if (b !== leader) cutBoth(leader, b);
        this.event(`partition: ${leader} isolated`);
        break;
      case "leaderDeaf":
        // The leader's messages go out, nothing comes back: check-quorum must depose it.
        for (const b of ids) if (b !== leader) this.cut.add(`${b}>${leader}`);
        this.event(`partition: ${leader} hears nobody`);
        break;
      case "oneWay": {
        const a = this.rng.pick(ids);
        const b = this.rng.pick(ids);
        if (a !== b) this.cut.add(`${a}>${b}`);
        this.event(`partition: ${a} cannot reach ${b}`);
        break;
      }
    }
  }

  private propose(): void {
    const up = this.upNodes();
    if (up.length === 0) return;
    const node = this.rng.pick(up);
    const data = new TextEncoder().encode(`${node.id}#${++this.proposals}`);
    try {
      const { index } = node.raw!.propose(data);
      this.event(`${node.id} proposed #${this.proposals} at ${index}`);
    } catch (err) {
      if (!(err instanceof NotLeaderError || err instanceof ProposalDroppedError)) throw err;
    }
    this.drain(node);
  }

  private changeMembership(): void {
    const leader = this.leader();
    if (!leader) return;
    const { voters, learners } = leader.raft.conf;
    const members = this.nodes.size;
    const options: (() => ConfChange)[] = [];
    if (members < 8) {
      options.push(() => ({ type: "addLearner", nodeId: `n${this.nextNodeNumber}` }));
      if (this.rng.chance(0.3))
        options.push(() => ({ type: "addVoter", nodeId: `n${this.nextNodeNumber}` }));
    }
    if (learners.length > 0)
      options.push(() => ({ type: "promoteLearner", nodeId: this.rng.pick(learners) }));
    if (voters.length > 2)
      options.push(() => ({ type: "removeNode", nodeId: this.rng.pick(voters) }));
    if (learners.length > 0)
      options.push(() => ({ type: "removeNode", nodeId: this.rng.pick(learners) }));
    if (options.length === 0) return;
    const change = this.rng.pick(options)();
    try {
      const { index } = leader.raw!.proposeConfChange(change);
      this.stats.confChanges++;
      this.event(`${leader.id} proposed ${change.type} ${change.nodeId} at ${index}`);
      if (!this.nodes.has(change.nodeId)) this.startNode(this.newNode());
    } catch (err) {
      if (!(err instanceof ProposalDroppedError || err instanceof ConfChangeError)) throw err;
    }
    this.drain(leader);
  }

  private transfer(): void {
    const leader = this.leader();
    if (!leader) return;
    const others = leader.raft.conf.voters.filter((id) => id !== leader.id);
    if (others.length === 0) return;
    const to = this.rng.pick(others);
    leader.raw!.transferLeadership(to);
    this.stats.transfers++;
    this.event(`${leader.id} hands leadership to ${to}`);
    this.drain(leader);
  }

  private snapshot(): void {
    const up = this.upNodes();
    if (up.length === 0) return;
    const node = this.rng.pick(up);
    const keep = this.rng.int(4);
    if (node.snapshotAndCompact(keep)) {
      this.stats.snapshotsTaken++;
      this.event(`${node.id} snapshot at ${node.app.index}, log from ${node.storage.firstIndex()}`);
    }
  }

  // -------------------------------------------------------------------------------------
  // Liveness

  /**
   * Heals everything and requires, within a bound, a leader whose proposal is applied by
   * every member of its configuration (with the same history, which the checker verifies).
   */
  private heal(): number {
    this.cut.clear();
    this.lossRate = 0;
    this.duplicateRate = 0;
    this.readyCrashRate = 0;
    for (const node of this.nodes.values()) if (!node.up) this.startNode(node);
    this.event("liveness phase: network healed, all nodes up");
    const bound = this.settings.electionTicks * 40;
    let probe: { leader: string; term: number; index: number } | null = null;
    for (let round = 1; round <= bound; round++) {
      this.tickAll();
      this.deliverDue();
      const leader = this.leader();
      if (!leader) continue;
      if (!probe || probe.leader !== leader.id || probe.term !== leader.raft.term) {
        try {
          const { index } = leader.raw!.propose(
            new TextEncoder().encode(`probe@${leader.raft.term}`),
          );
          probe = { leader: leader.id, term: leader.raft.term, index };
          this.drain(leader);
        } catch (err) {
          if (!(err instanceof ProposalDroppedError)) throw err;
        }
        continue;
      }
      const { voters, learners } = leader.raft.conf;
      const done = [...voters, ...learners].every((id) => {
        const node = this.nodes.get(id);
        return node?.up && node.app.index >= probe!.index;
      });
      if (done) return round;
    }
    const states = [...this.nodes.values()].map((n) =>
      n.up
        ? `${n.id}:${n.raft.role}/t${n.raft.term}/c${n.raft.log.committed}/a${n.app.index}/conf=${n.raft.conf.voters}+${n.raft.conf.learners}`
        : `${n.id}:down`,
    );
    const leader = this.leader();
    const progress = leader
      ? ` leader progress ${JSON.stringify(leader.raft.status().progress)}`
      : "";
    throw new Error(
      `liveness: no leader committed a proposal on all members within ${bound} rounds of a healed network; ${states.join(" ")}${progress}; ${this.inFlight.length} messages in flight`,
    );
  }
}

export function runSeed(seed: number, options: RunOptions = {}): SeedStats {
  return new Simulation(seed, options).run();
}
