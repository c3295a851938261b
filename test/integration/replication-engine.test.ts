import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import { connect, type NatsConnection } from "nats";
import { decodeAckEnvelope } from "../../src/server/api/ack-router.js";
import { PartitionCipher } from "../../src/server/encryption.js";
import {
  type AppendRecord,
  CommitLog,
  CorruptRecordError,
  type LogFile,
  type LogFileSystem,
  type LogOptions,
  nodeFileSystem,
} from "../../src/server/log/index.js";
import type { Logger } from "../../src/server/logger.js";
import type { PartitionInfo, StreamInfo } from "../../src/server/metadata/types.js";
import { Partition } from "../../src/server/partition/partition.js";
import type {
  ReplicationControl,
  ReplicationSettings,
} from "../../src/server/replication/control.js";
import { FollowerReplica } from "../../src/server/replication/follower.js";
import { ReplicationNotifications } from "../../src/server/replication/notifications.js";
import { epochOffsetSubject } from "../../src/server/replication/subjects.js";
import { type Ack, AckError, AckPolicy, decodeMessage, encodeMessage } from "../../src/wire/api.js";
import { encodeEnvelope, MsgType } from "../../src/wire/envelope.js";
import { startNats } from "../helpers/nats.js";
import { makeTempDir } from "../helpers/tmp.js";
import { waitFor } from "../helpers/wait.js";

const NS = "lbtest";
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const text = (b: Uint8Array) => new TextDecoder().decode(b);

interface Timing {
  lagMs?: number;
  idleWaitMs?: number;
  leaderTimeoutMs?: number;
}

function settingsFor(serverId: string, timing: Timing = {}): ReplicationSettings {
  return {
    namespace: NS,
    serverId,
    // Long unless a test is about lag: a loaded machine must not shrink the ISR by accident.
    replicaMaxLagTimeMs: timing.lagMs ?? 10_000,
    replicaMaxLeaderTimeoutMs: timing.leaderTimeoutMs ?? 500,
    replicaMaxIdleWaitMs: timing.idleWaitMs ?? 100,
    replicaFetchTimeoutMs: 250,
    replicationMaxBytes: 1024 * 1024,
    minInsyncReplicas: 1,
  };
}

/**
 * Stands in for the controller: records what replicas report and commits ISR changes at once,
 * on the one PartitionInfo every replica here shares, then tells the leader.
 */
class FakeControl implements ReplicationControl {
  readonly calls: string[] = [];
  leader?: Partition;

  constructor(private readonly info: PartitionInfo) {}

  async shrinkIsr(stream: string, partition: number, replica: string, leaderEpoch: number) {
    this.calls.push(`shrink ${stream}/${partition} ${replica} @${leaderEpoch}`);
    if (!this.info.isr.includes(replica)) return;
    this.info.isr = this.info.isr.filter((r) => r !== replica);
    this.info.epoch++;
    this.leader?.isrChanged();
  }

  async expandIsr(stream: string, partition: number, replica: string, leaderEpoch: number) {
    this.calls.push(`expand ${stream}/${partition} ${replica} @${leaderEpoch}`);
    if (this.info.isr.includes(replica)) return;
    this.info.isr = [...this.info.isr, replica];
    this.info.epoch++;
    this.leader?.isrChanged();
  }

  async reportLeader(stream: string, partition: number, leader: string, leaderEpoch: number) {
    this.calls.push(`report ${stream}/${partition} ${leader} @${leaderEpoch}`);
  }

  async resignLeader(stream: string, partition: number, leaderEpoch: number, reason: string) {
    this.calls.push(`resign ${stream}/${partition} @${leaderEpoch}: ${reason}`);
    return { moved: false as const, reason: "this test's controller moves no leadership" };
  }

  count(prefix: string): number {
    return this.calls.filter((c) => c.startsWith(prefix)).length;
  }
}

interface Setup {
  timing?: Timing;
  minIsr?: number;
  isr?: string[];
  leaderEpoch?: number;
  /** Records to put in a broker's log before its replica starts. */
  seed?: Partial<Record<"a" | "b" | "c", AppendRecord[]>>;
  /** Followers not to start (yet). */
  hold?: string[];
  /** Encrypt at rest with this master key: the leader seals, followers get its data key. */
  masterKey?: Buffer;
  /** Options of the leader's log (e.g. a file system whose syncs a test holds). */
  leaderLog?: LogOptions;
}

