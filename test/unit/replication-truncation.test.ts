import test, { type ExecutionContext } from "ava";
import { type AppendRecord, CommitLog } from "../../src/server/log/index.js";
import {
  CommittedTruncationError,
  truncateByLeaderEpoch,
} from "../../src/server/replication/epoch-truncation.js";
import { makeTempDir } from "../helpers/tmp.js";

async function logWith(t: ExecutionContext, epochs: number[]): Promise<CommitLog> {
  const log = await CommitLog.open(await makeTempDir("truncation", t));
  t.teardown(() => log.close());
  if (epochs.length > 0) {
    await log.append(
      epochs.map(
        (leaderEpoch, i): AppendRecord => ({
          timestamp: BigInt(i),
          leaderEpoch,
          body: Uint8Array.of(i),
        }),
      ),
    );
  }
  return log;
}

/** A leader whose log holds records of these epochs, answering as the real one does. */
async function leaderAnswers(t: ExecutionContext, epochs: number[]) {
  const leader = await logWith(t, epochs);
  const asked: number[] = [];
  const ask = async (epoch: number) => {
    asked.push(epoch);
    return (
      leader.endOffsetForEpoch(epoch) ?? {
        epoch: -1,
        endOffset: leader.leaderEpochs[0]?.startOffset ?? leader.nextOffset,
      }
    );
  };
  return { ask, asked };
}

test("a follower in the leader's epoch keeps what the leader has and drops what it lacks", async (t) => {
  const { ask } = await leaderAnswers(t, [1, 1, 2, 2]);
  const follower = await logWith(t, [1, 1, 2, 2, 2, 2]);
  t.is(await truncateByLeaderEpoch(follower, ask), 4);
  t.is(follower.nextOffset, 4);
});

test("a divergent tail from an epoch the leader never had is cut where the lineages part", async (t) => {
  // Offsets 3-5 came from a leader of epoch 2 that lost its leadership before committing them;
  // the new leader (epoch 3) wrote different records from offset 3 on.
  const { ask, asked } = await leaderAnswers(t, [1, 1, 1, 3, 3]);
  const follower = await logWith(t, [1, 1, 1, 2, 2, 2]);
  t.is(await truncateByLeaderEpoch(follower, ask), 3);
  t.is(follower.nextOffset, 3);
  t.deepEqual(asked, [2, 1], "asks again for the epoch it is left with");
  t.deepEqual(follower.leaderEpochs, [{ epoch: 1, startOffset: 0 }]);
});

test("the follower's own end of an earlier epoch bounds the cut too", async (t) => {
  // The leader has epoch 1 up to offset 5; the follower's epoch 1 ends at 2, then epoch 2.
  const { ask } = await leaderAnswers(t, [1, 1, 1, 1, 1, 4]);
  const follower = await logWith(t, [1, 1, 2, 2, 2, 2, 2]);
  t.is(await truncateByLeaderEpoch(follower, ask), 2);
  t.is(follower.nextOffset, 2);
});

test("nothing is cut when the follower is a prefix of the leader, or empty", async (t) => {
  const { ask } = await leaderAnswers(t, [1, 1, 2, 2, 2]);
  const prefix = await logWith(t, [1, 1, 2]);
  t.is(await truncateByLeaderEpoch(prefix, ask), undefined);
  t.is(prefix.nextOffset, 3);
  const empty = await logWith(t, []);
  t.is(await truncateByLeaderEpoch(empty, ask), undefined);
});

test("records of epochs older than any the leader has are cut at the leader's first epoch", async (t) => {
  const { ask } = await leaderAnswers(t, [5, 5]);
  const follower = await logWith(t, [2, 2, 2, 2]);
  t.is(await truncateByLeaderEpoch(follower, ask), 0);
  t.is(follower.nextOffset, 0);
});

test("committed records (up to the follower's high watermark) are never cut, even if the leader lacks them", async (t) => {
  // The leader lost offsets 3-5 of epoch 1, which the follower knows were committed up to 4.
  const { ask } = await leaderAnswers(t, [1, 1, 1]);
  const follower = await logWith(t, [1, 1, 1, 1, 1, 1]);
  const err = await t.throwsAsync(truncateByLeaderEpoch(follower, ask, 4), {
    instanceOf: CommittedTruncationError,
  });
  t.is(err?.cutAt, 3);
  t.is(err?.highWatermark, 4);
  t.is(follower.nextOffset, 6, "nothing was cut");
  // Above the high watermark the uncommitted tail goes as before.
  t.is(await truncateByLeaderEpoch(follower, ask, 2), 3);
  t.is(follower.nextOffset, 3);
});
