import test from "ava";
import { ENTRY_OVERHEAD_BYTES, encodeMessage } from "../../src/server/raft/index.js";
import { TestNetwork } from "../sim/test-network.js";

const MAX_MESSAGE_BYTES = 4096;
/** An append message's own fields with these short IDs and indexes. */
const ENVELOPE_BYTES = 64;

function settle(net: TestNetwork, rounds = 10): void {
  for (let i = 0; i < rounds; i++) {
    net.tickAll();
    net.deliver();
  }
}

test("append batches stay within maxMessageBytes however many small entries wait", (t) => {
  const net = new TestNetwork(["a", "b", "c"], {
    settings: { maxMessageBytes: MAX_MESSAGE_BYTES },
  });
  net.elect("a");
  net.isolate("c");
  for (let i = 0; i < 400; i++) net.propose("a", `entry-${i}-${"x".repeat(90)}`);
  net.deliver();
  net.heal();
  const before = net.delivered.length;
  settle(net);
  t.is(net.raft("c").log.lastIndex(), net.raft("a").log.lastIndex());
  t.deepEqual(net.applied(), { a: 402, b: 402, c: 402 });
  const appends = net.delivered.slice(before).filter((m) => m.type === "append" && m.to === "c");
  const sizes = appends.map((m) => encodeMessage(m).length);
  t.true(Math.max(...sizes) <= MAX_MESSAGE_BYTES + ENVELOPE_BYTES, `largest ${Math.max(...sizes)}`);
  const counts = appends.map((m) => (m.type === "append" ? m.entries.length : 0));
  t.true(Math.max(...counts) > 10, "many entries per message");
});

test("a single entry as large as the limit allows still goes, alone", (t) => {
  const net = new TestNetwork(["a", "b"], { settings: { maxMessageBytes: MAX_MESSAGE_BYTES } });
  net.elect("a");
  net.isolate("b");
  net.propose("a", "small");
  const big = net.propose("a", "y".repeat(MAX_MESSAGE_BYTES - ENTRY_OVERHEAD_BYTES));
  net.propose("a", "after");
  net.deliver();
  net.heal();
  const before = net.delivered.length;
  settle(net);
  t.deepEqual(net.applied(), { a: big + 1, b: big + 1 });
  const carrying = net.delivered
    .slice(before)
    .filter((m) => m.type === "append" && m.entries.some((e) => e.index === big));
  t.true(carrying.length > 0);
  for (const m of carrying) {
    t.true(m.type === "append" && m.entries.length === 1);
    t.true(encodeMessage(m).length <= MAX_MESSAGE_BYTES + ENVELOPE_BYTES);
  }
});
