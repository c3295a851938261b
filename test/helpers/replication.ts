import type { ExecutionContext } from "ava";
import { connect } from "nats";
import { CommitLog } from "../../src/server/log/index.js";
import {
  type Ack,
  AckPolicy,
  decodeAck,
  encodeMessage,
  type FetchMetadataResponse,
} from "../../src/wire/api.js";
import { decodeEnvelope, encodeEnvelope, MsgType } from "../../src/wire/envelope.js";
import type { TestCluster } from "./cluster.js";
import { call, rawClient } from "./rpc.js";
import { waitFor } from "./wait.js";

/** Short replication timeouts so failures are noticed within the test's patience. */
export const FAST_REPLICATION = {
  "clustering.replica.max.lag.time": "2s",
  "clustering.replica.max.leader.timeout": "1s",
  "clustering.replica.max.idle.wait": "500ms",
  "clustering.replica.fetch.timeout": "500ms",
};

/**
 * Partition 0 of `stream` as FetchMetadata on the first broker that answers tells it (or on
 * broker `from` alone: brokers apply a change moments apart).
 */
export async function partitionView(
  t: ExecutionContext,
  cluster: TestCluster,
  stream: string,
  from?: string,
) {
  for (const node of cluster.nodes) {
    if (!node.process || (from && node.id !== from)) continue;
    try {
      const md = await call<unknown, FetchMetadataResponse>(
        rawClient(t, node.address),
        "fetchMetadata",
        { streams: [stream] },
        2000,
      );
      const partition = md.streamMetadata[0]?.partitions[0];
      if (partition) return partition;
    } catch {
      // That broker is down or busy: ask the next.
    }
  }
  throw new Error("no broker answered FetchMetadata");
}

/** NATS publisher of envelopes with ack policy ALL; each message is sent once, never retried. */
export async function startPublisher(t: ExecutionContext, natsUrl: string, subject: string) {
  const nc = await connect({ servers: natsUrl });
  const acked = new Map<string, Ack>();
  const inbox = `acks.${Math.random().toString(36).slice(2)}`;
  nc.subscribe(inbox, {
    callback: (_err, msg) => {
      const envelope = decodeEnvelope(msg.data);
      if (envelope?.type !== MsgType.Ack) return;
      const ack = decodeAck(envelope.payload);
      if (ack.ackError === 0) acked.set(ack.correlationId, ack);
    },
  });
  await nc.flush();
  let running = true;
  let sent = 0;
  t.teardown(async () => {
    running = false;
    await loop;
    await nc.close();
  });
  /** Sent and not acked yet, with when; a message lost with a dead leader expires after 3 s. */
  const pending = new Map<string, number>();
  const loop = (async () => {
    while (running) {
      const now = Date.now();
      for (const [id, at] of pending) {
        if (acked.has(id) || now - at > 3000) pending.delete(id);
      }
      // At most 50 unanswered at a time, as a windowed producer would.
      if (pending.size >= 50) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      const id = `m${sent++}`;
      pending.set(id, now);
      nc.publish(
        subject,
        encodeEnvelope(
          MsgType.Publish,
          encodeMessage({
            value: Buffer.from(id),
            ackInbox: inbox,
            correlationId: id,
            ackPolicy: AckPolicy.ALL,
          }),
        ),
      );
      if (sent % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
  })();
  return {
    acked,
    waitForMore: (count: number, message: string) => {
      const target = acked.size + count;
      return waitFor(() => acked.size >= target, { timeoutMs: 30_000, message });
    },
    stop: async () => {
      running = false;
      await loop;
      await nc.flush();
    },
  };
}

/** Every record of a stopped broker's partition log, for byte-for-byte comparison. */
export async function logContents(dir: string) {
  const log = await CommitLog.open(dir);
  try {
    const records = await log.read(0, 256 * 1024 * 1024);
    return records.map((r) => ({
      offset: r.offset,
      timestamp: r.timestamp.toString(),
      leaderEpoch: r.leaderEpoch,
      body: Buffer.from(r.body).toString("hex"),
    }));
  } finally {
    await log.close();
  }
}
