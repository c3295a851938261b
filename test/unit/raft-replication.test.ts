import test from "ava";
import type { AppendResponse, Message } from "../../src/server/raft/index.js";
import { makeRaft, TestNetwork, takeMessages } from "../sim/test-network.js";

function settle(net: TestNetwork, rounds = 3): void {
  for (let i = 0; i < rounds; i++) {
    net.tickAll();
    net.deliver();
  }
}

test("§5.3: proposals are replicated, committed and applied identically everywhere", (t) => {
  const net = new TestNetwork(["a", "b", "c"]);
  net.elect("a");
  const indexes = ["x", "y", "z"].map((text) => net.propose("a", text));
  net.deliver();
  settle(net);
  t.deepEqual(indexes, [3, 4, 5]);
  t.deepEqual(net.applied(), { a: 5, b: 5, c: 5 });
  const digests = ["a", "b", "c"].map((id) => net.node(id).app.digest);
  t.is(new Set(digests).size, 1);
});

test("§5.3: a follower rejects an append whose previous entry does not match", (t) => {
  const raft = makeRaft("b", ["a", "b", "c"], { entries: [[2, 2]], term: 2 });
  const append = (prevLogIndex: number, prevLogTerm: number): Message => ({
    type: "append",
    from: "a",
    to: "b",
    term: 3,
    prevLogIndex,
    prevLogTerm,
    entries: [{ index: prevLogIndex + 1, term: 3, kind: "normal", data: new Uint8Array(0) }],
    commit: 1,
  });
  raft.step(append(2, 1));
  raft.step(append(5, 3));
  raft.step(append(2, 2));
  const replies = takeMessages(raft) as AppendResponse[];
  t.deepEqual(
    replies.map((m) => [m.index, m.reject]),
    [
      [2, true],
      [5, true],
      [3, false],
    ],
  );
  t.is(raft.log.lastIndex(), 3);
  t.is(raft.log.term(3), 3);
});

// Without check-quorum's leader lease, so a test can elect a new leader at once.
const noLease = { settings: { checkQuorum: false } };

test("§5.3: a leader overwrites a follower's conflicting uncommitted entries", (t) => {
  const net = new TestNetwork(["a", "b", "c"], noLease);
  net.elect("a");
  settle(net);
  net.isolate("a");
  net.propose("a", "lost-1");
  net.propose("a", "lost-2");
  net.dropPending();
  net.elect("b");
  net.propose("b", "kept");
  net.deliver();
  net.heal();
  settle(net, 5);
  t.deepEqual(net.leaders(), ["b"]);
  const a = net.raft("a");
  const b = net.raft("b");
  t.is(a.log.lastIndex(), b.log.lastIndex());
  for (let i = 2; i <= b.log.lastIndex(); i++) t.is(a.log.term(i), b.log.term(i), `index ${i}`);
  t.is(net.node("a").app.digest, net.node("b").app.digest);
});

test("§5.3 fast back-off: a long divergent follower log is repaired with one rejection", (t) => {
  const net = new TestNetwork(["a", "b", "c"], noLease);
  net.elect("c");
  settle(net);
  net.isolate("c");
  for (let i = 0; i < 30; i++) net.propose("c", `stale-${i}`);
  net.dropPending();
  net.elect("a");
  for (let i = 0; i < 30; i++) net.propose("a", `new-${i}`);
  net.deliver();
  net.heal();
  const before = net.delivered.length;
  settle(net, 4);
  const rejections = net.delivered
    .slice(before)
    .filter((m) => m.type === "appendResponse" && m.from === "c" && m.reject);
  t.true(rejections.length <= 2, `${rejections.length} rejections`);
  t.is(net.node("c").app.digest, net.node("a").app.digest);
  t.is(net.node("c").app.index, net.node("a").app.index);
});

test("§5.4.2 (Figure 8): a leader does not commit an entry of an earlier term by counting replicas", (t) => {
  // a holds an uncommitted entry from term 2 and becomes leader of term 3.
  const raft = makeRaft("a", ["a", "b", "c"], { entries: [[2, 2]], term: 2 });
  while (raft.role !== "preCandidate") raft.tick();
  raft.step({ type: "preVoteResponse", from: "b", to: "a", term: 3, reject: false });
  raft.step({ type: "voteResponse", from: "b", to: "a", term: 3, reject: false });
  t.is(raft.status().role, "leader");
  t.is(raft.term, 3);
  t.is(raft.log.lastIndex(), 3, "the new leader appended an empty entry of term 3");
  const ack = (index: number): Message => ({
    type: "appendResponse",
    from: "b",
    to: "a",
    term: 3,
    index,
    reject: false,
    hintIndex: 0,
    hintTerm: 0,
  });
  raft.step(ack(2));
  t.is(raft.log.committed, 1, "the term-2 entry is on a majority, but must not commit yet");
  raft.step(ack(3));
  t.is(raft.log.committed, 3, "committing the term-3 entry commits the term-2 one too");
});

test("heartbeats never carry a commit index past what the follower is known to hold", (t) => {
  const net = new TestNetwork(["a", "b", "c"]);
  net.elect("a");
  settle(net);
  net.isolate("c");
  for (let i = 0; i < 5; i++) net.propose("a", `p${i}`);
  net.deliver();
  const match = net.raft("a").progress.get("c")!.match;
  net.heal();
  net.tick("a");
  const heartbeats = net.pending().filter((m) => m.type === "heartbeat" && m.to === "c");
  t.true(heartbeats.length > 0);
  for (const m of heartbeats) if (m.type === "heartbeat") t.true(m.commit <= match);
  t.true(net.raft("a").log.committed > match);
});

test("a lost append is resent and the follower catches up", (t) => {
  const net = new TestNetwork(["a", "b", "c"]);
  net.elect("a");
  settle(net);
  net.dropType("append");
  net.propose("a", "once");
  net.deliver();
  t.is(net.node("b").app.index, 2);
  net.heal();
  settle(net, 3);
  t.deepEqual(net.applied(), { a: 3, b: 3, c: 3 });
});