/** A leader "a" and followers "b" and "c" of partition orders/0, each with its own NATS connection and data dir. */
async function cluster(t: ExecutionContext, setup: Setup = {}) {
  const nats = await startNats(t);
  const info: PartitionInfo = {
    id: 0,
    leader: "a",
    replicas: ["a", "b", "c"],
    isr: setup.isr ?? ["a", "b", "c"],
    epoch: 1,
    leaderEpoch: setup.leaderEpoch ?? 1,
    paused: false,
    readonly: false,
  };
  const stream: StreamInfo = {
    name: "orders",
    subject: "orders",
    group: "",
    replicationFactor: 3,
    partitions: [info],
    settings: setup.minIsr === undefined ? {} : { minIsr: setup.minIsr },
    creationTimestamp: "0",
  };
  const control = new FakeControl(info);
  const dirs = {
    a: await makeTempDir("repl-a", t),
    b: await makeTempDir("repl-b", t),
    c: await makeTempDir("repl-c", t),
  };
  const connections = new Map<string, NatsConnection>();
  const connection = async (id: string) => {
    let nc = connections.get(id);
    if (!nc) {
      nc = await connect({ servers: nats.url });
      connections.set(id, nc);
    }
    return nc;
  };
  const openLog = async (id: "a" | "b" | "c") => {
    const log = await CommitLog.open(
      join(dirs[id], "orders", "0"),
      id === "a" ? setup.leaderLog : undefined,
    );
    const seed = setup.seed?.[id];
    if (seed && log.nextOffset === 0) await log.append(seed);
    return log;
  };
  const closers: (() => Promise<void>)[] = [];
  t.teardown(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    for (const nc of connections.values()) await nc.close();
  });

  const leaderNc = await connection("a");
  const leaderLog = await openLog("a");
  const cipher = setup.masterKey
    ? await PartitionCipher.open(leaderLog.dir, setup.masterKey)
    : undefined;
  const leader = new Partition(stream, info, leaderLog, leaderNc, quiet, {
    cipher,
    replication: { settings: settingsFor("a", setup.timing), control },
  });
  control.leader = leader;
  leader.start();
  closers.push(() => leader.close());
  await leaderNc.flush();

  const notifications = new Map<string, ReplicationNotifications>();
  const startFollower = async (id: "b" | "c") => {
    const nc = await connection(id);
    let n = notifications.get(id);
    if (!n) {
      n = new ReplicationNotifications(nc, NS, id, quiet);
      n.start();
      notifications.set(id, n);
      await nc.flush();
    }
    const follower = new FollowerReplica({
      stream,
      info,
      log: await openLog(id),
      nc,
      logger: quiet,
      settings: settingsFor(id, setup.timing),
      control,
      notifications: n,
      masterKey: setup.masterKey,
    });
    follower.start();
    closers.push(() => follower.close());
    return follower;
  };
  const followers: Partial<Record<"b" | "c", FollowerReplica>> = {};
  for (const id of ["b", "c"] as const) {
    if (!setup.hold?.includes(id)) followers[id] = await startFollower(id);
  }

  const client = await connect({ servers: nats.url });
  t.teardown(() => client.close());
  const acks: Ack[] = [];
  const ackSub = client.subscribe("acks", {
    callback: (_err, msg) => {
      const ack = decodeAckEnvelope(msg.data);
      if (ack) acks.push(ack);
    },
  });
  t.teardown(() => ackSub.unsubscribe());
  await client.flush();
  let sequence = 0;
  const publish = (value: string, ackPolicy: AckPolicy = AckPolicy.ALL) => {
    const correlationId = `m${sequence++}`;
    client.publish(
      "orders",
      encodeEnvelope(
        MsgType.Publish,
        encodeMessage({
          value: new TextEncoder().encode(value),
          ackInbox: "acks",
          correlationId,
          ackPolicy,
        }),
      ),
    );
    return correlationId;
  };
  const ackFor = (correlationId: string) => acks.find((a) => a.correlationId === correlationId);
  return {
    info,
    stream,
    control,
    leader,
    followers,
    startFollower,
    dirs,
    natsUrl: nats.url,
    publish,
    acks,
    ackFor,
    flush: () => client.flush(),
  };
}

async function contents(log: CommitLog) {
  const records = await log.read(0, 64 * 1024 * 1024);
  return records.map((r) => ({
    offset: r.offset,
    timestamp: r.timestamp,
    leaderEpoch: r.leaderEpoch,
    body: Buffer.from(r.body).toString("hex"),
  }));
}

