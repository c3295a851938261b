import { setTimeout as delay } from "node:timers/promises";

export interface WaitOptions {
  /** Default 10 s. */
  timeoutMs?: number;
  /** Default 20 ms. */
  intervalMs?: number;
  /** What is being waited for, for the timeout error: "the broker to elect a leader". */
  message?: string;
}

/**
 * Polls `cond` until it returns true. A throwing `cond` counts as "not yet"; its last error is
 * quoted if the wait times out.
 */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  { timeoutMs = 10_000, intervalMs = 20, message = "a condition" }: WaitOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await cond()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}${cause}`);
    }
    await delay(intervalMs);
  }
}
