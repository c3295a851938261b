import test from "ava";
import { ProposalDroppedError } from "../../src/server/raft/index.js";
import { TestNetwork } from "../sim/test-network.js";

function settle(net: TestNetwork, rounds = 3): void {
  for (let i = 0; i < rounds; i++) {
    net.tickAll();
    net.deliver();
  }
}

test("leader transfer (thesis §3.10): an up-to-date follower takes over at once", (t) => {
  const net = new TestNetwork(["a", "b", "c"]);
  net.elect("a");
  settle(net);
  const term = net.raft("a").term;
  net.act("a", (n) => n.raw!.transferLeadership("b"));
  net.deliver();
  t.deepEqual(net.leaders(), ["b"]);
  t.is(net.raft("b").term, term + 1);
  t.is(net.raft("a").role, "follower");
  // c was inside a's leader lease, yet granted the transfer's vote.
  t.is(net.raft("c").vote, "b");
});

test("leader transfer: a lagging target is caught up first", (t) => {
  const net = new TestNetwork(["a", "b", "c"]);
  net.elect("a");
  settle(net);
  net.isolate("b");
  for (let i = 0; i < 3; i++) net.propose("a", `p${i}`);
  net.deliver();
  net.heal();
  const last = net.raft("a").log.lastIndex();
  net.act("a", (n) => n.raw!.transferLeadership("b"));
  net.deliver();
  t.deepEqual(net.leaders(), ["b"]);
  t.true(net.raft("b").log.lastIndex() > last, "b holds a's entries and its own new one");
});

test("leader transfer: proposals are refused while it runs, and accepted again if it times out", (t) => {
  const net = new TestNetwork(["a", "b", "c"]);
  net.elect("a");
  settle(net);
  net.isolate("b");
  net.act("a", (n) => n.raw!.transferLeadership("b"));
  const err = t.throws(() => net.propose("a", "during"), { instanceOf: ProposalDroppedError });
  t.regex(err.message, /being handed to b/);
  for (let i = 0; i < net.settings.electionTicks; i++) {
    net.tick("a");
    net.tick("c");
    net.deliver();
  }
  t.is(net.raft("a").role, "leader");
  t.is(net.raft("a").leadTransferee, null);
  t.notThrows(() => net.propose("a", "after"));
});

test("leader transfer: only to a voter", (t) => {
  const net = new TestNetwork(["a", "b"], { learners: ["l"] });
  net.elect("a");
  const err = t.throws(() => net.node("a").raw!.transferLeadership("l"), {
    instanceOf: ProposalDroppedError,
  });
  t.regex(err.message, /l: it is not a voter/);
});