async function identical(...logs: CommitLog[]): Promise<boolean> {
  const [first, ...rest] = await Promise.all(logs.map(contents));
  return rest.every((other) => JSON.stringify(other, bigints) === JSON.stringify(first, bigints));
}

const bigints = (_key: string, value: unknown) =>
  typeof value === "bigint" ? value.toString() : value;

test("ALL acks go out only once both followers have the records; the three logs are identical", async (t) => {
  const c = await cluster(t, { hold: ["c"] });
  const b = c.followers.b!;
  // With c in the ISR but not fetching, an ALL publish cannot commit; a LEADER one is acked
  // after the leader's own append, which shows the ALL one was appended and is waiting.
  const all = c.publish("first");
  const leaderOnly = c.publish("second", AckPolicy.LEADER);
  await waitFor(() => c.ackFor(leaderOnly) !== undefined, { message: "the LEADER ack" });
  await waitFor(() => b.newestOffset === 1, { message: "b to replicate both records" });
  t.is(c.ackFor(all), undefined, "no ALL ack while c lacks the record");
  t.is(c.leader.highWatermark, -1);
  t.is(b.highWatermark, -1);

  const cFollower = await c.startFollower("c");
  const seen: number[] = [];
  for (let i = 0; i < 20; i++) c.publish(`batch ${i}`);
  await waitFor(
    () => {
      // Every ALL ack that has arrived must be for a record both followers hold.
      for (const ack of c.acks) {
        if (ack.ackPolicy !== AckPolicy.ALL || seen.includes(ack.offset)) continue;
        t.true(b.newestOffset >= ack.offset && cFollower.newestOffset >= ack.offset);
        seen.push(ack.offset);
      }
      return seen.length === 21;
    },
    { message: "21 ALL acks" },
  );
  t.true(c.acks.every((a) => a.ackError === AckError.OK));
  t.is(c.ackFor(all)?.offset, 0);
  t.is(c.leader.highWatermark, 21);
  await waitFor(() => b.highWatermark === 21 && cFollower.highWatermark === 21, {
    message: "the followers' high watermarks to reach 21",
  });
  t.true(await identical(c.leader.log, b.log, cFollower.log));
  const stored = await contents(b.log);
  t.is(stored.length, 22);
  t.true(stored.every((r) => r.leaderEpoch === 1));
  // Followers serve committed records through the subscribe path's interface.
  const [first] = await b.read(0, 1024);
  t.is(first?.offset, 0);
  t.deepEqual(
    (await b.read(21, 1024, 100)).map((r) => r.offset),
    [21],
  );
});

/** The real file system, except that `datasync` waits while `held` (writes still go through). */
class HeldSyncFs implements LogFileSystem {
  held = false;
  syncsWaiting = 0;
  private release?: Promise<void>;
  private releaseNow = () => {};

  hold(): void {
    this.held = true;
    this.release = new Promise((resolve) => {
      this.releaseNow = resolve;
    });
  }

  let(): void {
    this.held = false;
    this.releaseNow();
  }

  async open(path: string, mode: Parameters<LogFileSystem["open"]>[1]): Promise<LogFile> {
    const file = await nodeFileSystem.open(path, mode);
    return {
      read: (...a) => file.read(...a),
      write: (...a) => file.write(...a),
      truncate: (size) => file.truncate(size),
      size: () => file.size(),
      close: () => file.close(),
      datasync: async () => {
        if (this.held) {
          this.syncsWaiting++;
          await this.release;
          this.syncsWaiting--;
        }
        await file.datasync();
      },
    };
  }
  readdir = (dir: string) => nodeFileSystem.readdir(dir);
  mkdir = (dir: string) => nodeFileSystem.mkdir(dir);
  unlink = (path: string) => nodeFileSystem.unlink(path);
  rename = (from: string, to: string) => nodeFileSystem.rename(from, to);
  syncDirectory = (dir: string) => nodeFileSystem.syncDirectory(dir);
  sizeOf = (path: string) => nodeFileSystem.sizeOf(path);
  removeAll = (dir: string) => nodeFileSystem.removeAll(dir);
}

