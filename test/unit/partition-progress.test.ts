import test from "ava";
import {
  partitionProgress,
  pausedPartitionProgress,
} from "../../src/server/api/partition-progress.js";
import type { PartitionProgress } from "../../src/server/cluster/status.js";

const open = { info: { leaderEpoch: 4 }, highWatermark: 6, log: { nextOffset: 9 } };

test("a partition that does not track followers is its own only, in-sync replica", (t) => {
  t.deepEqual(partitionProgress(open, "b1"), {
    leader: "b1",
    leaderEpoch: 4,
    highWatermark: 6,
    logEndOffset: 9,
    replicas: [{ replica: "b1", logEndOffset: 9, lag: 0, inSync: true, lastFetchMsAgo: 0 }],
  });
});

test("a partition that reports its replication is taken at its word", (t) => {
  const report: PartitionProgress = {
    leader: "b1",
    leaderEpoch: 4,
    highWatermark: 5,
    logEndOffset: 9,
    replicas: [
      { replica: "b1", logEndOffset: 9, lag: 0, inSync: true, lastFetchMsAgo: 0 },
      { replica: "b2", logEndOffset: 6, lag: 3, inSync: false, lastFetchMsAgo: 120 },
    ],
  };
  t.is(partitionProgress({ ...open, replicationStatus: () => report }, "b1"), report);
});

test("a paused partition has no offsets and no replicas to report", (t) => {
  t.deepEqual(pausedPartitionProgress({ leader: "b1", leaderEpoch: 2 }), {
    leader: "b1",
    leaderEpoch: 2,
    highWatermark: -1,
    logEndOffset: -1,
    replicas: [],
  });
});
