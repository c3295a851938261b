import { randomBytes } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import type {
  AckPolicyName,
  CreateStreamOptions,
  LiftbridgeClient,
  StreamInfo,
} from "../../client/index.js";
import { requireStreamPartition } from "../require-partition.js";
import { hasWildcard } from "../subject-match.js";
import { refuseUnackedOcc } from "../unacked-occ.js";
import { UsageError } from "../usage-error.js";

/** How long the high watermarks may stand still before what they show is taken as stored. */
const STORED_QUIET_MS = 1000;
const STORED_POLL_MS = 50;

/** The stream a run publishes to. */
export interface BenchStream {
  name: string;
  partitions: number;
  /** Created by this run: deleted after it, and only then. */
  created: boolean;
}

/** A name no one else uses: lb-bench-<8 hex digits>. */
export function temporaryStreamName(): string {
  return `lb-bench-${randomBytes(4).toString("hex")}`;
}

/** Creates the run's own stream on a subject of the same name; fails if it exists. */
export async function createBenchStream(
  client: LiftbridgeClient,
  name: string,
  options: CreateStreamOptions,
): Promise<BenchStream> {
  await client.createStream(name, name, options);
  return { name, partitions: options.partitions ?? 1, created: true };
}

/** An existing stream the publishers can send to (no wildcard subject). */
export async function existingBenchStream(
  client: LiftbridgeClient,
  name: string,
  ackPolicy: AckPolicyName,
): Promise<BenchStream> {
  const info: StreamInfo = await requireStreamPartition(client, name, 0);
  if (hasWildcard(info.subject)) {
    throw new UsageError(
      `--stream "${name}" is on the wildcard subject "${info.subject}": a benchmark publishes to partitions, which need a concrete subject`,
      "benchmark a stream on a concrete subject, or leave out --stream for a temporary one",
    );
  }
  if (ackPolicy === "none") await refuseUnackedOcc(client, name);
  return { name, partitions: info.partitions.length, created: false };
}

/** Each partition's high watermark (-1 when empty), from its leader. */
export async function highWatermarks(
  client: LiftbridgeClient,
  stream: BenchStream,
): Promise<number[]> {
  return Promise.all(
    Array.from(
      { length: stream.partitions },
      async (_, partition) =>
        (await client.fetchPartitionMetadata(stream.name, partition)).highWatermark,
    ),
  );
}

/**
 * The high watermarks once `expected` messages past `before` are committed, or once they stood
 * still for a while (a message sent without an ack may never be stored; replicas may lag).
 */
export async function settledHighWatermarks(
  client: LiftbridgeClient,
  stream: BenchStream,
  before: readonly number[],
  expected: number,
): Promise<number[]> {
  let last = -1;
  let changedAt = Date.now();
  for (;;) {
    const now = await highWatermarks(client, stream);
    const stored = storedSince(before, now);
    if (stored >= expected || Date.now() - changedAt >= STORED_QUIET_MS) return now;
    if (stored !== last) {
      last = stored;
      changedAt = Date.now();
    }
    await delay(STORED_POLL_MS);
  }
}

export function storedSince(before: readonly number[], now: readonly number[]): number {
  return now.reduce((sum, hw, p) => sum + Math.max(0, hw - before[p]!), 0);
}
