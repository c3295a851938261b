import {
  type ConfState,
  MemoryStorage,
  type Message,
  type MessageType,
  makeConfState,
  SeededRandom,
} from "../../src/server/raft/index.js";
import { Raft } from "../../src/server/raft/raft.js";
import { SafetyChecker } from "./safety-checker.js";
import { DEFAULT_NODE_SETTINGS, type NodeSettings, SimNode } from "./sim-node.js";

export interface TestNetworkOptions {
  readonly learners?: readonly string[];
  readonly settings?: Partial<NodeSettings>;
  readonly seed?: number;
  /** Nodes created with an empty storage (to join later), not bootstrapped. */
  readonly joiners?: readonly string[];
}

/**
 * A hand-driven cluster for unit tests (in the manner of etcd's raft_test.go network):
 * messages queue up until deliver() is called; links can be cut one way or both, message
 * types dropped, nodes crashed and restarted. The safety checker watches throughout.
 */
export class TestNetwork {
  readonly nodes = new Map<string, SimNode>();
  readonly checker = new SafetyChecker();
  readonly settings: NodeSettings;
  private queue: Message[] = [];
  private readonly cut = new Set<string>();
  private readonly droppedTypes = new Set<MessageType>();
  private readonly rng: SeededRandom;
  /** Every message ever delivered, in order. */
  readonly delivered: Message[] = [];

  constructor(voters: readonly string[], options: TestNetworkOptions = {}) {
    this.rng = new SeededRandom(options.seed ?? 1);
    this.settings = { ...DEFAULT_NODE_SETTINGS, maxMessageBytes: 1 << 20, ...options.settings };
    const conf = makeConfState(voters, options.learners ?? []);
    for (const id of [...voters, ...(options.learners ?? [])]) {
      const node = this.add(id);
      node.storage.bootstrap(conf);
      this.start(id);
    }
    for (const id of options.joiners ?? []) {
      this.add(id);
      this.start(id);
    }
  }

  private add(id: string): SimNode {
    const node = new SimNode(id, this.settings);
    this.nodes.set(id, node);
    return node;
  }

  node(id: string): SimNode {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  raft(id: string): Raft {
    return this.node(id).raft;
  }

  conf(id: string): ConfState {
    return this.raft(id).conf;
  }

  start(id: string): void {
    const node = this.node(id);
    node.start(new SeededRandom(this.rng.uint32()));
    this.checker.started(node);
    this.drain(node);
  }

  crash(id: string): void {
    this.node(id).crash();
  }

  private drain(node: SimNode): void {
    node.drain((messages) => this.queue.push(...messages), this.checker);
    this.checker.observeRoles([node]);
  }

  /** Runs `fn` on a node's RawNode, then handles its Ready. */
  act<T>(id: string, fn: (node: SimNode) => T): T {
    const node = this.node(id);
    const result = fn(node);
    this.drain(node);
    return result;
  }

  tick(id: string, times = 1): void {
    for (let i = 0; i < times; i++) this.act(id, (n) => n.raw?.tick());
  }

  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) for (const id of this.nodes.keys()) this.tick(id);
  }

  propose(id: string, text: string): number {
    return this.act(id, (n) => n.raw!.propose(new TextEncoder().encode(text)).index);
  }

  /** Cuts a→b (and b→a unless oneWay). */
  cutLink(a: string, b: string, oneWay = false): void {
    this.cut.add(`${a}>${b}`);
    if (!oneWay) this.cut.add(`${b}>${a}`);
  }

  isolate(id: string): void {
    for (const other of this.nodes.keys()) if (other !== id) this.cutLink(id, other);
  }

  heal(): void {
    this.cut.clear();
    this.droppedTypes.clear();
  }

  dropType(type: MessageType): void {
    this.droppedTypes.add(type);
  }

  /** Messages queued and not yet delivered. */
  pending(): readonly Message[] {
    return this.queue;
  }

  /**
   * Delivers queued messages (and those they cause) until none are left or `maxMessages`
   * were handled. Messages on cut links, of dropped types, to down nodes or rejected by
   * `filter` are discarded. Returns the messages delivered.
   */
  deliver(filter?: (m: Message) => boolean, maxMessages = 10_000): Message[] {
    const out: Message[] = [];
    while (this.queue.length > 0 && out.length < maxMessages) {
      const m = this.queue.shift()!;
      const node = this.nodes.get(m.to);
      if (!node?.up || this.cut.has(`${m.from}>${m.to}`) || this.droppedTypes.has(m.type)) continue;
      if (filter && !filter(m)) continue;
      out.push(m);
      this.delivered.push(m);
      this.act(m.to, (n) => n.raw!.step(m));
    }
    return out;
  }

  /** Discards every queued message. */
  dropPending(): void {
    this.queue = [];
  }

  /** Ticks `id` alone until it starts an election, then delivers everything. */
  campaign(id: string): void {
    const raft = this.raft(id);
    for (let i = 0; i < this.settings.electionTicks * 2 && raft.role === "follower"; i++) {
      this.tick(id);
    }
    this.deliver();
  }

  /** Makes `id` the leader (it must be able to win) and settles the cluster. */
  elect(id: string): void {
    this.campaign(id);
    if (this.raft(id).role !== "leader") {
      throw new Error(
        `node ${id} did not win: it is ${this.raft(id).role} in term ${this.raft(id).term}`,
      );
    }
    this.deliver();
  }

  leaders(): string[] {
    return [...this.nodes.values()]
      .filter((n) => n.up && n.raft.role === "leader")
      .map((n) => n.id);
  }

  /** Application digests by node, for "everybody applied the same" assertions. */
  applied(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const node of this.nodes.values()) if (node.up) out[node.id] = node.app.index;
    return out;
  }
}

/** A lone Raft core over a bootstrapped MemoryStorage, for stepping messages by hand. */
export function makeRaft(
  id: string,
  voters: readonly string[],
  options: {
    learners?: readonly string[];
    entries?: readonly [index: number, term: number][];
    term?: number;
    seed?: number;
    settings?: Partial<NodeSettings>;
  } = {},
): Raft {
  const storage = new MemoryStorage();
  storage.bootstrap(makeConfState(voters, options.learners ?? []));
  if (options.entries) {
    storage.append(
      options.entries.map(([index, term]) => ({
        index,
        term,
        kind: "normal" as const,
        data: new TextEncoder().encode(`${index}/${term}`),
      })),
    );
  }
  if (options.term) storage.setHardState({ term: options.term, vote: null, commit: 1 });
  return new Raft({
    id,
    storage,
    random: new SeededRandom(options.seed ?? 1),
    ...DEFAULT_NODE_SETTINGS,
    maxMessageBytes: 1 << 20,
    ...options.settings,
  });
}

/** Takes the messages a core produced since the last call. */
export function takeMessages(raft: Raft): Message[] {
  const out = raft.messages;
  raft.messages = [];
  return out;
}