test("followers copy a group write while the leader syncs it; ALL acks still wait for the leader's sync", async (t) => {
  const fs = new HeldSyncFs();
  const c = await cluster(t, { leaderLog: { sync: "always", fs } });
  const b = c.followers.b!;
  const cFollower = c.followers.c!;
  c.publish("before");
  await waitFor(() => c.ackFor("m0") !== undefined, { message: "the first ALL ack" });
  fs.hold();
  const held = [c.publish("one"), c.publish("two", AckPolicy.LEADER)];
  // The two may be one group write or two; the second waits for the first one's sync.
  await waitFor(() => b.log.nextOffset >= 2 && cFollower.log.nextOffset >= 2, {
    message: "both followers to copy a record the leader is still syncing",
  });
  t.true(fs.syncsWaiting > 0);
  t.is(c.leader.log.nextOffset, 1, "not synced on the leader: not in its log end yet");
  await c.flush();
  t.deepEqual(held.map(c.ackFor), [undefined, undefined], "neither ALL nor LEADER acked yet");
  t.is(c.leader.highWatermark, 0);
  fs.let();
  await waitFor(() => held.every((id) => c.ackFor(id) !== undefined), {
    message: "both acks once the leader synced",
  });
  t.is(c.leader.highWatermark, 2);
  t.true(await identical(c.leader.log, b.log, cFollower.log));
});

test("an idle follower is notified of new records instead of waiting out its idle wait", async (t) => {
  const c = await cluster(t, { timing: { idleWaitMs: 20_000, lagMs: 60_000 } });
  // Let both followers reach the leader's (empty) log end and go idle.
  await waitFor(() => c.leader.replicationStatus().replicas.every((r) => r.logEndOffset === 0));
  const started = Date.now();
  const id = c.publish("wake up");
  await waitFor(() => c.ackFor(id) !== undefined, { timeoutMs: 5000, message: "the ALL ack" });
  t.true(Date.now() - started < 5000);
  await waitFor(() => c.followers.b!.highWatermark === 0 && c.followers.c!.highWatermark === 0, {
    timeoutMs: 5000,
    message: "followers to learn the high watermark",
  });
});

test("a stopped follower leaves the ISR after the lag time; ALL acks resume; back, it rejoins", async (t) => {
  const c = await cluster(t, { timing: { lagMs: 800 } });
  const first = c.publish("before");
  await waitFor(() => c.ackFor(first) !== undefined);
  await c.followers.c!.close();
  await waitFor(() => !c.info.isr.includes("c"), { message: "shrinkIsr(c)" });
  const silentFor = c.leader.replicationStatus().replicas.find((r) => r.replica === "c");
  t.true(silentFor!.lastFetchMsAgo >= 800, "not before the lag time");
  t.true(c.control.count("shrink orders/0 c @1") > 0);
  t.deepEqual(c.info.isr, ["a", "b"], "b keeps fetching and stays in the ISR");

  const during = [c.publish("while c is away 1"), c.publish("while c is away 2")];
  await waitFor(() => during.every((id) => c.ackFor(id) !== undefined), {
    message: "ALL acks with ISR {a, b}",
  });
  t.true(c.followers.b!.newestOffset >= 2, "acked only once b had them");

  const status = c.leader.replicationStatus();
  t.deepEqual(
    status.replicas.map((r) => [r.replica, r.inSync]),
    [
      ["a", true],
      ["b", true],
      ["c", false],
    ],
  );
  t.is(status.replicas.find((r) => r.replica === "c")?.logEndOffset, 1);

  const back = await c.startFollower("c");
  await waitFor(() => c.info.isr.includes("c"), { message: "expandIsr(c)" });
  t.true(c.control.count("expand orders/0 c @1") > 0);
  t.deepEqual([...c.info.isr].sort(), ["a", "b", "c"]);
  const after = c.publish("after c is back");
  await waitFor(() => c.ackFor(after) !== undefined);
  t.true(back.newestOffset >= 3);
  t.true(await identical(c.leader.log, c.followers.b!.log, back.log));
});

test("with minIsr 2 and the ISR down to the leader, ALL publishes are refused and nothing is appended", async (t) => {
  const c = await cluster(t, { minIsr: 2, isr: ["a"], hold: ["b", "c"] });
  const refused = c.publish("needs two copies");
  await waitFor(() => c.ackFor(refused) !== undefined);
  t.is(c.ackFor(refused)?.ackError, AckError.UNKNOWN);
  t.is(c.leader.log.nextOffset, 0);
  // LEADER-acked messages are still taken, and commit on the leader alone.
  const taken = c.publish("one copy is fine", AckPolicy.LEADER);
  await waitFor(() => c.ackFor(taken) !== undefined);
  t.is(c.ackFor(taken)?.ackError, AckError.OK);
  t.is(c.ackFor(taken)?.offset, 0);
  t.is(c.leader.highWatermark, 0);
  t.is(c.leader.log.nextOffset, 1);
});

