import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import {
  type Entry,
  FileStorage,
  MemoryStorage,
  makeConfState,
  NotLeaderError,
  type PersistentStorage,
  persistUpdate,
  RawNode,
  type ReadyHandler,
  SeededRandom,
} from "../../src/server/raft/index.js";

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lb-raft-node-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function node(storage: PersistentStorage, id = "a"): RawNode {
  return new RawNode({ id, storage, random: new SeededRandom(3) });
}

/** A handler over real storage that records what happened in which order. */
function recorder(
  storage: PersistentStorage,
  events: string[],
  applied: Entry[] = [],
): ReadyHandler {
  return {
    persist: async (update) => {
      events.push("persist");
      await persistUpdate(storage, update);
    },
    send: () => {
      events.push("send");
    },
    apply: async (batch) => {
      events.push("apply");
      applied.push(...batch.entries);
    },
    softState: (state) => {
      events.push(`role ${state.role}`);
    },
  };
}

async function drain(n: RawNode, io: ReadyHandler): Promise<void> {
  while (await n.handleReady(io)) {
    // until nothing is left
  }
}

async function electAlone(n: RawNode, io: ReadyHandler): Promise<void> {
  for (let i = 0; i < 40 && n.status().role !== "leader"; i++) {
    n.tick();
    await drain(n, io);
  }
}

test("handleReady persists, then sends, then applies, then advances", async (t) => {
  const storage = new MemoryStorage();
  storage.bootstrap(makeConfState(["a", "b", "c"]));
  const n = node(storage);
  const events: string[] = [];
  // A vote request: the vote must be stored before the answer goes out.
  n.step({
    type: "vote",
    from: "b",
    to: "a",
    term: 2,
    lastLogIndex: 1,
    lastLogTerm: 1,
    transfer: false,
  });
  await drain(n, recorder(storage, events));
  t.deepEqual(events, ["persist", "send"]);
  t.deepEqual(storage.initialState().hardState, { term: 2, vote: "b", commit: 1 });
  // An append that also commits: stored, acknowledged, then applied.
  events.length = 0;
  n.step({
    type: "append",
    from: "b",
    to: "a",
    term: 2,
    prevLogIndex: 1,
    prevLogTerm: 1,
    commit: 2,
    entries: [{ index: 2, term: 2, kind: "normal", data: new Uint8Array(0) }],
  });
  await drain(n, recorder(storage, events));
  t.deepEqual(events, ["persist", "send", "apply", "role follower"], "now following b");
  t.is(n.appliedIndex(), 2);
  t.is(storage.lastIndex(), 2);
});

test("a second handleReady while one runs is refused", async (t) => {
  const storage = new MemoryStorage();
  storage.bootstrap(makeConfState(["a"]));
  const n = node(storage);
  n.tick();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  for (let i = 0; i < 30 && !n.hasReady(); i++) n.tick();
  const first = n.handleReady({
    persist: () => gate,
    send: () => {},
    apply: () => {},
  });
  await t.throwsAsync(n.handleReady({ persist: () => {}, send: () => {}, apply: () => {} }), {
    message: /already running/,
  });
  release();
  t.true(await first);
});

test("a failing handler leaves the node unusable until restarted from storage", async (t) => {
  const storage = new MemoryStorage();
  storage.bootstrap(makeConfState(["a"]));
  const n = node(storage);
  for (let i = 0; i < 30 && !n.hasReady(); i++) n.tick();
  const failing: ReadyHandler = {
    persist: () => {
      throw new Error("disk full");
    },
    send: () => {},
    apply: () => {},
  };
  await t.throwsAsync(n.handleReady(failing), { message: "disk full" });
  t.throws(() => n.tick(), { message: /restart it from its storage/ });
  t.false(n.hasReady());
});

test("proposals on a follower are refused, naming the leader", (t) => {
  const storage = new MemoryStorage();
  storage.bootstrap(makeConfState(["a", "b"]));
  const n = node(storage);
  n.step({ type: "heartbeat", from: "b", to: "a", term: 2, commit: 1 });
  const err = t.throws(() => n.propose(new Uint8Array(1)), { instanceOf: NotLeaderError });
  t.is(err.leader, "b");
  t.regex(err.message, /node a is not the Raft leader; the leader is b/);
});

test("bad settings are refused, naming the field", (t) => {
  const storage = new MemoryStorage();
  const random = new SeededRandom(1);
  t.throws(() => new RawNode({ id: "", storage, random }), {
    message: /raft config id "": expected a non-empty node ID/,
  });
  t.throws(() => new RawNode({ id: "a", storage, random, electionTicks: 2, heartbeatTicks: 2 }), {
    message: /electionTicks 2: expected more than heartbeatTicks \(2\)/,
  });
  t.throws(() => new RawNode({ id: "a", storage, random, maxInflight: 0 }), {
    message: /maxInflight 0: expected a positive integer/,
  });
});

test("a single node on FileStorage commits, restarts with its state and applies nothing twice", async (t) => {
  const dir = await tempDir(t);
  const storage = await FileStorage.open(dir);
  await storage.bootstrap(makeConfState(["a"]));
  const events: string[] = [];
  const applied: Entry[] = [];
  const io = recorder(storage, events, applied);
  const n = node(storage);
  await electAlone(n, io);
  t.is(n.status().role, "leader");
  t.true(events.includes("role leader"));
  for (const text of ["one", "two", "three"]) n.propose(new TextEncoder().encode(text));
  await drain(n, io);
  const texts = applied
    .filter((e) => e.data.length > 0)
    .map((e) => new TextDecoder().decode(e.data));
  t.deepEqual(texts, ["one", "two", "three"]);
  const { term } = n.status();
  await storage.createSnapshot(
    n.appliedIndex() - 1,
    n.confState(),
    new TextEncoder().encode("upto-two"),
  );
  await storage.close();

  const reopened = await FileStorage.open(dir);
  t.teardown(() => reopened.close());
  t.is(reopened.initialState().hardState.term, term);
  const again: Entry[] = [];
  const n2 = node(reopened);
  t.is(n2.appliedIndex(), reopened.snapshot().metadata.index);
  await electAlone(n2, recorder(reopened, [], again));
  const replayed = again
    .filter((e) => e.data.length > 0)
    .map((e) => new TextDecoder().decode(e.data));
  t.deepEqual(replayed, ["three"], "only the entry after the snapshot is applied again");
  t.true(n2.status().term > term);
});
