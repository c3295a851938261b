import test from "ava";
import type { Message, VoteResponse } from "../../src/server/raft/index.js";
import { makeRaft, TestNetwork, takeMessages } from "../sim/test-network.js";

const vote = (from: string, term: number, lastLogIndex: number, lastLogTerm: number): Message => ({
  type: "vote",
  from,
  to: "a",
  term,
  lastLogIndex,
  lastLogTerm,
  transfer: false,
});

function voteResponses(messages: Message[]): VoteResponse[] {
  return messages.filter((m): m is VoteResponse => m.type === "voteResponse");
}

test("§5.2: a cluster elects exactly one leader, which all nodes follow", (t) => {
  const net = new TestNetwork(["a", "b", "c"]);
  net.elect("a");
  t.deepEqual(net.leaders(), ["a"]);
  for (const id of ["b", "c"]) {
    t.is(net.raft(id).leader, "a");
    t.is(net.raft(id).term, net.raft("a").term);
  }
  // The new leader's empty entry commits everywhere (§8).
  net.tickAll();
  net.deliver();
  t.deepEqual(net.applied(), { a: 2, b: 2, c: 2 });
});

test("§5.2: a node votes for at most one candidate per term, and remembers it", (t) => {
  const raft = makeRaft("a", ["a", "b", "c"]);
  raft.step(vote("b", 5, 1, 1));
  raft.step(vote("c", 5, 1, 1));
  raft.step(vote("b", 5, 1, 1));
  const replies = voteResponses(takeMessages(raft));
  t.deepEqual(
    replies.map((m) => [m.to, m.reject]),
    [
      ["b", false],
      ["c", true],
      ["b", false],
    ],
  );
  t.is(raft.vote, "b");
  t.deepEqual(raft.hardState(), { term: 5, vote: "b", commit: 1 });
});

test("§5.2: election timeouts are randomized in [electionTicks, 2 * electionTicks)", (t) => {
  const seen = new Set<number>();
  for (let seed = 1; seed <= 60; seed++) {
    const raft = makeRaft("a", ["a", "b", "c"], { seed });
    let ticks = 0;
    while (raft.role === "follower") {
      raft.tick();
      ticks++;
    }
    t.true(ticks >= 10 && ticks < 20, `seed ${seed}: campaigned after ${ticks} ticks`);
    seen.add(ticks);
  }
  t.true(seen.size >= 5, `only ${seen.size} distinct timeouts`);
});

test("§5.2: a candidate that hears from the leader of its term becomes a follower", (t) => {
  const raft = makeRaft("a", ["a", "b", "c"], { settings: { preVote: false } });
  while (raft.role !== "candidate") raft.tick();
  const term = raft.term;
  raft.step({ type: "heartbeat", from: "b", to: "a", term, commit: 1 });
  t.is(raft.status().role, "follower");
  t.is(raft.leader, "b");
  t.is(raft.term, term);
});

test("§5.4.1: a vote is granted only to a candidate whose log is at least as up to date", (t) => {
  const cases: [string, number, number, boolean][] = [
    ["older last term, longer log", 9, 1, false],
    ["same last term, shorter log", 2, 2, false],
    ["same last term, same length", 3, 2, true],
    ["same last term, longer log", 4, 2, true],
    ["newer last term, shorter log", 2, 3, true],
  ];
  for (const [name, lastIndex, lastTerm, granted] of cases) {
    const raft = makeRaft("a", ["a", "b", "c"], {
      entries: [
        [2, 2],
        [3, 2],
      ],
      term: 2,
    });
    raft.step(vote("b", 4, lastIndex, lastTerm));
    const [reply] = voteResponses(takeMessages(raft));
    t.is(reply?.reject, !granted, name);
  }
});

test("pre-vote (thesis §9.6): an isolated node cannot raise its term or disrupt the leader", (t) => {
  const net = new TestNetwork(["a", "b", "c"]);
  net.elect("a");
  const term = net.raft("a").term;
  net.isolate("c");
  net.tick("c", 100);
  net.deliver();
  t.is(net.raft("c").term, term, "pre-elections never win, so the term stays");
  net.heal();
  for (let i = 0; i < 30; i++) {
    net.tickAll();
    net.deliver();
  }
  t.deepEqual(net.leaders(), ["a"]);
  t.is(net.raft("a").term, term);
  t.is(net.raft("c").leader, "a");
});

test("without pre-vote an isolated node's term runs away (the problem pre-vote solves)", (t) => {
  const net = new TestNetwork(["a", "b", "c"], { settings: { preVote: false } });
  net.elect("a");
  const term = net.raft("a").term;
  net.isolate("c");
  net.tick("c", 100);
  t.true(net.raft("c").term > term + 3);
});

test("check-quorum (thesis §6.2): a leader cut off from the majority steps down", (t) => {
  const net = new TestNetwork(["a", "b", "c"]);
  net.elect("a");
  net.isolate("a");
  // Activity is checked once per election timeout; the answers received before the cut
  // count for the first check.
  net.tick("a", net.settings.electionTicks * 2);
  t.is(net.raft("a").role, "follower");
  t.is(net.raft("a").leader, null);
});

test("check-quorum: a leader that hears nobody (one-way partition) steps down", (t) => {
  const net = new TestNetwork(["a", "b", "c"]);
  net.elect("a");
  net.cutLink("b", "a", true);
  net.cutLink("c", "a", true);
  for (let i = 0; i < net.settings.electionTicks * 2; i++) {
    net.tick("a");
    net.deliver();
  }
  t.is(net.raft("a").role, "follower");
});

test("leader lease: a follower that hears from its leader ignores vote requests", (t) => {
  const net = new TestNetwork(["a", "b", "c"]);
  net.elect("a");
  const c = net.raft("c");
  const term = c.term;
  c.step({
    type: "vote",
    from: "b",
    to: "c",
    term: term + 5,
    lastLogIndex: 100,
    lastLogTerm: term,
    transfer: false,
  });
  t.is(c.term, term);
  t.deepEqual(takeMessages(c), []);
  // A leader transfer's campaign is let through.
  c.step({
    type: "vote",
    from: "b",
    to: "c",
    term: term + 5,
    lastLogIndex: 100,
    lastLogTerm: term,
    transfer: true,
  });
  t.is(c.term, term + 5);
  t.is(c.vote, "b");
});

test("a deposed leader learns the new term from its followers' answers and steps down", (t) => {
  const net = new TestNetwork(["a", "b", "c"], { settings: { checkQuorum: false } });
  net.elect("a");
  net.isolate("a");
  net.elect("b");
  const term = net.raft("b").term;
  t.is(net.raft("a").role, "leader", "a has heard nothing yet");
  net.heal();
  net.tick("a");
  net.deliver();
  t.is(net.raft("a").role, "follower");
  t.is(net.raft("a").term, term);
  net.tick("b");
  net.deliver();
  t.is(net.raft("a").leader, "b");
});

test("a learner never campaigns", (t) => {
  const net = new TestNetwork(["a", "b"], { learners: ["l"] });
  net.tick("l", 200);
  net.deliver();
  t.is(net.raft("l").role, "follower");
  t.is(net.raft("l").term, 1);
});
