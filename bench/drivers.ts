import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { LatencyRecorder, type RunResult } from "./stats.js";

/** A run fails when no send completes for this long (a lost ack must not hang the benchmark). */
const STALL_TIMEOUT_MS = 15_000;

export interface TimedRun {
  warmupSeconds: number;
  measureSeconds: number;
  messageBytes: number;
}

/**
 * Keeps `window` sends in flight for the warm-up plus the measured time, and measures the
 * completions (and their latencies) that fall in the measured time. `window` 1 is a synchronous
 * publisher.
 */
export async function runWindowed(
  window: number,
  timing: TimedRun,
  send: () => Promise<unknown>,
): Promise<RunResult> {
  const latency = new LatencyRecorder();
  const start = performance.now();
  const measureFrom = start + timing.warmupSeconds * 1000;
  const measureUntil = measureFrom + timing.measureSeconds * 1000;
  let measured = 0;
  let stopped = false;
  let lastCompletion = start;
  const worker = async () => {
    while (!stopped) {
      const t0 = performance.now();
      await send();
      const t1 = performance.now();
      lastCompletion = t1;
      if (t1 > measureUntil) {
        stopped = true;
      } else if (t0 >= measureFrom) {
        measured++;
        latency.record((t1 - t0) * 1000);
      }
    }
  };
  let watchdog: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    watchdog = setInterval(() => {
      if (performance.now() - lastCompletion > STALL_TIMEOUT_MS) {
        stopped = true;
        reject(new Error(`no send completed for ${STALL_TIMEOUT_MS / 1000} s`));
      }
    }, 1000);
  });
  try {
    await Promise.race([Promise.all(Array.from({ length: window }, worker)), stalled]);
  } finally {
    clearInterval(watchdog);
  }
  return {
    messages: measured,
    seconds: timing.measureSeconds,
    messageBytes: timing.messageBytes,
    latency: latency.percentiles(),
  };
}

/**
 * Calls `send` at a fixed rate (on a 1 ms timer, catching up by sending the messages that are
 * due) for the warm-up plus the measured time, passing the time each message was due so the
 * receiver can measure end-to-end latency from when it should have left.
 */
export async function runPaced(
  ratePerSecond: number,
  timing: TimedRun,
  send: (dueAtMs: number, measured: boolean) => void,
): Promise<{ sent: number; seconds: number }> {
  const start = performance.now();
  const measureFrom = start + timing.warmupSeconds * 1000;
  const end = measureFrom + timing.measureSeconds * 1000;
  const intervalMs = 1000 / ratePerSecond;
  let next = 0;
  let measuredSent = 0;
  for (;;) {
    const now = performance.now();
    if (now >= end) break;
    while (start + next * intervalMs <= now) {
      const dueAt = start + next * intervalMs;
      const measured = dueAt >= measureFrom && dueAt < end;
      if (measured) measuredSent++;
      send(dueAt, measured);
      next++;
    }
    await delay(1);
  }
  return { sent: measuredSent, seconds: timing.measureSeconds };
}

/**
 * Publishes `total` messages with `publish` as fast as the sink keeps up: never more than
 * `window` ahead of what `progress` (polled in the background) says has arrived. Resolves with
 * the seconds from the first publish until `progress` reports all of them.
 */
export async function runFlowControlled(
  total: number,
  window: number,
  publish: (index: number) => void,
  flush: () => Promise<void>,
  progress: () => Promise<number>,
  pollMs = 5,
): Promise<number> {
  let arrived = 0;
  let done = false;
  const start = performance.now();
  const poller = (async () => {
    let lastChange = performance.now();
    while (!done) {
      const now = await progress();
      if (now !== arrived) lastChange = performance.now();
      arrived = now;
      if (arrived >= total) break;
      if (performance.now() - lastChange > STALL_TIMEOUT_MS) {
        throw new Error(
          `stuck at ${arrived} of ${total} messages for ${STALL_TIMEOUT_MS / 1000} s`,
        );
      }
      await delay(pollMs);
    }
  })();
  const chunk = Math.max(1, Math.min(5000, window >> 2));
  let sent = 0;
  try {
    while (sent < total) {
      if (sent - arrived >= window) {
        await Promise.race([poller, delay(1)]);
        continue;
      }
      const upTo = Math.min(total, sent + chunk);
      for (; sent < upTo; sent++) publish(sent);
      await flush();
    }
    await poller;
    return (performance.now() - start) / 1000;
  } finally {
    done = true;
    await poller.catch(() => undefined);
  }
}
