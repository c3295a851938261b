import test, { type ExecutionContext } from "ava";
import { connect, type Msg } from "nats";
import { CommitLog } from "../../src/server/log/index.js";
import type { Logger } from "../../src/server/logger.js";
import type { PartitionInfo, StreamInfo } from "../../src/server/metadata/types.js";
import type { ReplicationControl } from "../../src/server/replication/control.js";
import { FollowerReplica } from "../../src/server/replication/follower.js";
import {
  decodeFetchRequest,
  encodeFetchResponse,
  type FetchRequest,
  type FetchResponse,
} from "../../src/server/replication/protocol.js";
import { replicateSubject } from "../../src/server/replication/subjects.js";
import { startNats } from "../helpers/nats.js";
import { makeTempDir } from "../helpers/tmp.js";
import { waitFor } from "../helpers/wait.js";

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const noControl: ReplicationControl = {
  shrinkIsr: async () => {},
  expandIsr: async () => {},
  reportLeader: async () => {},
  resignLeader: async () => ({ moved: false, reason: "no controller in this test" }),
};
const body = (s: string) => new TextEncoder().encode(s);

/**
 * A follower of orders/0 in leader epoch 2 whose leader "z" is played by the test: `answer`
 * decides each fetch response (undefined: no answer).
 */
async function followerOfFakeLeader(
  t: ExecutionContext,
  answer: (req: FetchRequest) => FetchResponse | Uint8Array | undefined,
) {
  const nats = await startNats(t);
  const nc = await connect({ servers: nats.url });
  t.teardown(() => nc.close());
  const requests: FetchRequest[] = [];
  nc.subscribe(replicateSubject("ns", "orders", 0), {
    callback: (_err, msg: Msg) => {
      const req = decodeFetchRequest(msg.data);
      requests.push(req);
      const response = answer(req);
      if (response)
        msg.respond(response instanceof Uint8Array ? response : encodeFetchResponse(response));
    },
  });
  await nc.flush();
  const info: PartitionInfo = {
    id: 0,
    leader: "z",
    replicas: ["z", "b"],
    isr: ["z", "b"],
    epoch: 3,
    leaderEpoch: 2,
    paused: false,
    readonly: false,
  };
  const stream: StreamInfo = {
    name: "orders",
    subject: "orders",
    group: "",
    replicationFactor: 2,
    partitions: [info],
    settings: {},
    creationTimestamp: "0",
  };
  const log = await CommitLog.open(await makeTempDir("follower", t));
  const follower = new FollowerReplica({
    stream,
    info,
    log,
    nc,
    logger: quiet,
    settings: {
      namespace: "ns",
      serverId: "b",
      replicaMaxLagTimeMs: 10_000,
      replicaMaxLeaderTimeoutMs: 10_000,
      replicaMaxIdleWaitMs: 20,
      replicaFetchTimeoutMs: 5000,
      replicationMaxBytes: 1 << 20,
      minInsyncReplicas: 1,
    },
    control: noControl,
  });
  t.teardown(() => follower.close());
  follower.start();
  return { follower, requests, log };
}

const records = (from: number, count: number, epoch = 2) =>
  Array.from({ length: count }, (_, i) => ({
    offset: from + i,
    timestamp: 5_000n + BigInt(from + i),
    leaderEpoch: epoch,
    body: body(`r${from + i}`),
  }));

test("responses from another leader epoch are dropped; the current epoch's are applied", async (t) => {
  let epoch = 1;
  const { follower, requests, log } = await followerOfFakeLeader(t, (req) => ({
    ok: true,
    leaderEpoch: epoch,
    highWatermark: 2,
    records: records(req.fetchOffset, 3).filter((r) => r.offset < 3),
  }));
  await waitFor(() => requests.length >= 5, { message: "five stale responses" });
  t.is(log.nextOffset, 0, "nothing from epoch 1 was appended");
  t.is(follower.highWatermark, -1, "nor its high watermark taken");
  t.true(requests.every((r) => r.leaderEpoch === 2 && r.replicaId === "b"));
  epoch = 2;
  await waitFor(() => log.nextOffset === 3 && follower.highWatermark === 2);
  const stored = await follower.read(0, 1 << 20);
  t.deepEqual(
    stored.map((r) => [r.offset, r.timestamp, r.leaderEpoch]),
    [
      [0, 5_000n, 2],
      [1, 5_001n, 2],
      [2, 5_002n, 2],
    ],
  );
});

test("a response that does not continue the log is dropped; the high watermark never passes the log", async (t) => {
  let replay = true;
  const { follower, requests, log } = await followerOfFakeLeader(t, (req) => {
    if (req.fetchOffset === 0) {
      return { ok: true, leaderEpoch: 2, highWatermark: 9, records: records(0, 2) };
    }
    // Offsets the follower already has: a confused or replayed response.
    if (replay) return { ok: true, leaderEpoch: 2, highWatermark: 9, records: records(1, 2) };
    return { ok: true, leaderEpoch: 2, highWatermark: 9, records: records(req.fetchOffset, 1) };
  });
  await waitFor(() => requests.filter((r) => r.fetchOffset === 2).length >= 3);
  t.is(log.nextOffset, 2);
  t.is(follower.highWatermark, 1, "capped at the follower's newest offset, not the leader's 9");
  replay = false;
  await waitFor(() => log.nextOffset >= 4);
  t.deepEqual(
    (await log.read(0, 1 << 20, 3)).map((r) => r.offset),
    [0, 1, 2, 3],
  );
});

test("garbage from the leader does not stop the follower", async (t) => {
  let garbage = true;
  const { requests, log } = await followerOfFakeLeader(t, (req) =>
    garbage
      ? body("definitely not a fetch response")
      : { ok: true, leaderEpoch: 2, highWatermark: 0, records: records(req.fetchOffset, 1) },
  );
  await waitFor(() => requests.length >= 3);
  t.is(log.nextOffset, 0);
  garbage = false;
  await waitFor(() => log.nextOffset >= 1);
  t.pass();
});

test("close() ends a fetch waiting for an answer without waiting for its timeout", async (t) => {
  const { follower, requests } = await followerOfFakeLeader(t, () => undefined);
  await waitFor(() => requests.length >= 1);
  const started = Date.now();
  await follower.close();
  t.true(Date.now() - started < 2000, `close took ${Date.now() - started} ms`);
  await t.throwsAsync(follower.read(0, 10), { message: /was closed/ });
});

test("a follower behind the leader's oldest record (removed by retention) restarts its log there", async (t) => {
  const { follower, requests, log } = await followerOfFakeLeader(t, (req) =>
    req.fetchOffset < 100
      ? {
          ok: false,
          code: "out_of_range",
          leaderEpoch: 2,
          logStartOffset: 100,
          message: `fetch offset ${req.fetchOffset} is outside the leader's log [100, 103]`,
        }
      : {
          ok: true,
          leaderEpoch: 2,
          highWatermark: 102,
          records: records(req.fetchOffset, 103 - req.fetchOffset),
        },
  );
  await waitFor(() => log.nextOffset === 103 && follower.highWatermark === 102, {
    message: "the follower to continue at the leader's oldest record",
  });
  t.is(requests[0]!.fetchOffset, 0);
  t.is(log.oldestOffset, 100);
  const stored = await follower.read(100, 1 << 20);
  t.deepEqual(
    stored.map((r) => r.offset),
    [100, 101, 102],
  );
});
