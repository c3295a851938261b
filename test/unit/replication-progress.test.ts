import test from "ava";
import { FollowerProgress } from "../../src/server/replication/leader-progress.js";

const LAG = 1000;

test("the high watermark is the smallest ISR log end minus one, the leader's included", (t) => {
  const p = new FollowerProgress("a", 0, 0);
  // b and c have not fetched: nothing is on every ISR member.
  t.is(p.highWatermark(["a", "b", "c"], 10), -1);
  p.recordFetch("b", 7, 10, 1);
  p.recordFetch("c", 4, 10, 1);
  t.is(p.highWatermark(["a", "b", "c"], 10), 3);
  t.is(p.highWatermark(["a", "b"], 10), 6);
  t.is(p.highWatermark(["a"], 10), 9);
  t.is(p.highWatermark(["a", "b"], 5), 4, "never past the leader's own log");
});

test("a follower keeping pace with steady writes stays in sync (Kafka's caught-up rule)", (t) => {
  const p = new FollowerProgress("a", 0, 0);
  // Each fetch reaches the leader's end as of the previous fetch, never the current end.
  let leaderEnd = 10;
  for (let now = 0, offset = 0; now <= 5000; now += 200) {
    p.recordFetch("b", offset, leaderEnd, now);
    offset = leaderEnd;
    leaderEnd += 10;
    t.false(p.outOfSync("b", now, LAG), `in sync at ${now} ms`);
  }
});

test("a follower that falls behind, or stops fetching, goes out of sync after the lag time", (t) => {
  const p = new FollowerProgress("a", 0, 0);
  p.recordFetch("b", 0, 100, 0);
  p.recordFetch("c", 100, 100, 0);
  // b keeps fetching but never reaches what the leader had at its previous fetch.
  for (let now = 100; now <= 1500; now += 100) p.recordFetch("b", now / 100, 100 + now, now);
  t.true(p.outOfSync("b", 1500, LAG));
  t.false(p.outOfSync("c", 900, LAG));
  t.true(p.outOfSync("c", 1001, LAG), "no fetch for longer than the lag time");
  t.true(p.outOfSync("d", 1001, LAG), "never fetched since leadership began");
  t.false(p.outOfSync("d", 999, LAG));
});

test("a replica may join the ISR once past the high watermark, in sync, and truncated against this leader", (t) => {
  const p = new FollowerProgress("a", 0, 50);
  t.false(p.canJoin("b", 40, 50, 10, LAG), "unknown progress");
  p.recordFetch("b", 45, 60, 10);
  t.false(p.canJoin("b", 40, 50, 10, LAG), "before this leader's first offset");
  p.recordFetch("b", 60, 60, 20);
  t.true(p.canJoin("b", 40, 50, 20, LAG));
  t.false(p.canJoin("b", 60, 50, 20, LAG), "the high watermark is not below its log end");
  t.false(p.canJoin("b", 40, 50, 2000, LAG), "out of sync");
});

test("idle followers are handed out once until they fetch again", (t) => {
  const p = new FollowerProgress("a", 0, 0);
  p.recordFetch("b", 5, 5, 1);
  p.markIdle("b");
  p.recordFetch("c", 3, 5, 1);
  t.deepEqual(p.takeIdle(), ["b"]);
  t.deepEqual(p.takeIdle(), []);
  p.markIdle("b");
  p.recordFetch("b", 5, 5, 2);
  t.deepEqual(p.takeIdle(), [], "a new fetch is not idle until answered empty");
});
