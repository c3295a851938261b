import test from "ava";
import { ConfChangeError, ProposalDroppedError } from "../../src/server/raft/index.js";
import { TestNetwork } from "../sim/test-network.js";

function settle(net: TestNetwork, rounds = 3): void {
  for (let i = 0; i < rounds; i++) {
    net.tickAll();
    net.deliver();
  }
}

test("§6 / thesis §4.2.1: a learner receives the log but never counts toward the quorum", (t) => {
  const net = new TestNetwork(["a"], { learners: ["l"] });
  net.elect("a");
  net.isolate("l");
  const index = net.propose("a", "x");
  t.is(net.raft("a").log.committed, index, "the lone voter commits without the learner");
  net.heal();
  settle(net);
  t.is(net.node("l").app.index, index);
  t.is(net.node("l").app.digest, net.node("a").app.digest);
});

test("thesis §4.1: a promoted learner becomes part of the quorum", (t) => {
  const net = new TestNetwork(["a"], { learners: ["b"] });
  net.elect("a");
  net.act("a", (n) => n.raw!.proposeConfChange({ type: "promoteLearner", nodeId: "b" }));
  net.deliver();
  settle(net);
  t.deepEqual(net.conf("a"), { voters: ["a", "b"], learners: [] });
  t.deepEqual(net.conf("b"), { voters: ["a", "b"], learners: [] });
  net.isolate("b");
  const committed = net.raft("a").log.committed;
  const index = net.propose("a", "needs-b");
  t.is(net.raft("a").log.committed, committed, "a alone is no longer a majority");
  net.heal();
  settle(net);
  t.is(net.raft("a").log.committed, index);
});

test("§6: a node that joins with an empty storage learns the membership and the log", (t) => {
  const net = new TestNetwork(["a", "b", "c"], { joiners: ["d"] });
  net.elect("a");
  net.propose("a", "before-d");
  net.act("a", (n) => n.raw!.proposeConfChange({ type: "addLearner", nodeId: "d" }));
  net.deliver();
  settle(net);
  t.deepEqual(net.conf("d"), { voters: ["a", "b", "c"], learners: ["d"] });
  t.is(net.node("d").app.index, net.node("a").app.index);
  t.is(net.node("d").app.digest, net.node("a").app.digest);
  t.true(net.delivered.some((m) => m.type === "snapshot" && m.to === "d"));
});

test("§6: removing a voter shrinks the quorum", (t) => {
  const net = new TestNetwork(["a", "b", "c"]);
  net.elect("a");
  net.act("a", (n) => n.raw!.proposeConfChange({ type: "removeNode", nodeId: "c" }));
  net.deliver();
  settle(net);
  t.deepEqual(net.conf("a"), { voters: ["a", "b"], learners: [] });
  net.crash("c");
  const index = net.propose("a", "without-c");
  net.deliver();
  t.is(net.raft("a").log.committed, index);
});

test("§6: a leader that removes itself steps down and the rest elect a new leader", (t) => {
  const net = new TestNetwork(["a", "b", "c"]);
  net.elect("a");
  net.act("a", (n) => n.raw!.proposeConfChange({ type: "removeNode", nodeId: "a" }));
  net.deliver();
  settle(net);
  t.is(net.raft("a").role, "follower");
  for (let i = 0; i < 40 && net.leaders().length === 0; i++) settle(net, 1);
  const [leader] = net.leaders();
  t.true(leader === "b" || leader === "c", `leader ${leader}`);
  t.deepEqual(net.conf(leader!), { voters: ["b", "c"], learners: [] });
  t.is(net.raft("a").role, "follower", "a removed node never campaigns");
});

test("thesis §4.1: one membership change at a time", (t) => {
  const net = new TestNetwork(["a", "b", "c"]);
  net.elect("a");
  settle(net);
  const raw = net.node("a").raw!;
  raw.proposeConfChange({ type: "addLearner", nodeId: "d" });
  const err = t.throws(() => raw.proposeConfChange({ type: "addLearner", nodeId: "e" }), {
    instanceOf: ProposalDroppedError,
  });
  t.regex(err.message, /not applied yet; one change at a time/);
});

test("a new leader accepts no membership change before its log is applied", (t) => {
  const net = new TestNetwork(["a", "b", "c"]);
  while (net.raft("a").role === "follower") net.tick("a");
  // Elected, but no follower's acknowledgement of the new term's entry arrives yet.
  net.deliver((m) => m.type !== "appendResponse");
  const raw = net.node("a").raw!;
  t.is(raw.status().role, "leader");
  t.throws(() => raw.proposeConfChange({ type: "addLearner", nodeId: "d" }), {
    instanceOf: ProposalDroppedError,
  });
  settle(net);
  t.notThrows(() => raw.proposeConfChange({ type: "addLearner", nodeId: "d" }));
});

test("membership changes that do not fit are refused with the reason", (t) => {
  const net = new TestNetwork(["a"], { learners: ["l"] });
  net.elect("a");
  settle(net);
  const raw = net.node("a").raw!;
  const cases: [Parameters<typeof raw.proposeConfChange>[0], RegExp][] = [
    [{ type: "addVoter", nodeId: "a" }, /node a is already a voter/],
    [{ type: "addVoter", nodeId: "l" }, /node l is a learner: promote it/],
    [{ type: "addLearner", nodeId: "l" }, /node l is already a member/],
    [{ type: "promoteLearner", nodeId: "a" }, /node a is not a learner/],
    [{ type: "removeNode", nodeId: "zz" }, /node zz is not a member/],
    [{ type: "removeNode", nodeId: "a" }, /node a is the last voter/],
    [{ type: "addVoter", nodeId: "" }, /confChange.nodeId "": expected a non-empty node ID/],
  ];
  for (const [change, message] of cases) {
    const err = t.throws(() => raw.proposeConfChange(change), { instanceOf: ConfChangeError });
    t.regex(err.message, message);
  }
});
