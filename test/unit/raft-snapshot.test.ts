import test from "ava";
import type { AppendResponse } from "../../src/server/raft/index.js";
import { makeRaft, TestNetwork, takeMessages } from "../sim/test-network.js";

function settle(net: TestNetwork, rounds = 3): void {
  for (let i = 0; i < rounds; i++) {
    net.tickAll();
    net.deliver();
  }
}

function lagBehindCompaction(net: TestNetwork): void {
  net.elect("a");
  settle(net);
  net.isolate("c");
  for (let i = 0; i < 10; i++) net.propose("a", `p${i}`);
  net.deliver();
  t_assert(net.node("a").snapshotAndCompact(0), "a snapshots");
}

function t_assert(ok: boolean, what: string): void {
  if (!ok) throw new Error(`setup failed: ${what}`);
}

test("§7: a follower behind the leader's compacted log gets InstallSnapshot and catches up", (t) => {
  const net = new TestNetwork(["a", "b", "c"]);
  lagBehindCompaction(net);
  const snapIndex = net.node("a").storage.snapshot().metadata.index;
  t.true(net.raft("c").log.lastIndex() < net.raft("a").log.firstIndex() - 1);
  net.heal();
  settle(net);
  t.true(net.delivered.some((m) => m.type === "snapshot" && m.to === "c"));
  t.is(net.node("c").storage.snapshot().metadata.index, snapIndex);
  t.is(net.node("c").app.digest, net.node("a").app.digest);
  net.propose("a", "after");
  settle(net);
  t.is(net.node("c").app.index, net.node("a").app.index);
  t.is(net.node("c").app.digest, net.node("a").app.digest);
});

test("§7: a snapshot lost in transit is sent again", (t) => {
  const net = new TestNetwork(["a", "b", "c"]);
  lagBehindCompaction(net);
  net.heal();
  net.dropType("snapshot");
  settle(net, 2);
  t.is(net.node("c").storage.snapshot().metadata.index, 1, "nothing arrived yet");
  net.heal();
  settle(net, net.settings.electionTicks + 3);
  t.is(net.node("c").app.digest, net.node("a").app.digest);
});

test("§7: a snapshot older than the follower's commit index is ignored", (t) => {
  const raft = makeRaft("b", ["a", "b", "c"], {
    entries: [
      [2, 2],
      [3, 2],
    ],
    term: 2,
  });
  raft.step({ type: "heartbeat", from: "a", to: "b", term: 2, commit: 3 });
  takeMessages(raft);
  raft.step({
    type: "snapshot",
    from: "a",
    to: "b",
    term: 2,
    snapshot: { metadata: { index: 2, term: 2, confState: raft.conf }, data: new Uint8Array(0) },
  });
  const [reply] = takeMessages(raft) as AppendResponse[];
  t.is(reply?.index, 3);
  t.is(raft.log.lastIndex(), 3);
  t.is(raft.log.unstable.snapshot, null);
});

test("§7: a snapshot whose last entry the follower holds only advances the commit index", (t) => {
  const raft = makeRaft("b", ["a", "b", "c"], {
    entries: [
      [2, 2],
      [3, 2],
      [4, 2],
    ],
    term: 2,
  });
  raft.step({
    type: "snapshot",
    from: "a",
    to: "b",
    term: 2,
    snapshot: { metadata: { index: 3, term: 2, confState: raft.conf }, data: new Uint8Array(0) },
  });
  t.is(raft.log.committed, 3);
  t.is(raft.log.lastIndex(), 4, "entries after the snapshot are kept");
  t.is(raft.log.unstable.snapshot, null);
});

test("§7: a node restarts from its snapshot and applies only the entries after it", (t) => {
  const net = new TestNetwork(["a", "b", "c"]);
  net.elect("a");
  for (let i = 0; i < 5; i++) net.propose("a", `p${i}`);
  settle(net);
  t.true(net.node("c").snapshotAndCompact(2));
  const snapIndex = net.node("c").storage.snapshot().metadata.index;
  net.propose("a", "after-snapshot");
  settle(net);
  const digest = net.node("c").app.digest;
  const applied = net.node("c").app.index;
  net.crash("c");
  net.start("c");
  t.is(net.raft("c").log.applied, applied, "everything committed was re-applied at start");
  t.is(net.node("c").app.digest, digest);
  t.true(snapIndex < applied);
});