test("ALL acks wait while the ISR is below minIsr, and go out once it is back", async (t) => {
  const c = await cluster(t, {
    minIsr: 2,
    isr: ["a", "b"],
    hold: ["c"],
    timing: { lagMs: 60_000 },
  });
  const first = c.publish("one");
  await waitFor(() => c.ackFor(first) !== undefined);
  // b stops before it fetches the next record; the ISR then shrinks to {a}: the record commits
  // on a alone, but its ALL ack promises two copies, so it waits.
  await c.followers.b!.close();
  const held = c.publish("two");
  await waitFor(() => c.leader.log.nextOffset === 2);
  t.is(c.leader.highWatermark, 0);
  c.info.isr = ["a"];
  c.leader.isrChanged();
  t.is(c.leader.highWatermark, 1);
  // Acks leave the leader in order: once this later LEADER ack is here, a released ALL ack would be too.
  const marker = c.publish("marker", AckPolicy.LEADER);
  await waitFor(() => c.ackFor(marker) !== undefined);
  t.is(c.ackFor(held), undefined);
  // c catches up and joins: two in-sync replicas again, and the ack goes.
  await c.startFollower("c");
  await waitFor(() => c.ackFor(held) !== undefined, { message: "the held ALL ack" });
  t.deepEqual(c.info.isr, ["a", "c"]);
  t.is(c.ackFor(held)?.offset, 1);
  t.is(c.ackFor(held)?.ackError, AckError.OK);
});

test("a follower's divergent uncommitted tail is cut by leader epoch; the logs end identical", async (t) => {
  const rec = (i: number, leaderEpoch: number, tag: string): AppendRecord => ({
    timestamp: 1_000n + BigInt(i),
    leaderEpoch,
    body: new TextEncoder().encode(`${tag}-${i}`),
  });
  const common = [0, 1, 2, 3, 4].map((i) => rec(i, 1, "committed"));
  // The leader (epoch 3) wrote 5-7; b holds 5-9 from an epoch-2 leader that never committed them.
  const leaderLog = [...common, ...[5, 6, 7].map((i) => rec(i, 3, "epoch3"))];
  const divergent = [...common, ...[5, 6, 7, 8, 9].map((i) => rec(i, 2, "lost"))];
  const c = await cluster(t, {
    leaderEpoch: 3,
    seed: { a: leaderLog, b: divergent, c: leaderLog.slice(0, 6) },
  });
  const b = c.followers.b!;
  const follower = c.followers.c!;
  await waitFor(() => b.newestOffset === 7 && follower.newestOffset === 7, {
    message: "followers to match the leader",
  });
  t.true(await identical(c.leader.log, b.log, follower.log));
  const bodies = (await b.read(0, 1 << 20, 7).catch(() => [])).map((r) => text(r.body));
  t.false(bodies.some((body) => body.startsWith("lost")));
  t.deepEqual(
    b.log.leaderEpochs.map((e) => [e.epoch, e.startOffset]),
    [
      [1, 0],
      [3, 5],
    ],
  );
  await waitFor(() => c.leader.highWatermark === 7 && b.highWatermark === 7);
});

test("a follower whose leader does not answer reports it, about once a second", async (t) => {
  const c = await cluster(t, { hold: ["b", "c"], timing: { leaderTimeoutMs: 300 } });
  await c.leader.close();
  const started = Date.now();
  await c.startFollower("b");
  await waitFor(() => c.control.count("report orders/0 a @1") >= 2, {
    timeoutMs: 5000,
    message: "two leader reports",
  });
  const elapsed = Date.now() - started;
  t.true(elapsed >= 300 + 900, `second report after ${elapsed} ms`);
  t.is(c.control.count("shrink"), 0);
});

