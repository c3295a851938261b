import test from "ava";
import { CommitLog } from "../../src/server/log/index.js";
import { makeTempDir } from "../helpers/tmp.js";

const rec = (offset: number | undefined, epoch = 1) => ({
  offset,
  timestamp: BigInt(offset ?? 0),
  leaderEpoch: epoch,
  body: Uint8Array.of(offset ?? 255),
});

test("append keeps given offsets, gaps included, across a reopen", async (t) => {
  const dir = await makeTempDir("log-offsets", t);
  let log = await CommitLog.open(dir, { segmentMaxBytes: 100 });
  t.is(await log.append([rec(0), rec(1), rec(4, 2)]), 0);
  t.is(await log.append([rec(9, 3), rec(undefined, 3)]), 9);
  t.is(log.nextOffset, 11);
  const read = async () => (await log.read(0, 1 << 20)).map((r) => [r.offset, r.leaderEpoch]);
  const expected = [
    [0, 1],
    [1, 1],
    [4, 2],
    [9, 3],
    [10, 3],
  ];
  t.deepEqual(await read(), expected);
  t.deepEqual(log.endOffsetForEpoch(2), { epoch: 2, endOffset: 9 });
  await log.close();
  log = await CommitLog.open(dir, { segmentMaxBytes: 100 });
  t.teardown(() => log.close());
  t.deepEqual(await read(), expected);
  t.is(log.nextOffset, 11);
  t.deepEqual(
    log.leaderEpochs.map((e) => [e.epoch, e.startOffset]),
    [
      [1, 0],
      [2, 4],
      [3, 9],
    ],
  );
});

test("an offset below the log's next offset is refused and the log stays usable", async (t) => {
  const log = await CommitLog.open(await makeTempDir("log-offsets", t));
  t.teardown(() => log.close());
  await log.append([rec(0), rec(1)]);
  await t.throwsAsync(log.append([rec(1)]), {
    message: /offset 1 is below the log's next offset 2/,
  });
  await t.throwsAsync(log.append([rec(5), rec(5)]), {
    message: /records\[1\]\.offset is 5, expected an integer above 5/,
  });
  t.is(await log.append([rec(undefined)]), 2);
});
