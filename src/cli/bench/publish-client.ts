import { performance } from "node:perf_hooks";
import type { AckPolicyName, LiftbridgeClient } from "../../client/index.js";
import { InFlightLimit } from "../in-flight.js";
import type { RunControl } from "./control.js";
import { LatencyHistogram } from "./histogram.js";

export interface PublishPlan {
  stream: string;
  /** Partitions 0..partitions-1 get the messages in turn. */
  partitions: number;
  payload: Uint8Array;
  /** Messages in flight (sent, not yet acked) at most. */
  window: number;
  ackPolicy: AckPolicyName;
  timeoutMs: number;
}

/** How much one publisher sends: a count, or until a moment (performance.now() ms). */
export type PublishLimit = { messages: number } | { untilMs: number };

/** What one publisher client did; times are performance.now() milliseconds. */
export class PublisherStats {
  sent = 0;
  /** Acked messages; with ack policy "none", those handed to the connection. */
  completed = 0;
  errors = 0;
  startedAt = 0;
  /** When the last message was acked (a failure does not count: its wait is no throughput). */
  finishedAt = 0;
  /** Send → ack, in nanoseconds; empty with ack policy "none" (there is no ack to time). */
  readonly latency = new LatencyHistogram();

  constructor(readonly id: number) {}
}

/**
 * One publisher client: sends the plan's payload through a pipelined publisher, at most
 * `window` in flight, until its limit or until the run is stopped, then waits for what is in
 * flight. Every failure is counted and stops the run; it never rejects for a failed publish.
 */
export async function runPublisher(
  client: LiftbridgeClient,
  stats: PublisherStats,
  plan: PublishPlan,
  limit: PublishLimit,
  control: RunControl,
): Promise<void> {
  const publisher = client.publisher({ timeoutMs: plan.timeoutMs });
  const inFlight = new InFlightLimit(plan.window);
  const timed = plan.ackPolicy !== "none";
  const publishOne = async (partition: number) => {
    const sentAt = performance.now();
    try {
      await publisher.publish(plan.stream, plan.payload, {
        partition,
        ackPolicy: plan.ackPolicy,
        timeoutMs: plan.timeoutMs,
      });
      const now = performance.now();
      stats.completed++;
      if (timed) stats.latency.record((now - sentAt) * 1e6);
      stats.finishedAt = now;
    } catch (err) {
      stats.errors++;
      control.fail(`publisher ${stats.id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const more =
    "messages" in limit
      ? () => stats.sent < limit.messages
      : () => performance.now() < limit.untilMs;
  stats.startedAt = performance.now();
  stats.finishedAt = stats.startedAt;
  try {
    while (!control.stopped && more()) {
      // Spread over the partitions, each publisher starting at its own.
      const partition = (stats.id - 1 + stats.sent) % plan.partitions;
      stats.sent++;
      await inFlight.start(() => publishOne(partition));
    }
    await inFlight.idle();
  } finally {
    await publisher.close();
  }
}