test("followers of an encrypted partition keep the sealed values and read them with the leader's key", async (t) => {
  const masterKey = Buffer.from("0123456789abcdef0123456789abcdef");
  const c = await cluster(t, { masterKey });
  const id = c.publish("TOP-SECRET");
  await waitFor(() => c.ackFor(id) !== undefined);
  const b = c.followers.b!;
  await waitFor(() => b.highWatermark === 0 && c.followers.c!.highWatermark === 0);
  t.true(
    await identical(c.leader.log, b.log, c.followers.c!.log),
    "sealed bodies copied as stored",
  );
  const [stored] = await b.log.read(0, 1024);
  t.false(Buffer.from(stored!.body).includes("TOP-SECRET"), "no plaintext on the follower's disk");
  const [record] = await b.read(0, 1024);
  t.truthy(b.cipher);
  t.is(text(decodeMessage(b.cipher!.openBody(record!.body)).value), "TOP-SECRET");
});

test("a leader missing records a follower knows were committed: the follower keeps them and the leader asks to resign", async (t) => {
  const rec = (i: number): AppendRecord => ({
    timestamp: 1_000n + BigInt(i),
    leaderEpoch: 1,
    body: new TextEncoder().encode(`r${i}`),
  });
  // The leader lost offsets 3-5 (say, an unsynced tail); b holds 0-5 and knows 0-4 were committed.
  const c = await cluster(t, {
    seed: { a: [0, 1, 2].map(rec) },
    hold: ["b", "c"],
  });
  const prepared = await CommitLog.open(join(c.dirs.b, "orders", "0"));
  await prepared.append([0, 1, 2, 3, 4, 5].map(rec));
  await prepared.checkpointHighWatermark(4);
  await prepared.close();
  // The follower asks again only once it has dealt with the answer: a second question means it
  // has heard the leader's end of epoch 1.
  const watcher = await connect({ servers: c.natsUrl });
  t.teardown(() => watcher.close());
  let questions = 0;
  watcher.subscribe(epochOffsetSubject(NS, "orders", 0), { callback: () => questions++ });
  await watcher.flush();
  const b = await c.startFollower("b");
  await waitFor(() => c.control.count("resign orders/0 @1") > 0 && questions >= 2, {
    message: "the leader to ask to resign",
  });
  t.regex(
    c.control.calls.find((call) => call.startsWith("resign"))!,
    /b has committed records up to offset 4, but this leader's log ends at 2/,
  );
  t.is(b.log.nextOffset, 6, "the follower cut none of its committed records");
  t.is(b.highWatermark, 4);
  t.deepEqual(
    (await b.read(0, 1 << 20)).map((r) => text(r.body)),
    ["r0", "r1", "r2", "r3", "r4"],
  );
});

test("a damaged range the leader no longer holds (retention) stays marked and unreadable; fetching goes on", async (t) => {
  const rec = (i: number): AppendRecord => ({
    offset: i,
    timestamp: 1_000n + BigInt(i),
    leaderEpoch: 1,
    body: new TextEncoder().encode(`record-${String(i).padStart(2, "0")}`),
  });
  const all = Array.from({ length: 15 }, (_, i) => rec(i));
  const c = await cluster(t, { hold: ["b", "c"], isr: ["a", "b"] });
  // The leader keeps offsets 10-14 only; retention removed the rest.
  await c.leader.log.restartAt(10);
  await c.leader.log.append(all.slice(10));
  // b holds 0-14, and offset 3 is damaged on its disk.
  const dir = join(c.dirs.b, "orders", "0");
  const prepared = await CommitLog.open(dir);
  await prepared.append(all);
  await prepared.checkpointHighWatermark(14);
  await prepared.close();
  const segment = join(dir, "00000000000000000000.log");
  const bytes = await readFile(segment);
  bytes[bytes.indexOf("record-03") + 7]! ^= 0xff;
  await writeFile(segment, bytes);

  const b = await c.startFollower("b");
  // A read finds the damage; the follower tries to repair it from the leader, which cannot.
  await t.throwsAsync(b.log.read(0, 1 << 20), { instanceOf: CorruptRecordError });
  t.deepEqual(
    b.log.damage().map((d) => [d.fromOffset, d.toOffset]),
    [[3, 3]],
  );
  const id = c.publish("after");
  await waitFor(() => b.log.nextOffset === 16 && c.ackFor(id) !== undefined, {
    message: "the follower to go on fetching",
  });
  t.deepEqual(
    b.log.damage().map((d) => [d.fromOffset, d.toOffset]),
    [[3, 3]],
    "the range is still marked: never dropped silently",
  );
  await t.throwsAsync(b.read(3, 1 << 20), { instanceOf: CorruptRecordError });
  t.is(text((await b.read(4, 1 << 20))[0]!.body), "record-04");
});
