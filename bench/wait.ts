import { setTimeout as delay } from "node:timers/promises";

const POLL_MS = 100;

/**
 * Polls `check` until it returns a value other than undefined and resolves with it. A check
 * that throws counts as "not yet" (a cluster still electing answers with errors); the last
 * such error is quoted when `timeoutMs` runs out.
 */
export async function waitUntil<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why =
        lastError === undefined ? "" : `; last error: ${(lastError as Error).message ?? lastError}`;
      throw new Error(`waited ${timeoutMs} ms for ${what}${why}`);
    }
    await delay(POLL_MS);
  }
}
